/**
 * Build the wire form of an event: exactly the fields docs/protocol.md lists for its type, every
 * text redacted, every length inside the backend's limits. The service worker runs every event through
 * here, so a bug in the content script cannot widen what leaves the browser.
 */
import {
  ARIA_ROLES, CATEGORY_OF_TYPE, CHANGE_TARGETS, COMMAND_KEYS, MAX_ELEMENTS, MAX_GOAL, MAX_LABEL, MAX_OBSERVATION_BYTES,
  MAX_SELECTOR, MAX_TAG, MAX_TITLE,
} from "./constants.js";
import { jsonStringBytes, utf8Length } from "./observe.js";
import { cachedRedactLabel, redactLabel, redactText, redactUrl } from "./redact.js";

/** The consent category of an event type, or undefined for an unknown type. */
export function categoryOf(type) {
  return Object.hasOwn(CATEGORY_OF_TYPE, type) ? CATEGORY_OF_TYPE[type] : undefined;
}

const identity = (text) => text;

/** Mask typed words inside a selector's ids and attribute values (tags and positions are ours). */
function maskSelector(selector, mask) {
  return selector.replace(/#[\w-]+|="[^"]*"/g, (part) => mask(part));
}

function cleanTarget(raw, mask) {
  if (!raw || typeof raw !== "object") return null;
  const selector = maskSelector(redactText(String(raw.selector || "")), mask).slice(0, MAX_SELECTOR);
  const tag = String(raw.tag || "").toLowerCase().replace(/[^a-z0-9-]/g, "").slice(0, MAX_TAG);
  // The backend's tag rule (backend/core/events.py): a letter first, never a run of 6+ digits.
  if (!selector || !/^[a-z]/.test(tag) || /\d{6}/.test(tag)) return null;
  const target = { selector, tag };
  if (typeof raw.role === "string" && ARIA_ROLES.has(raw.role)) target.role = raw.role;
  if (typeof raw.label === "string") {
    const label = redactLabel(mask(raw.label), MAX_LABEL);
    if (label) target.label = label;
  }
  if (typeof raw.bid === "string" && BID.test(raw.bid)) target.bid = raw.bid;
  return target;
}

/** Episode ids: short random tokens (backend/core/events.py checks the same pattern). */
export const TOKEN = /^[A-Za-z0-9_-]{8,32}$/;
const BID = /^b[0-9]{1,6}$/;
const MODS = ["alt", "ctrl", "meta", "shift"];

/** The tag as the wire has it (lower case, [a-z0-9-], at most MAX_TAG), or "" when it is refused. */
function cleanTag(raw) {
  const tag = String(raw || "").toLowerCase().replace(/[^a-z0-9-]/g, "").slice(0, MAX_TAG);
  // The backend's tag rule (backend/core/events.py): a letter first, never a run of 6+ digits.
  return /^[a-z]/.test(tag) && !/\d{6}/.test(tag) ? tag : "";
}

const CLEAN_TAGS = new Map(); // tag string -> cleanTag of it (a page has a few dozen tags)
const MAX_CLEAN_TAGS = 512; // more distinct tags are cleaned each time

/** cleanTag, remembered for strings (a pure function of its argument). */
function knownTag(raw) {
  if (typeof raw !== "string") return cleanTag(raw);
  let tag = CLEAN_TAGS.get(raw);
  if (tag === undefined) {
    tag = cleanTag(raw);
    if (CLEAN_TAGS.size < MAX_CLEAN_TAGS) CLEAN_TAGS.set(raw, tag);
  }
  return tag;
}

/** The four state flags (checked, selected, expanded, disabled) in this order, each kept only when it is a boolean. */
function cleanState(raw) {
  const state = {};
  if (!raw) return state;
  // Each flag read once, no loop per element (up to 200 per observation).
  const { checked, selected, expanded, disabled } = raw;
  if (typeof checked === "boolean") state.checked = checked;
  if (typeof selected === "boolean") state.selected = selected;
  if (typeof expanded === "boolean") state.expanded = expanded;
  if (typeof disabled === "boolean") state.disabled = disabled;
  return state;
}

function cleanElement(raw, mask) {
  if (!raw || typeof raw !== "object" || !BID.test(String(raw.bid))) return null;
  const tag = knownTag(raw.tag);
  const box = Array.isArray(raw.box) && raw.box.length === 4 && raw.box.every(Number.isInteger) ? raw.box : null;
  if (!tag || !box) return null;
  const element = { bid: raw.bid, tag };
  if (typeof raw.role === "string" && ARIA_ROLES.has(raw.role)) element.role = raw.role;
  if (typeof raw.label === "string") {
    const label = cachedRedactLabel(mask(raw.label), MAX_LABEL);
    if (label) element.label = label;
  }
  element.state = cleanState(raw.state);
  element.box = box;
  return element;
}

function cleanElements(list, mask) {
  if (!Array.isArray(list) || list.length > MAX_ELEMENTS) return null;
  const elements = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const element = cleanElement(list[i], mask); // indexed, stopping at the first bad element
    if (element === null) return null;
    elements[i] = element;
  }
  return observationBytes(elements) <= MAX_OBSERVATION_BYTES ? elements : null;
}

/** Characters of JSON.stringify(n) for an integer n; most are box coordinates under 10,000. */
function integerChars(n) {
  if (n >= 0 && n < 1e5) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 1e4 ? 4 : 5; // -0 is "0"
  return String(n).length;
}

// The JSON of a state flag, with its comma: `,"checked":true`; the first one has no comma.
const FLAG_KEY_BYTES = { checked: 11, selected: 12, expanded: 12, disabled: 12 };

/**
 * UTF-8 bytes of the compact JSON of one cleaned element, counted from its parts without building
 * it; -1 when the element is not of the plain shape counted here (JSON.stringify measures it).
 */
function elementBytes(element) {
  const { bid, box, state } = element;
  if (typeof bid !== "string" || box.toJSON !== undefined) return -1;
  // {"bid":…,"tag":…  ,"state":{…}  ,"box":[a,b,c,d] }: 7, 7, 9, 7, 2 + 3 commas, 1
  let bytes = 7 + jsonStringBytes(bid) + 7 + jsonStringBytes(element.tag) + 9 + 7 + 5 + 1;
  if (element.role !== undefined) bytes += 8 + jsonStringBytes(element.role); // ,"role":
  if (element.label !== undefined) bytes += 9 + jsonStringBytes(element.label); // ,"label":
  let flags = 1; // state's braces, less the comma the first flag does not have
  for (const name in state) flags += FLAG_KEY_BYTES[name] + (state[name] ? 4 : 5);
  bytes += flags === 1 ? 2 : flags;
  for (let i = 0; i < 4; i++) {
    const n = box[i];
    if (!Number.isInteger(n)) return -1; // a hole in the box: JSON.stringify writes null
    bytes += integerChars(n);
  }
  return bytes;
}

/**
 * UTF-8 bytes of JSON.stringify(elements) for a cleaned list: counted from its parts when every
 * element is of the plain shape (what the builder sends), else the JSON encoded and counted.
 */
export function observationBytes(elements) {
  let bytes = elements.length ? 1 + elements.length : 2; // brackets and commas
  for (let i = 0; i < elements.length; i++) {
    const size = elementBytes(elements[i]);
    if (size < 0) return utf8Length(JSON.stringify(elements));
    bytes += size;
  }
  return bytes;
}

function isShortcut(key, mods) {
  if (COMMAND_KEYS.includes(key)) return true;
  return /^[A-Za-z0-9]$/.test(key) && (mods.includes("ctrl") || mods.includes("meta"));
}

const isCount = (n, min, max) => Number.isInteger(n) && n >= min && n <= max;

/** True when a cleaned `target` is a control whose change carries `field` (value or checked). */
function isChoiceTarget(target, field) {
  const { tags, roles } = CHANGE_TARGETS[field];
  return tags.includes(target.tag) && roles.includes(target.role ?? null);
}

const EXTRA_FIELDS = {
  page_view(raw, out, mask) {
    if (raw.referrer) out.referrer = redactUrl(raw.referrer, undefined, mask);
    return true;
  },
  route_change(raw, out, mask) {
    if (raw.from) out.from = redactUrl(raw.from, undefined, mask);
    return out.from !== out.url; // a fragment change that redaction erased is no route change
  },
  click(raw, out, mask) {
    out.target = cleanTarget(raw.target, mask);
    return out.target !== null;
  },
  submit(raw, out, mask) {
    out.target = cleanTarget(raw.target, mask);
    out.fields = raw.fields;
    return out.target !== null && isCount(raw.fields, 0, 10_000);
  },
  scroll(raw, out) {
    out.depth = raw.depth;
    if (isCount(raw.y, 0, 1e8)) out.y = raw.y;
    return isCount(raw.depth, 0, 100);
  },
  tab_focus() {
    return true;
  },
  visibility(raw, out) {
    out.state = raw.state;
    return raw.state === "visible" || raw.state === "hidden";
  },
  input_activity(raw, out, mask) {
    out.target = cleanTarget(raw.target, mask);
    out.count = raw.count;
    return out.target !== null && isCount(raw.count, 1, 100_000);
  },
  change(raw, out, mask) {
    out.target = cleanTarget(raw.target, mask);
    if (typeof raw.checked === "boolean") out.checked = raw.checked;
    else if (typeof raw.value === "string") out.value = redactLabel(mask(raw.value), MAX_LABEL);
    const field = typeof out.checked === "boolean" ? "checked" : "value";
    // A text field's change is never sent, whatever the content script hands over.
    return out.target !== null && field in out && isChoiceTarget(out.target, field);
  },
  key(raw, out, mask) {
    const mods = Array.isArray(raw.mods) ? MODS.filter((m) => raw.mods.includes(m)) : [];
    out.key = raw.key;
    out.mods = mods;
    if (raw.target) {
      const target = cleanTarget(raw.target, mask);
      if (target) out.target = target;
    }
    return typeof raw.key === "string" && isShortcut(raw.key, mods);
  },
  observation(raw, out, mask) {
    out.elements = cleanElements(raw.elements, mask);
    return out.elements !== null;
  },
  task_start(raw, out, mask) {
    out.task = raw.task;
    out.goal = redactLabel(mask(String(raw.goal || "")), MAX_GOAL);
    return TOKEN.test(String(raw.task)) && out.goal.length > 0;
  },
  task_end(raw, out) {
    out.task = raw.task;
    out.outcome = raw.outcome;
    return TOKEN.test(String(raw.task)) && (raw.outcome === "done" || raw.outcome === "abandoned");
  },
};

/**
 * Return the redacted wire event for `raw` with the given id, or null when it is malformed.
 * `mask` replaces words typed in this browser session (extension/shared/typed-words.js) in the
 * title, labels, selectors' ids and URL paths.
 */
export function sanitizeEvent(raw, id, mask = identity) {
  if (!raw || typeof raw !== "object" || !categoryOf(raw.type)) return null;
  const url = redactUrl(raw.url, undefined, mask);
  if (!url || !Number.isInteger(raw.ts) || raw.ts <= 0) return null;
  const out = { id, type: raw.type, ts: raw.ts, url };
  if (typeof raw.title === "string") {
    const title = cachedRedactLabel(mask(raw.title), MAX_TITLE); // a page's title repeats
    if (title) out.title = title;
  }
  if (typeof raw.page === "string" && TOKEN.test(raw.page)) out.page = raw.page;
  return EXTRA_FIELDS[raw.type](raw, out, mask) ? out : null;
}
