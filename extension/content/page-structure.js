/**
 * The page's structure for observations: interactive elements in the viewport with a bid per
 * element that lasts the page visit. A MutationObserver (and scrolling) marks the last observation
 * stale; the next action then sends a fresh one first.
 */
import { bidAllocator, buildObservation, INTERACTIVE, viewportBox } from "../shared/observe.js";
import { describeElement, isIgnored } from "../shared/selector.js";

const allocator = bidAllocator();
let latest = []; // the elements of the last observation sent
let stale = true;
let observer = null;

const HTML_NS = "http://www.w3.org/1999/xhtml";

/**
 * True for an HTML element named `name`: what `instanceof HTMLInputElement` (or HTMLOptionElement)
 * says for this document's elements, without naming the interface, which builds its interface
 * object in this world on first use (a cost the first observation of a page would pay).
 */
const isHtml = (el, name) => el.localName === name && el.namespaceURI === HTML_NS;

function stateOf(el) {
  const state = {};
  // Each attribute read once; no closure per element (observations run on the page's main thread).
  const checked = el.getAttribute("aria-checked");
  const selected = el.getAttribute("aria-selected");
  const expanded = el.getAttribute("aria-expanded");
  if (isHtml(el, "input") && (el.type === "checkbox" || el.type === "radio")) state.checked = el.checked;
  else if (checked !== null) state.checked = checked === "true";
  if (isHtml(el, "option")) state.selected = el.selected;
  else if (selected !== null) state.selected = selected === "true";
  if (expanded !== null) state.expanded = expanded === "true";
  if (el.disabled === true || el.getAttribute("aria-disabled") === "true") state.disabled = true;
  return state;
}

/** role, tag and label exactly as an action's target has them (one label policy for both). */
function describer(options) {
  return (el) => {
    if (isIgnored(el)) return null;
    const described = describeElement(el, options); // a new object: {tag, role?, label?}
    described.state = stateOf(el);
    return described;
  };
}

/** The box of an element in `viewport` (read once per observation: the page cannot change meanwhile). */
function boxer(viewport) {
  const visible = (el) => typeof el.checkVisibility !== "function" || el.checkVisibility();
  return (el) => {
    const box = viewportBox(el.getBoundingClientRect(), viewport);
    return box && visible(el) ? box : null;
  };
}

/**
 * Build the current observation; returns {elements, ms} and remembers its bids. `options` are
 * the label policy's (mask selectors, typed words), as for an action's target.
 */
export function observe(options = {}) {
  const began = performance.now();
  const candidates = document.querySelectorAll(INTERACTIVE);
  const describe = describer({ ...options, memo: new Map() }); // the page does not change meanwhile
  const boxOf = boxer({ width: window.innerWidth, height: window.innerHeight });
  const built = buildObservation(candidates, { describe, boxOf, bidOf: allocator.bidOf });
  latest = built.nodes;
  stale = false;
  return { elements: built.elements, ms: performance.now() - began };
}

/** True when the page changed since the last observation. */
export const isStale = () => stale;

/** The bid of `el` in the last observation, or undefined. */
export function bidIn(el) {
  const bid = allocator.bidOf(el);
  return latest.includes(el) ? bid : undefined;
}

/** A new page visit (load or route): new bids, and the next action needs an observation. */
export function newVisit() {
  allocator.reset();
  latest = [];
  stale = true;
}

export function markStale() {
  stale = true;
}

/** Watch the document for changes that make the last observation stale. */
export function watch() {
  if (observer) return;
  observer = new MutationObserver(markStale);
  observer.observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  window.addEventListener("resize", markStale, { passive: true });
}

/** The interactive element an event happened on (the closest one), or null. */
export const interactiveAncestor = (el) => (el instanceof Element ? el.closest(INTERACTIVE) : null);
