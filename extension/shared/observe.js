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

/** Round a px value to the 8 px grid (a box says where, not exactly where). */
export const snap = (n) => Math.round(n / BOX_GRID) * BOX_GRID;

/** [x, y, width, height] on the 8 px grid, or null when the element is not in the viewport. */
export function viewportBox(rect, viewport) {
  if (!rect || rect.width <= 0 || rect.height <= 0) return null;
  if (rect.bottom <= 0 || rect.right <= 0 || rect.top >= viewport.height || rect.left >= viewport.width) return null;
  return [snap(rect.left), snap(rect.top), Math.max(BOX_GRID, snap(rect.width)), Math.max(BOX_GRID, snap(rect.height))];
}

/**
 * Build an observation's elements from `candidates` (in document order): at most MAX_ELEMENTS and
 * MAX_OBSERVATION_BYTES of compact JSON. `describe(el)` returns {role?, tag, label?, state} or
 * null (ignored element); `boxOf(el)` returns a box or null (not visible); `bidOf(el)` the
 * element's id for this page visit. Returns {elements, bids: Map(bid -> element), truncated}.
 */
export function buildObservation(candidates, { describe, boxOf, bidOf }, limits = {}) {
  const maxElements = limits.maxElements ?? MAX_ELEMENTS;
  const maxBytes = limits.maxBytes ?? MAX_OBSERVATION_BYTES;
  const elements = [];
  const bids = new Map();
  let bytes = 2; // the list's brackets
  let truncated = false;
  for (const el of candidates) {
    const box = boxOf(el);
    if (!box) continue;
    const described = describe(el);
    if (!described) continue;
    if (elements.length >= maxElements) {
      truncated = true;
      break;
    }
    const element = { bid: bidOf(el), ...described, box };
    const size = utf8Length(JSON.stringify(element)) + (elements.length ? 1 : 0);
    if (bytes + size > maxBytes) {
      truncated = true;
      break;
    }
    bytes += size;
    elements.push(element);
    bids.set(element.bid, el);
  }
  return { elements, bids, truncated, bytes };
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
