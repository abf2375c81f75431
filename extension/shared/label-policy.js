/**
 * The label policy (docs/privacy.md, "Labels"): a label is a control's accessible name, never the
 * text of a container. Elements in data regions (table cells and rows, list items, tree items,
 * feeds and logs, editable text, the policy's mask_selectors) get a structural label: "Name column",
 * "column 3" or "[content]". A name that would hold a data region's text is "[content]" too.
 *
 * Uses only tagName, getAttribute, parentElement, children, labels, innerText/textContent,
 * ownerDocument.getElementById, matches, closest, querySelector and querySelectorAll (the last
 * three optional), so Node tests can pass plain objects.
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
/** scope values of a th that heads rows, not a column (a row group's title is a record's name). */
const ROW_SCOPES = new Set(["row", "rowgroup"]);
const COLUMN_SCOPES = new Set(["col", "colgroup"]);
const LIST_TAGS = new Set(["ul", "ol"]);
const LIST_ROLES = new Set(["list", "feed", "log"]);
const FEED_ROLES = new Set(["feed", "log"]);
/** Lists of commands, not of records: their items keep their names. */
const COMMAND_CONTAINERS = new Set(["navigation", "menu", "menubar", "tablist", "toolbar"]);
const NO_SELECTORS = Object.freeze([]);
/**
 * The parts of data regions, as one selector: an element holding one of these holds records, so its
 * text (a tbody, a wrapper around a table, a tree) is content, whatever it is borrowed for.
 */
const REGION_PARTS = [
  "tr", "td", "th", "li", "[role=row]", "[role=cell]", "[role=gridcell]", "[role=rowheader]",
  "[role=columnheader]", "[role=listitem]", "[role=treeitem]", "[role=article]", "[role=feed]",
  "[role=log]", "[role=textbox]", "[contenteditable='']", "[contenteditable=true]",
  "[contenteditable=plaintext-only]",
].join(",");
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

/**
 * Elements whose text is a list of choices or a field's text, never a name: a <label> wrapping its
 * select (`<label>Owner <select>…</select></label>`) or a header holding a filter select would
 * otherwise be named by every option (colleagues' names).
 */
const CHOICE_LISTS = "select, datalist, textarea, [role=listbox]";

/** The rendered text of `el` or, when unset (no layout), its text content. */
function renderedText(el) {
  const inner = el.innerText; // read once: each read walks the layout and builds a new string
  return typeof inner === "string" ? inner : el.textContent;
}

/**
 * The text of `el` without the text of the choice lists inside it (CHOICE_LISTS), collapsed; each
 * list's text is taken out whole, else option by option.
 */
function textOutsideChoices(el) {
  const text = collapse(renderedText(el));
  if (typeof el.querySelectorAll !== "function" || !text) return text;
  const lists = el.querySelectorAll(CHOICE_LISTS);
  if (!lists.length) return text; // most elements: no list inside
  let rest = ` ${text} `;
  const cut = (part) => {
    const own = collapse(part);
    if (own) rest = rest.split(` ${own} `).join(" ");
  };
  for (const list of Array.from(lists)) {
    const whole = collapse(renderedText(list));
    if (whole && rest.includes(` ${whole} `)) cut(whole);
    else for (const option of Array.from(list.children || [])) cut(renderedText(option));
  }
  return collapse(rest);
}

/** The element's rendered text, when short enough to be a name and holding nothing ignored; else "". */
export function shortText(el) {
  if (typeof el.querySelector === "function" && el.querySelector(IGNORED) !== null) return "";
  const text = textOutsideChoices(el);
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

/**
 * A column header: role=columnheader, a th with scope=col|colgroup, a th or td in a thead (a
 * spreadsheet's column letters or titles: jspreadsheet writes td there), or a th of the table's
 * header row (see isHeaderRow). Any other th heads rows: scope=row|rowgroup, or a row of only th
 * further down (a row group's title, often a customer's name), and is a cell, i.e. data.
 */
function isColumnHeader(el) {
  return columnHeaderTagged(el, tagOf(el), roleAttr(el));
}

function columnHeaderTagged(el, tag, role) {
  if (role === "columnheader") return true;
  if (tag === "td") return inTableHead(el);
  if (tag !== "th") return false;
  const scope = String(attr(el, "scope") || "").toLowerCase();
  if (COLUMN_SCOPES.has(scope)) return true;
  if (ROW_SCOPES.has(scope)) return false;
  const row = el.parentElement;
  if (!row) return false;
  const section = row.parentElement ? tagOf(row.parentElement) : "";
  if (section === "thead") return true;
  return section !== "tfoot" && isHeaderRow(row);
}

/** True for a cell of a row in a thead. */
function inTableHead(cell) {
  const row = cell.parentElement;
  return Boolean(row && row.parentElement && tagOf(row.parentElement) === "thead");
}

/**
 * A header row of a table without a thead: its first row, of th only, and not one th spanning
 * several columns (that titles the rows below it, as a row group's header does, naming no column).
 */
function isHeaderRow(row) {
  const cells = row.children || [];
  if (!cells.length) return false;
  for (let i = 0; i < cells.length; i++) if (tagOf(cells[i]) !== "th") return false;
  if (cells.length === 1 && span(cells[0]) > 1) return false;
  const table = tableOf(row);
  return Boolean(table) && firstRowOf(table) === row;
}

/** A tree item of records (not of a navigation tree, whose items are commands). */
function treeItemTagged(el, role) {
  return role === "treeitem" && !inCommandContainer(el);
}

/** `node` when it is editable or matches the policy's mask_selectors; null at body; else undefined. */
function maskDecision(node, maskSelectors) {
  const tag = tagOf(node);
  if (tag === "body" || tag === "html") return null;
  return isEditable(node) || (maskSelectors.length && matchesAny(node, maskSelectors)) ? node : undefined;
}

/**
 * The data region `node` starts, null where the walk stops without one, else undefined. A column
 * header is {kind: "header"}: its name is UI vocabulary only when it looks like it (headerLabel).
 */
function regionDecision(node) {
  const tag = tagOf(node); // tag and role read once per node, not once per test
  if (tag === "body" || tag === "html") return null;
  const role = roleAttr(node);
  if ((tag === "td" && !inTableHead(node)) || CELL_ROLES.has(role)) return { kind: "cell", node };
  if (tag === "th" || tag === "td" || role === "columnheader") {
    return { kind: columnHeaderTagged(node, tag, role) ? "header" : "cell", node };
  }
  if (tag === "tr" || role === "row") return { kind: "content", node };
  if (listItemTagged(node, tag, role) || treeItemTagged(node, role) || FEED_ROLES.has(role)) {
    return { kind: "content", node };
  }
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
 * The region around `el`: {kind: "cell" | "content" | "header", node} | null. Editable text and
 * the admin's mask_selectors win at any depth; otherwise the nearest region counts (a list inside a
 * cell is content, a cell's column still names it). `memo`: see policyLabel (the same
 * mask_selectors throughout one memo).
 */
function regionOf(el, maskSelectors, memo) {
  const masked = walkUp(el, maskDecision, maskSelectors, memo && subMemo(memo, MASKS));
  if (masked) return { kind: "content", node: masked };
  return walkUp(el, regionDecision, null, memo && subMemo(memo, REGIONS));
}

/**
 * The data region around `el`: {kind: "cell", node} | {kind: "content", node} | null. Inside a
 * column header there is none: a header is part of the table's interface (its controls keep their
 * ids in selectors), though its text is checked before it is used as a label (headerLabel).
 */
export function dataRegionOf(el, maskSelectors = [], memo = null) {
  const region = regionOf(el, maskSelectors, memo);
  return region && region.kind === "header" ? null : region;
}

/** The table's first row (in a thead, a tbody or the table itself), or null. */
function firstRowOf(table) {
  for (const row of rowsOf(table)) return row;
  return null;
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

/** The table or grid holding `cell` (or a row). */
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

const JOINED_MASKS = new WeakMap(); // a mask_selectors array -> its selectors as one selector list

/** True when an element inside `el` matches one of the policy's mask_selectors. */
function holdsMasked(el, maskSelectors) {
  if (!maskSelectors.length || typeof el.querySelector !== "function") return false;
  let joined = JOINED_MASKS.get(maskSelectors);
  if (joined === undefined) JOINED_MASKS.set(maskSelectors, (joined = maskSelectors.join(",")));
  try {
    return el.querySelector(joined) !== null; // one native walk for all of them
  } catch {
    // One selector that does not parse spoils the list: try them one by one, skipping it.
    return maskSelectors.some((selector) => {
      try {
        return el.querySelector(selector) !== null;
      } catch {
        return false;
      }
    });
  }
}

/**
 * The text of `el` as a name: "" when it holds an element marked data-overt-ignore (as shortText);
 * [content] when it holds a part of a data region (a row, a cell, a list or tree item, editable
 * text) or an element matching mask_selectors, whose text would otherwise ride along in the name;
 * else its short text.
 */
function textName(el, maskSelectors) {
  if (typeof el.querySelector === "function") {
    if (el.querySelector(IGNORED) !== null) return "";
    if (el.querySelector(REGION_PARTS) !== null || holdsMasked(el, maskSelectors)) return CONTENT_LABEL;
  }
  return shortText(el);
}

/** True when `el` opens a popup: aria-haspopup other than "false" (a menu, a listbox, a dialog). */
function opensPopup(el) {
  const popup = String(attr(el, "aria-haspopup") || "").trim().toLowerCase();
  return popup !== "" && popup !== "false";
}

/**
 * True when `el` may show a chosen value rather than its name: a combobox or a listbox (role), a
 * control that opens a popup (opensPopup) or discloses something (aria-expanded). A custom select
 * draws the chosen option in its own text and title (bootstrap-select's button, a Headless UI or
 * Radix select's trigger), and so does a picker built from a menu (a Bootstrap dropdown's toggle
 * whose text the app sets to the item chosen); an accordion's heading names its record: an
 * "Assignee" picker shows a colleague's name there, as a native select shows its chosen option.
 */
function showsValue(el) {
  const role = roleAttr(el);
  if (role === "combobox" || role === "listbox") return true;
  return opensPopup(el) || attr(el, "aria-expanded") !== null;
}

/** How many levels above a control its popup's trigger is looked for (a menu, a list, an item). */
const POPUP_DEPTH = 3;

/** A trigger of an open popup: it opens one (opensPopup) or is expanded (aria-expanded=true). */
const isTrigger = (el) => opensPopup(el) || attr(el, "aria-expanded") === "true";

/** True when `node` is labelled (aria-labelledby) by a trigger: a popup drawn in a portal. */
function labelledByTrigger(node) {
  const ids = collapse(attr(node, "aria-labelledby"));
  if (!ids) return false; // most elements
  const doc = node.ownerDocument;
  if (!doc || typeof doc.getElementById !== "function") return false;
  return ids.split(" ").some((id) => {
    const ref = doc.getElementById(id);
    return Boolean(ref) && ref !== node && isTrigger(ref);
  });
}

const OPEN_POPUPS = {}; // memo key: root (document or shadow root) -> ids open popup triggers name

/**
 * The ids that open popup triggers in `root` name in their aria-controls or aria-owns: a trigger
 * that opens a popup (opensPopup) and is expanded (aria-expanded=true). A tab's or an
 * accordion's aria-controls (no popup) names no popup: its panel is not a picker's.
 */
function openPopupIds(root) {
  const ids = new Set();
  if (!root || typeof root.querySelectorAll !== "function") return ids;
  for (const trigger of Array.from(root.querySelectorAll("[aria-controls],[aria-owns]"))) {
    if (attr(trigger, "aria-expanded") !== "true" || !opensPopup(trigger)) continue;
    for (const name of ["aria-controls", "aria-owns"]) {
      for (const id of collapse(attr(trigger, name)).split(" ")) if (id) ids.add(id);
    }
  }
  return ids;
}

/**
 * True when an open popup trigger names `node` in its aria-controls or aria-owns (openPopupIds):
 * a popup drawn in a portal, tied to its trigger only so (Radix's DropdownMenu, whose menu is
 * labelled by an id the app's own id on the trigger replaces). `memo` (see policyLabel) keeps the
 * ids per root for one pass; without it they are looked up when an ancestor has an id.
 */
function controlledByOpenTrigger(node, memo) {
  const id = attr(node, "id");
  if (!id) return false; // most elements
  const root = typeof node.getRootNode === "function" ? node.getRootNode() : node.ownerDocument;
  if (!root) return false;
  let ids;
  if (memo) {
    const byRoot = subMemo(memo, OPEN_POPUPS);
    ids = byRoot.get(root);
    if (!ids) byRoot.set(root, (ids = openPopupIds(root)));
  } else ids = openPopupIds(root);
  return ids.has(id);
}

/**
 * True when `el` is inside the popup of a trigger: an ancestor, at most POPUP_DEPTH up, follows
 * a trigger (isTrigger: a Bootstrap dropdown's menu after its toggle, a menu button's menu), is
 * labelled by one (aria-labelledby: Headless UI's menus, drawn in a portal) or is named by an
 * open one's aria-controls or aria-owns (controlledByOpenTrigger: a menu in a portal tied to its
 * trigger only so, Radix's DropdownMenu). A picker's menu lists the choices, often colleagues, as
 * links or buttons named by their text.
 */
function inOpenPopup(el, memo) {
  let node = el.parentElement;
  for (let depth = 0; node && depth < POPUP_DEPTH; depth++, node = node.parentElement) {
    const before = node.previousElementSibling;
    if ((before && isTrigger(before)) || labelledByTrigger(node) || controlledByOpenTrigger(node, memo)) return true;
  }
  return false;
}

/** True when `el`'s own text and title may be a chosen value: showsValue, or inOpenPopup. */
const mayShowValue = (el, memo) => showsValue(el) || inOpenPopup(el, memo);

/**
 * The text or title of a control that shows a chosen value (showsValue), as a name: kept only when
 * it has the shape of UI vocabulary ("High", "Returning customer"), as a chosen option is in a
 * change's value; else [content] ("Thaddeus Wrexham").
 */
const valueAsName = (text) => {
  if (!text || text === CONTENT_LABEL || looksLikeVocabulary(text)) return text;
  if (noting) noting.add(choiceKey(text));
  return CONTENT_LABEL;
};

/**
 * While policyLabel runs: its options' `choices`, which note each name valueAsName holds as
 * [content] (a colleague offered in a picker's popup or options, or shown by its trigger).
 */
let noting = null;
const CHOICE_WORD = /[\p{L}\p{N}\p{M}]+/gu;
/** Names held so have two words or more: one word has the shape of UI vocabulary. */
const MIN_CHOICE_WORDS = 2;

/** The form a name is noted and looked up in: its words (letters, digits), one space between. */
export function choiceKey(text) {
  return (String(text).match(CHOICE_WORD) || []).join(" ");
}

/**
 * True when `name` holds, as whole words, a name `choices` noted (valueAsName): a chip, a
 * `div role=button` or a button holding a colleague chosen in a picker elsewhere on the page
 * ("TW Thaddeus Wrexham ×"), which has no popup semantics of its own. Only names the policy
 * held as [content] where they were offered count, so that ordinary buttons keep their names.
 */
function holdsChoice(name, choices) {
  const words = name.match(CHOICE_WORD) || [];
  for (let from = 0; from < words.length; from++) {
    for (let to = from + MIN_CHOICE_WORDS; to <= words.length && to - from <= MAX_NAME_WORDS; to++) {
      if (choices.has(words.slice(from, to).join(" "))) return true;
    }
  }
  return false;
}

/**
 * The text of an element that names another one (aria-labelledby, a <label>): "" when it is
 * ignored, [content] when it sits in or holds a data region (a name in a table, a tbody, an admin's
 * masked element), the text of a column header or of a control showing a chosen value (a custom
 * select's trigger, which names itself by its own text) only when it looks like UI vocabulary
 * (headerLabel, valueAsName), else its short text.
 */
function referencedText(ref, maskSelectors, memo) {
  if (typeof ref.closest === "function" && ref.closest(IGNORED) !== null) return "";
  const region = regionOf(ref, maskSelectors, memo);
  if (region && region.kind !== "header") return CONTENT_LABEL;
  const text = textName(ref, maskSelectors);
  if (showsValue(ref)) return valueAsName(text);
  return !region || !text || looksLikeVocabulary(text) ? text : CONTENT_LABEL;
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

/** The control's own name: a button's caption, or the own text (else image) of a named-by-text element. */
function ownName(el, maskSelectors, memo) {
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
    const own = textName(el, maskSelectors) || imageAlt(el, maskSelectors);
    return mayShowValue(el, memo) ? valueAsName(own) : own;
  }
  return "";
}

/** The alt of the one image a control holds, unless that image is ignored or masked. */
function imageAlt(el, maskSelectors) {
  const images = Array.from(el.children || []).filter((child) => tagOf(child) === "img");
  if (images.length !== 1) return "";
  const image = images[0];
  if (attr(image, IGNORE_ATTRIBUTE) !== null) return "";
  return maskSelectors.length && matchesAny(image, maskSelectors) ? CONTENT_LABEL : collapse(attr(image, "alt"));
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
 * alt. Never a value (but a button's caption), a placeholder (rrweb PR #1912) or a container's text;
 * the text and title of a control showing a chosen value (showsValue) only when they look like UI
 * vocabulary.
 * A name taken from another element is [content] when that element is in or holds a data region
 * (`maskSelectors` and `memo` as for dataRegionOf), and none when it is ignored; so is a name from
 * the control's own text when that holds a part of a data region or a mask_selectors match.
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
  name = ownName(el, maskSelectors, memo);
  if (isName(name)) return name;
  name = collapse(attr(el, "title"));
  if (name && mayShowValue(el, memo)) name = valueAsName(name); // a custom select's title is its value too
  if (isName(name)) return name;
  const tag = tagOf(el);
  name = tag === "img" || tag === "area" ? collapse(attr(el, "alt")) : "";
  return isName(name) ? name : "";
}

const isName = (name) => Boolean(name) && name.length <= MAX_NAME_CHARS;

/** Proper names capitalise every word ("Ottilie Brackwater"); UI words after the first do not. */
const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;
const FIRST_LETTER = /\p{L}/u;

/** The first letter of `word`, or "" (a number, a symbol). */
function firstLetter(word) {
  const found = FIRST_LETTER.exec(word);
  return found ? found[0] : "";
}

/**
 * Words of column headers that business apps write in Title Case or capitals ("Due Date", "Order
 * ID", "CLOSE DATE"): a capitalised later word is still vocabulary when it is one of these. Not a
 * list of every header word, only of words no one is named (a name's words are not here, so
 * "Ottilie Brackwater" stays a name).
 */
const HEADER_WORDS = new Set(`account accounts action actions activity address age amount assigned
  assignee attachments author balance billing birth budget build campaign category channel city
  client close closed code comment comments company completed contact contract cost count country
  created currency customer date days deadline deal department description discount document
  documents domain due duration email employee end ends environment estimate eta event expires
  expiry file files first frequency from group health hours id invoice ip issue item items job
  key label labels language last lead level license limit line link location login manager
  member members method modified month name next no note notes number office open opened order
  orders owner paid parent payment percent period phone plan po position postal price priority
  probability product progress project qty quantity rate rating reason received reference region
  release renewal reporter revenue role score seats sent shipped shipping size sku sla source
  stage start starts state status subject subscription summary supplier tags task tasks tax team
  territory ticket tier time title to total type unit units updated url usage user username value
  vat vendor version views week weight year zip at by for in of on per with`.split(/\s+/));

/** True when a word after a header's first may begin with a capital: one of HEADER_WORDS. */
function headerWord(word) {
  return HEADER_WORDS.has(word.replace(/[^\p{L}\p{N}]/gu, "").toLowerCase());
}

/**
 * True when `name` (collapsed) has the shape of UI vocabulary, as a column header's name must to
 * be used (docs/privacy.md, rule 2): one word ("Actions", "Status"), or words in sentence case, the
 * first capitalised and every later one starting in lower case or with no letter ("Due date",
 * "Week 12"), or in Title Case or capitals with every word a header word (HEADER_WORDS: "Due
 * Date", "ORDER ID"). A person's or company's name ("Ottilie Brackwater", "Ottilie Price", "ACME
 * CORP", "Customer: Leopold Fairweather") has a capital after the first word and a word that is
 * no header word; in scripts without case, several words fail.
 */
export function looksLikeVocabulary(name) {
  if (!name || name === CONTENT_LABEL) return false;
  const words = name.split(" ");
  if (words.length === 1) return true;
  const first = firstLetter(words[0]);
  if (first && !UPPER.test(first)) return false;
  for (let i = 1; i < words.length; i++) {
    const letter = firstLetter(words[i]);
    // Title Case: every word a header word, the first too ("Ottilie Price" is a name).
    if (letter && !LOWER.test(letter)) return words.every((word) => !firstLetter(word) || headerWord(word));
  }
  return true;
}

/** The 1-based position of a column header in its row, for a label that names no one. */
const columnNumber = (header) => columnOf(header) + 1;

/**
 * The label of a cell's column: "Name column" under a header whose name looks like UI vocabulary,
 * "column 3" under any other header (a roster's column of a colleague), "[content]" without one.
 */
function columnLabel(cell, maskSelectors) {
  const header = columnHeaderOf(cell);
  if (!header) return CONTENT_LABEL;
  const name = accessibleName(header, maskSelectors) || textName(header, maskSelectors);
  if (!name) return CONTENT_LABEL;
  return looksLikeVocabulary(name) ? `${name} column` : `column ${columnNumber(header)}`;
}

/**
 * The label of the column holding `cell`. `memo` (a Map, optional) keeps each table's column
 * labels for the length of one pass over a page that does not change meanwhile (an observation).
 */
function memoColumnLabel(cell, maskSelectors, memo) {
  const table = memo && tableOf(cell);
  const column = table ? columnOf(cell) : -1;
  if (column < 0) return columnLabel(cell, maskSelectors);
  let labels = memo.get(table);
  if (!labels) memo.set(table, (labels = new Map()));
  if (!labels.has(column)) labels.set(column, columnLabel(cell, maskSelectors));
  return labels.get(column);
}

/**
 * The label of `el` in (or being) a column header: its accessible name when that looks like UI
 * vocabulary ("Name", a sort button's "Sort"), else "column 3 header": a header's text may be
 * data (a roster's colleague), so it is held to the shape a column's name lent to cells must have.
 * A form field there without a name of its own (a grid's header filter) takes the header's name,
 * held to the same shape: the Name column's filter is "Name".
 */
function headerLabel(el, header, maskSelectors, memo) {
  let name = accessibleName(el, maskSelectors, memo);
  if (!name && el !== header && FORM_CONTROLS.has(tagOf(el))) name = accessibleName(header, maskSelectors, memo);
  if (!name || looksLikeVocabulary(name)) return name;
  return `column ${columnNumber(header)} header`;
}

/**
 * A path segment or query value that names one record: a number of two digits or more (`4821`),
 * a UUID, or six characters or more mixing letters and two digits or more (`PROJ-1234`,
 * `a8f3k2j9`). Section and page names (`privacy-policy`, `settings`, `page/2`, `section-3`) are not.
 */
const RECORD_ID = /^(?:\d{2,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=(?:[\w.~-]*\d){2})(?=[\w.~-]*\p{L})[\w.~-]{6,})$/iu;

/** True when `href` points at one record: its path's or hash route's last segment, or a query value, is a RECORD_ID. */
export function isRecordHref(href) {
  if (!href) return false;
  const [beforeHash, route = ""] = String(href).replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").split("#", 2);
  const [path, query = ""] = beforeHash.split("?", 2);
  const last = (part) => part.split("/").filter(Boolean).pop() || "";
  const values = query.split("&").map((pair) => pair.split("=")[1] || "");
  return [last(path), last(route.split("?")[0]), ...values].some((part) => {
    let segment = part;
    try {
      segment = decodeURIComponent(part);
    } catch {
      // a malformed escape: tested as written
    }
    return RECORD_ID.test(segment);
  });
}

/**
 * A link to one record (isRecordHref) keeps its name only when that has the shape of UI vocabulary
 * (looksLikeVocabulary: "View", "Open invoice"); a record's name is "[content]" ("Hortensia
 * Blackwood", "Acme Corp renewal"): cards, breadcrumbs, recent items and mentions link to records
 * by their names outside any table or list.
 */
function recordLinkName(el, name) {
  if (!name || name === CONTENT_LABEL || tagOf(el) !== "a" || looksLikeVocabulary(name)) return name;
  return isRecordHref(attr(el, "href")) ? CONTENT_LABEL : name;
}

/**
 * True when `el` is inside an option (not the option itself), a native <option> or role=option:
 * a chosen colleague's chip in a listbox holding a remove button named "Remove item: Perpetua
 * Holloway" (Choices.js). An option's text is a choice, often a colleague's name, and controls in
 * it are named after it. Walked as inCommandContainer walks: one way, with or without `closest`.
 */
function insideOption(el) {
  for (let node = el.parentElement; node; node = node.parentElement) {
    if (tagOf(node) === "option" || roleAttr(node) === "option") return true;
  }
  return false;
}

/**
 * True when `el` is an option (an <option>, role=option): a choice, often a colleague. It has no
 * name of its own text, but one it borrows (Radix's items are aria-labelledby their text) or is
 * given is held to the shape of UI vocabulary, as a chosen option in a change is (valueAsName).
 */
const isOption = (el) => tagOf(el) === "option" || roleAttr(el) === "option";

/** The structural label of `el` in `region`: see columnLabel, headerLabel; else "[content]". */
function structuralLabel(el, region, maskSelectors, memo) {
  if (region.kind === "cell") return memoColumnLabel(region.node, maskSelectors, memo);
  if (region.kind === "header") return headerLabel(el, region.node, maskSelectors, memo);
  return CONTENT_LABEL;
}

/**
 * The label of `el` under the policy, redacted, masked and at most `max` characters, or undefined.
 * `mask` hides words typed in this session (extension/shared/typed-words.js). `memo`: see
 * memoColumnLabel; pass a new Map per pass over an unchanging page, or none. `choices`
 * ({add(key), has(key), size}, optional, kept by the caller for the document: content/capture.js)
 * notes the names held as [content] as choices (valueAsName, by choiceKey) and makes any other
 * name holding one [content] (holdsChoice). `max` (the third argument) overrides options.max.
 */
export function policyLabel(el, options = {}, max = options.max === undefined ? 80 : options.max) {
  // Read in place, not destructured with defaults: an observation labels up to 200 elements.
  const maskSelectors = options.maskSelectors === undefined ? NO_SELECTORS : options.maskSelectors;
  const mask = options.mask === undefined ? identity : options.mask;
  const memo = options.memo === undefined ? null : options.memo;
  const choices = options.choices === undefined ? null : options.choices;
  const region = regionOf(el, maskSelectors, memo);
  let raw;
  if (region) raw = structuralLabel(el, region, maskSelectors, memo);
  else if (insideOption(el)) raw = CONTENT_LABEL;
  else {
    noting = choices;
    try {
      if (isOption(el)) raw = valueAsName(accessibleName(el, maskSelectors, memo));
      else raw = recordLinkName(el, accessibleName(el, maskSelectors, memo));
    } finally {
      noting = null;
    }
    if (choices && choices.size && raw && raw !== CONTENT_LABEL && holdsChoice(raw, choices)) raw = CONTENT_LABEL;
  }
  const label = memo ? memoRedacted(raw, mask, max, memo) : redactLabel(mask(raw), max);
  return label || undefined;
}

const REDACTED = {}; // the memo's key for redacted labels (its other keys are tables)

/** redactLabel(mask(raw), max), once per distinct raw label in one pass (see memoColumnLabel). */
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
