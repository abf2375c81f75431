/**
 * Build the wire form of an event: exactly the fields docs/protocol.md lists for its type, every
 * text redacted, every length inside the backend's limits. The service worker runs every event through
 * here, so a bug in the content script cannot widen what leaves the browser.
 */
import {
  ARIA_ROLES, CATEGORY_OF_TYPE, MAX_LABEL, MAX_SELECTOR, MAX_TAG, MAX_TITLE,
} from "./constants.js";
import { redactLabel, redactText, redactUrl } from "./redact.js";

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
  return target;
}

const isCount = (n, min, max) => Number.isInteger(n) && n >= min && n <= max;

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
    const title = redactLabel(mask(raw.title), MAX_TITLE);
    if (title) out.title = title;
  }
  return EXTRA_FIELDS[raw.type](raw, out, mask) ? out : null;
}
