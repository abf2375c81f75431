/**
 * The page's structure for observations: interactive elements in the viewport with a bid per
 * element that lasts the page visit. A MutationObserver (and scrolling) marks the last observation
 * stale; the next action then sends a fresh one first.
 */
import { bidAllocator, buildObservation, INTERACTIVE, viewportBox } from "../shared/observe.js";
import { describeElement, isIgnored } from "../shared/selector.js";

const allocator = bidAllocator();
let latest = new Map(); // bid -> element of the last observation sent
let stale = true;
let observer = null;

function stateOf(el) {
  const state = {};
  const aria = (name) => el.getAttribute(name);
  if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) state.checked = el.checked;
  else if (aria("aria-checked") !== null) state.checked = aria("aria-checked") === "true";
  if (el instanceof HTMLOptionElement) state.selected = el.selected;
  else if (aria("aria-selected") !== null) state.selected = aria("aria-selected") === "true";
  if (aria("aria-expanded") !== null) state.expanded = aria("aria-expanded") === "true";
  if (el.disabled === true || aria("aria-disabled") === "true") state.disabled = true;
  return state;
}

/** role, tag and label exactly as an action's target has them (one label policy for both). */
function describer(options) {
  return (el) => (isIgnored(el) ? null : { ...describeElement(el, options), state: stateOf(el) });
}

function boxOf(el) {
  const box = viewportBox(el.getBoundingClientRect(), { width: window.innerWidth, height: window.innerHeight });
  if (!box || (typeof el.checkVisibility === "function" && !el.checkVisibility())) return null;
  return box;
}

/**
 * Build the current observation; returns {elements, ms} and remembers its bids. `options` are
 * the label policy's (mask selectors, typed words), as for an action's target.
 */
export function observe(options = {}) {
  const began = performance.now();
  const candidates = document.querySelectorAll(INTERACTIVE);
  const describe = describer({ ...options, memo: new Map() }); // the page does not change meanwhile
  const built = buildObservation(candidates, { describe, boxOf, bidOf: allocator.bidOf });
  latest = built.bids;
  stale = false;
  return { elements: built.elements, ms: performance.now() - began };
}

/** True when the page changed since the last observation. */
export const isStale = () => stale;

/** The bid of `el` in the last observation, or undefined. */
export function bidIn(el) {
  const bid = allocator.bidOf(el);
  return latest.get(bid) === el ? bid : undefined;
}

/** A new page visit (load or route): new bids, and the next action needs an observation. */
export function newVisit() {
  allocator.reset();
  latest = new Map();
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
