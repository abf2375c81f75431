/**
 * The label policy (docs/privacy.md, "Labels"): a label is a control's accessible name, never the
 * text of a container. Elements in data regions (table cells, list items, feeds and logs, editable
 * text, the policy's mask_selectors) get a structural label: "Name column" or "[content]".
 *
 * Uses only tagName, getAttribute, parentElement, children, labels, innerText/textContent,
 * ownerDocument.getElementById, matches, closest and querySelector (the last two optional), so
 * Node tests can pass plain objects.
 */
import { cachedRedactLabel, redactLabel } from "./redact.js";

export const CONTENT_LABEL = "[content]";
/** Elements (and their descendants) that capture skips: their text names nothing either. */
export const IGNORE_ATTRIBUTE = "data-overt-ignore";
const IGNORED = `[${IGNORE_ATTRIBUTE}]`;
/** Control names are short: longer text is content, and is dropped rather than cut. */
export const MAX_NAME_CHARS = 60;
export const MAX_NAME_WORDS = 8;

const NAMED_BY_TEXT_TAGS = new Set(["button", "summary", "label", "legend"]);
const NAMED_BY_TEXT_ROLES = new Set([
  "button", "link", "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "checkbox", "radio",
  "switch", "columnheader",
]);
const BUTTON_INPUTS = new Set(["button", "submit", "reset"]);
const FORM_CONTROLS = new Set(["input", "textarea", "select", "meter", "progress", "output"]);
const CELL_ROLES = new Set(["cell", "gridcell", "rowheader"]);
const TABLE_ROLES = new Set(["table", "grid", "treegrid"]);
const LIST_TAGS = new Set(["ul", "ol"]);
const LIST_ROLES = new Set(["list", "feed", "log"]);
const FEED_ROLES = new Set(["feed", "log"]);
/** Lists of commands, not of records: their items keep their names. */
const COMMAND_CONTAINERS = new Set(["navigation", "menu", "menubar", "tablist", "toolbar"]);
const NO_SELECTORS = Object.freeze([]);
const identity = (text) => text;

const LOWER_TAGS = new Map(); // tagName -> its lower case: tags repeat, and each toLowerCase allocates
const MAX_CACHED = 512; // entries per cache: a page with more distinct names is served uncached

/** The element's tag name in lower case ("" without one). */
export function tagOf(el) {
  const name = el && el.tagName;
  if (typeof name !== "string") return String(name || "").toLowerCase();
  let lower = LOWER_TAGS.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (LOWER_TAGS.size < MAX_CACHED) LOWER_TAGS.set(name, lower);
  }
  return lower;
}

const attr = (el, name) => (el && typeof el.getAttribute === "function" ? el.getAttribute(name) : null);
const ROLE_TOKENS = new Map(); // role attribute -> its first token, lower-cased (roles repeat)

/** The first token of the role attribute, lower-cased; "" without one (most elements: no split). */
export function roleAttr(el) {
  const role = attr(el, "role");
  if (!role) return "";
  let token = ROLE_TOKENS.get(role);
  if (token === undefined) {
    token = String(role).trim().split(/\s+/)[0].toLowerCase();
    if (ROLE_TOKENS.size < MAX_CACHED) ROLE_TOKENS.set(role, token);
  }
  return token;
}

/** Whitespace that collapsing would change: any but single spaces between words. */
const UNCOLLAPSED = /[^\S ]|\s\s|^\s|\s$/;
/** Runs of whitespace as one space, trimmed; text that is already so is returned as it is. */
const collapse = (text) => {
  if (typeof text !== "string") return "";
  return UNCOLLAPSED.test(text) ? text.replace(/\s+/g, " ").trim() : text;
};

/** The element's rendered text, when short enough to be a name and holding nothing ignored; else "". */
export function shortText(el) {
  if (typeof el.querySelector === "function" && el.querySelector(IGNORED) !== null) return "";
  const inner = el.innerText; // read once: each read walks the layout and builds a new string
  const raw = typeof inner === "string" ? inner : el.textContent;
  const text = collapse(raw);
  if (!text || text.length > MAX_NAME_CHARS || wordCount(text) > MAX_NAME_WORDS) return "";
  return text;
}

/** Words in collapsed text (single spaces): the spaces plus one, without splitting it. */
function wordCount(text) {
  let words = 1;
  for (let at = text.indexOf(" "); at !== -1; at = text.indexOf(" ", at + 1)) words++;
  return words;
}

function isEditable(el) {
  const editable = attr(el, "contenteditable");
  return el.isContentEditable === true || (editable !== null && editable !== "false") || roleAttr(el) === "textbox";
}

function matchesAny(el, selectors) {
  if (typeof el.matches !== "function") return false;
  return selectors.some((selector) => {
    try {
      return el.matches(selector);
    } catch {
      return false; // the policy's selectors are checked when received; never fail open here
    }
  });
}

function inCommandContainer(el) {
  for (let node = el; node; node = node.parentElement) {
    if (tagOf(node) === "nav" || tagOf(node) === "menu" || COMMAND_CONTAINERS.has(roleAttr(node))) return true;
  }
  return false;
}

/** A list item of records (not of a menu, a toolbar or a nav), given its tag and role. */
function listItemTagged(el, tag, role) {
  const parent = el.parentElement;
  if (tag === "li") return !(parent && tagOf(parent) === "menu") && !inCommandContainer(el);
  if (role === "listitem" || role === "article") {
    return Boolean(parent && LIST_ROLES.has(roleAttr(parent))) && !inCommandContainer(el);
  }
  return false;
}

/** A column header: th in thead or scope=col, a th in a row of only th, or role=columnheader. */
function isColumnHeader(el) {
  return columnHeaderTagged(el, tagOf(el), roleAttr(el));
}

function columnHeaderTagged(el, tag, role) {
  if (role === "columnheader") return true;
  if (tag !== "th") return false;
  const scope = String(attr(el, "scope") || "").toLowerCase();
  if (scope === "col") return true;
  if (scope === "row") return false;
  const row = el.parentElement;
  if (row && row.parentElement && tagOf(row.parentElement) === "thead") return true;
  return Boolean(row) && Array.from(row.children || []).every((cell) => tagOf(cell) === "th");
}

/** A table cell (a th that is no column header counts), given its tag and role. */
function cellTagged(el, tag, role) {
  return tag === "td" || (tag === "th" && !columnHeaderTagged(el, tag, role)) || CELL_ROLES.has(role);
}

/** `node` when it is editable or matches the policy's mask_selectors; null at body; else undefined. */
function maskDecision(node, maskSelectors) {
  const tag = tagOf(node);
  if (tag === "body" || tag === "html") return null;
  return isEditable(node) || (maskSelectors.length && matchesAny(node, maskSelectors)) ? node : undefined;
}

/** The data region `node` starts, null where the walk stops without one, else undefined. */
function regionDecision(node) {
  const tag = tagOf(node); // tag and role read once per node, not once per test
  if (tag === "body" || tag === "html") return null;
  const role = roleAttr(node);
  if (cellTagged(node, tag, role)) return { kind: "cell", node };
  if (tag === "tr" || role === "row") return { kind: "content", node };
  if (columnHeaderTagged(node, tag, role)) return null; // a header names a column: UI vocabulary
  if (listItemTagged(node, tag, role) || FEED_ROLES.has(role)) return { kind: "content", node };
  return undefined;
}

/**
 * Walk up from `el` to the first node `decide(node, arg)` decides (null at the root). `known`
 * (a Map, optional) keeps the result reached from each ancestor walked through, for one pass over
 * a page that does not change meanwhile: elements that share ancestors walk them once.
 */
function walkUp(el, decide, arg, known) {
  let result = null;
  let node = el;
  for (; node; node = node.parentElement) {
    const seen = known ? known.get(node) : undefined;
    if (seen !== undefined) {
      result = seen;
      break;
    }
    const decision = decide(node, arg);
    if (decision !== undefined) {
      result = decision;
      break;
    }
  }
  // The ancestors walked through (not `el`: most elements are leaves) lead to the same result.
  if (known && node !== el) {
    for (let up = el.parentElement; up && up !== node; up = up.parentElement) known.set(up, result);
  }
  return result;
}

const MASKS = {}; // memo keys (see policyLabel): ancestor -> masked node, ancestor -> region
const REGIONS = {};

function subMemo(memo, key) {
  let map = memo.get(key);
  if (!map) memo.set(key, (map = new Map()));
  return map;
}

/**
 * The data region around `el`: {kind: "cell", node} | {kind: "content", node} | null.
 * Editable text and the admin's mask_selectors win at any depth; otherwise the nearest region
 * counts (a list inside a cell is content, a cell's column still names it). `memo`: see
 * policyLabel (the same mask_selectors throughout one memo).
 */
export function dataRegionOf(el, maskSelectors = [], memo = null) {
  const masked = walkUp(el, maskDecision, maskSelectors, memo && subMemo(memo, MASKS));
  if (masked) return { kind: "content", node: masked };
  return walkUp(el, regionDecision, null, memo && subMemo(memo, REGIONS));
}

/** The table's rows in document order, lazily: the header row is usually the first one. */
function* rowsOf(table) {
  const children = table.children || [];
  for (let i = 0; i < children.length; i++) {
    const child = children[i]; // indexed: no copy of a 300-row tbody per cell
    if (tagOf(child) === "tr" || roleAttr(child) === "row") yield child;
    else if (tagOf(child) !== "table" && !TABLE_ROLES.has(roleAttr(child))) yield* rowsOf(child);
  }
}

const span = (cell) => Math.max(1, Number.parseInt(attr(cell, "colspan") || "1", 10) || 1);

function columnOf(cell) {
  const siblings = (cell.parentElement && cell.parentElement.children) || [];
  let column = 0;
  for (let i = 0; i < siblings.length; i++) {
    const sibling = siblings[i]; // indexed: no copy of the row per cell
    if (sibling === cell) return column;
    column += span(sibling);
  }
  return -1;
}

function tableOf(cell) {
  let table = cell.parentElement;
  while (table && tagOf(table) !== "table" && !TABLE_ROLES.has(roleAttr(table))) table = table.parentElement;
  return table;
}

function headerInTable(table, column) {
  for (const row of rowsOf(table)) {
    const cells = Array.from(row.children || []);
    if (!cells.length || !cells.some(isColumnHeader)) continue;
    let at = 0;
    for (const header of cells) {
      if (column >= at && column < at + span(header)) return isColumnHeader(header) ? header : null;
      at += span(header);
    }
    return null;
  }
  return null;
}

/** The column header cell above `cell`, or null. */
export function columnHeaderOf(cell) {
  const table = tableOf(cell);
  const column = columnOf(cell);
  return !table || column < 0 ? null : headerInTable(table, column);
}

/**
 * The text of an element that names another one (aria-labelledby, a <label>): "" when it is
 * ignored, [content] when it sits in a data region (a name in a table, an admin's masked element),
 * else its short text.
 */
function referencedText(ref, maskSelectors, memo) {
  if (typeof ref.closest === "function" && ref.closest(IGNORED) !== null) return "";
  return dataRegionOf(ref, maskSelectors, memo) ? CONTENT_LABEL : shortText(ref);
}

function labelledByText(el, maskSelectors, memo) {
  const ids = collapse(attr(el, "aria-labelledby"));
  if (!ids) return ""; // most elements: the document is not needed
  const doc = el.ownerDocument;
  if (!doc || typeof doc.getElementById !== "function") return "";
  const refs = ids.split(" ").map((id) => doc.getElementById(id)).filter(Boolean);
  const parts = refs.map((ref) => referencedText(ref, maskSelectors, memo));
  if (parts.includes(CONTENT_LABEL)) return CONTENT_LABEL;
  return parts.every(Boolean) ? collapse(parts.join(" ")) : "";
}

function ownName(el) {
  const tag = tagOf(el);
  const role = roleAttr(el);
  if (tag === "input") {
    const type = String(attr(el, "type") || "text").toLowerCase();
    // A button's value is the author's caption; any other input's value is what was typed.
    if (BUTTON_INPUTS.has(type)) return collapse(attr(el, "value")) || (type === "submit" ? "Submit" : "");
    if (type === "image") return collapse(attr(el, "alt"));
    return "";
  }
  if (FORM_CONTROLS.has(tag)) return "";
  const link = tag === "a" && attr(el, "href") !== null;
  if (link || NAMED_BY_TEXT_TAGS.has(tag) || NAMED_BY_TEXT_ROLES.has(role) || isColumnHeader(el)) {
    return shortText(el) || imageAlt(el);
  }
  return "";
}

function imageAlt(el) {
  const images = Array.from(el.children || []).filter((child) => tagOf(child) === "img");
  return images.length === 1 ? collapse(attr(images[0], "alt")) : "";
}

function fieldLabels(el, maskSelectors, memo) {
  if (!FORM_CONTROLS.has(tagOf(el))) return "";
  for (const label of Array.from(el.labels || [])) {
    const text = referencedText(label, maskSelectors, memo);
    if (text) return text;
  }
  return "";
}

/**
 * The accessible name of a control, by the order of accessible-name computation: aria-labelledby,
 * aria-label, an associated <label>, a button's/link's/menu item's/tab's own short text, title,
 * alt. Never a value (but a button's caption), a placeholder (rrweb PR #1912) or a container's text.
 * A name taken from another element is [content] when that element is in a data region
 * (`maskSelectors` and `memo` as for dataRegionOf), and none when it is ignored.
 */
export function accessibleName(el, maskSelectors = NO_SELECTORS, memo = null) {
  // In order, each computed only when the ones before gave nothing usable (no closures per call:
  // an observation names up to 200 elements on the page's main thread).
  let name = labelledByText(el, maskSelectors, memo);
  if (isName(name)) return name;
  name = collapse(attr(el, "aria-label"));
  if (isName(name)) return name;
  name = fieldLabels(el, maskSelectors, memo);
  if (isName(name)) return name;
  name = ownName(el);
  if (isName(name)) return name;
  name = collapse(attr(el, "title"));
  if (isName(name)) return name;
  const tag = tagOf(el);
  name = tag === "img" || tag === "area" ? collapse(attr(el, "alt")) : "";
  return isName(name) ? name : "";
}

const isName = (name) => Boolean(name) && name.length <= MAX_NAME_CHARS;

function columnName(cell, maskSelectors) {
  const header = columnHeaderOf(cell);
  return header ? accessibleName(header, maskSelectors) || shortText(header) : "";
}

/**
 * The name of the column holding `cell`. `memo` (a Map, optional) keeps each table's column names
 * for the length of one pass over a page that does not change meanwhile (an observation).
 */
function memoColumnName(cell, maskSelectors, memo) {
  const table = memo && tableOf(cell);
  const column = table ? columnOf(cell) : -1;
  if (column < 0) return columnName(cell, maskSelectors);
  let names = memo.get(table);
  if (!names) memo.set(table, (names = new Map()));
  if (!names.has(column)) names.set(column, columnName(cell, maskSelectors));
  return names.get(column);
}

/** "Name column" for a cell under a named column header, else "[content]". */
function structuralLabel(region, maskSelectors, memo) {
  if (region.kind !== "cell") return CONTENT_LABEL;
  const name = memoColumnName(region.node, maskSelectors, memo);
  return name ? `${name} column` : CONTENT_LABEL;
}

/**
 * The label of `el` under the policy, redacted, masked and at most `max` characters, or undefined.
 * `mask` hides words typed in this session (extension/shared/typed-words.js). `memo`: see
 * memoColumnName; pass a new Map per pass over an unchanging page, or none. `max` (the third
 * argument) overrides options.max.
 */
export function policyLabel(el, options = {}, max = options.max === undefined ? 80 : options.max) {
  // Read in place, not destructured with defaults: an observation labels up to 200 elements.
  const maskSelectors = options.maskSelectors === undefined ? NO_SELECTORS : options.maskSelectors;
  const mask = options.mask === undefined ? identity : options.mask;
  const memo = options.memo === undefined ? null : options.memo;
  const region = dataRegionOf(el, maskSelectors, memo);
  const raw = region ? structuralLabel(region, maskSelectors, memo) : accessibleName(el, maskSelectors, memo);
  const label = memo ? memoRedacted(raw, mask, max, memo) : redactLabel(mask(raw), max);
  return label || undefined;
}

const REDACTED = {}; // the memo's key for redacted labels (its other keys are tables)

/** redactLabel(mask(raw), max), once per distinct raw label in one pass (see memoColumnName). */
function memoRedacted(raw, mask, max, memo) {
  let byMax = memo.get(REDACTED);
  if (!byMax) memo.set(REDACTED, (byMax = new Map()));
  let labels = byMax.get(max);
  if (!labels) byMax.set(max, (labels = new Map()));
  let label = labels.get(raw);
  if (label === undefined) labels.set(raw, (label = cachedRedactLabel(mask(raw), max)));
  return label;
}

/** A submit's label: its submit button's name, else the form's own accessible name. */
export function submitLabel(form, submitter, options = {}) {
  if (submitter && submitter !== form) {
    const label = policyLabel(submitter, options);
    if (label) return label;
  }
  const { mask = (t) => t, max = 80, maskSelectors = NO_SELECTORS } = options;
  const name = labelledByText(form, maskSelectors, null) || collapse(attr(form, "aria-label")) || collapse(attr(form, "title"));
  return redactLabel(mask(name), max) || undefined;
}
