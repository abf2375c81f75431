/**
 * Observations: the interactive elements in the viewport, by their labels, never their contents.
 * Pure: the DOM is reached only through the `describe` and `boxOf` functions the caller passes, so
 * Node tests can drive it with plain objects.
 */
import { MAX_ELEMENTS, MAX_OBSERVATION_BYTES } from "./constants.js";

/** Elements a person can act on (links, buttons, fields, ARIA widgets). */
export const INTERACTIVE = [
  "a[href]", "button", "input:not([type=hidden])", "select", "textarea", "summary",
  "[contenteditable=''],[contenteditable=true]",
  ...["button", "link", "checkbox", "radio", "switch", "tab", "menuitem", "menuitemcheckbox",
    "menuitemradio", "option", "combobox", "textbox", "searchbox", "slider", "spinbutton", "treeitem",
  ].map((role) => `[role=${role}]`),
].join(",");

export const BOX_GRID = 8;

const ENCODER = new TextEncoder();
const ASCII = /^[\x00-\x7f]*$/;

/** UTF-8 length of `text`; ASCII (most labels) without encoding it. */
export const utf8Length = (text) => (ASCII.test(text) ? text.length : ENCODER.encode(text).length);

/** Printable ASCII that JSON.stringify writes as it is (no quote, no backslash). */
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]); // \b \t \n \f \r

/** UTF-8 bytes of JSON.stringify(text), counted without building it. */
export function jsonStringBytes(text) {
  if (JSON_PLAIN.test(text)) return text.length + 2;
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) bytes += 2;
    else if (c < 0x20) bytes += SHORT_ESCAPES.has(c) ? 2 : 6; // \u00XX otherwise
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i++;
    } else bytes += 6; // a lone surrogate, written as \uXXXX
  }
  return bytes;
}

/** Round a px value to the 8 px grid (a box says where, not exactly where). */
export const snap = (n) => Math.round(n / BOX_GRID) * BOX_GRID;

/** [x, y, width, height] on the 8 px grid, or null when the element is not in the viewport. */
export function viewportBox(rect, viewport) {
  if (!rect || rect.width <= 0 || rect.height <= 0) return null;
  if (rect.bottom <= 0 || rect.right <= 0 || rect.top >= viewport.height || rect.left >= viewport.width) return null;
  return [snap(rect.left), snap(rect.top), Math.max(BOX_GRID, snap(rect.width)), Math.max(BOX_GRID, snap(rect.height))];
}

/** The longest bid bidAllocator hands out: "b" and a safe integer. */
export const MAX_BID_CHARS = 17;

/**
 * Build an observation's elements from `candidates` (an array or NodeList, in document order): at
 * most MAX_ELEMENTS and MAX_OBSERVATION_BYTES of compact JSON. `describe(el)` returns
 * {role?, tag, label?, state} or null (ignored element); `boxOf(el)` returns a box or null (not
 * visible); `bidOf(el)` the element's id for this page visit (as bidAllocator's). Returns
 * {elements, nodes (the DOM element of each), truncated, bytes}.
 *
 * The list is measured with one JSON.stringify; only when it may not fit the budget is it
 * measured element by element, cut before the first element that does not fit. Either way, bids
 * go to the elements kept (and, when the budget cuts, to the first one left out) in order.
 */
export function buildObservation(candidates, { describe, boxOf, bidOf }, limits = {}) {
  const maxElements = limits.maxElements ?? MAX_ELEMENTS;
  const maxBytes = limits.maxBytes ?? MAX_OBSERVATION_BYTES;
  const elements = [];
  const nodes = []; // the DOM element of each of `elements`
  let truncated = false;
  for (let i = 0; i < candidates.length; i++) {
    const el = candidates[i]; // indexed: no iterator results on a NodeList of hundreds
    const box = boxOf(el);
    if (!box) continue;
    const described = describe(el);
    if (!described) continue;
    if (elements.length >= maxElements) {
      truncated = true;
      break;
    }
    elements.push({ bid: "", ...described, box }); // its bid once the budget is known
    nodes.push(el);
  }
  let bytes = utf8Length(JSON.stringify(elements)); // with every bid ""
  if (bytes + elements.length * MAX_BID_CHARS > maxBytes) {
    return cutToBudget(elements, nodes, bidOf, maxBytes, truncated);
  }
  for (let i = 0; i < elements.length; i++) {
    const bid = bidOf(nodes[i]);
    elements[i].bid = bid;
    bytes += jsonStringBytes(bid) - 2;
  }
  // Only an id longer than MAX_BID_CHARS could break the budget here: then measure exactly.
  return bytes <= maxBytes ? { elements, nodes, truncated, bytes } : cutToBudget(elements, nodes, bidOf, maxBytes, truncated);
}

/** Element by element: keep the longest run that fits in `maxBytes`, bids given in order. */
function cutToBudget(elements, nodes, bidOf, maxBytes, truncated) {
  let bytes = 2; // the list's brackets
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i];
    element.bid = bidOf(nodes[i]);
    const size = utf8Length(JSON.stringify(element)) + (i ? 1 : 0);
    if (bytes + size > maxBytes) {
      elements.length = i;
      nodes.length = i;
      return { elements, nodes, truncated: true, bytes };
    }
    bytes += size;
  }
  return { elements, nodes, truncated, bytes };
}
/** Hands out "b1", "b2", ... per element, stable for as long as the page visit lasts. */
export function bidAllocator() {
  let ids = new WeakMap();
  let next = 1;
  return {
    bidOf(el) {
      let bid = ids.get(el);
      if (!bid) {
        bid = `b${next++}`;
        ids.set(el, bid);
      }
      return bid;
    },
    /** A new page visit: new ids. */
    reset() {
      ids = new WeakMap();
      next = 1;
    },
  };
}
