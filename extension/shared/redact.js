/**
 * The one place that owns the redaction rules (docs/privacy.md). The backend applies the same
 * rules again (backend/core/redact.py): keep the two in step.
 */
import { ALLOWED_QUERY_PARAMS, MAX_URL } from "./constants.js";

// Unicode-aware, as backend/core/redact.py: `jöhn@exämple.com` is an e-mail too.
const EMAIL = /[\p{L}\p{N}_.%+-]+@[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.\p{L}{2,}/gu;
// 13-19 digits, optionally grouped by spaces or dashes: card-like, masked before shorter runs.
const CARD = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;
// Phone numbers written with separators: 555-123-4567, (555) 123 4567, +1 555.123.4567.
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)|\d{2,4})[ .-]?\d{3,4}[ .-]\d{3,4}(?!\w)/g;
const DIGITS = /\d{6,}/g;
const MAX_DECODE = 8;

export const EMAIL_MASK = "[email]";
export const CARD_MASK = "[card]";
export const DIGITS_MASK = "[number]";
export const PHONE_MASK = "[phone]";
export const INVALID_URL = "[invalid-url]";

// Unicode's format characters (category Cf, as of Unicode 15, listed so that
// backend/core/redact.py strips exactly the same): invisible, yet a soft hyphen or a zero-width
// space inside a word or an e-mail address hides it from every rule and from the typed-word mask.
export const FORMAT_CHARS =
  /[\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890\u0891\u08E2\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]/gu;

/**
 * Decode percent-encoding until stable, drop format characters, then NFKC-fold: what the rules
 * match against.
 */
export function normalise(text) {
  for (let i = 0; i < MAX_DECODE; i++) {
    const decoded = safeDecode(text);
    if (decoded === text) break;
    text = decoded;
  }
  return text.replace(FORMAT_CHARS, "").normalize("NFKC");
}

/** Mask e-mail addresses, card-like and phone numbers and digit runs of 6 or more. */
export function redactText(text) {
  if (typeof text !== "string") return "";
  return normalise(text)
    .replace(EMAIL, EMAIL_MASK)
    .replace(CARD, CARD_MASK)
    .replace(PHONE, PHONE_MASK)
    .replace(DIGITS, DIGITS_MASK);
}

/** Redact, collapse whitespace, then cut to `max` characters (redact first: a cut never unmasks). */
export function redactLabel(text, max) {
  // Never cut before redacting: half an e-mail or half a card number would slip past the rules.
  const clean = redactText(typeof text === "string" ? text.replace(/\s+/g, " ").trim() : "");
  return clean.length > max ? clean.slice(0, max - 1).trimEnd() + "…" : clean;
}

const REDACTIONS = new Map(); // max -> Map(text -> redactLabel(text, max))
/** Labels remembered at most (all maxes together); when full, the cache starts again. */
export const MAX_REDACTIONS = 4096;
/** Longer texts are redacted each time: the cache holds labels, not pages of text. */
export const MAX_REDACTED_TEXT = 256;
let redactions = 0;

/**
 * redactLabel(text, max), remembered: it depends on nothing but its two arguments, and the same
 * labels come back in each observation of a page. The observation builder and the cleaning of
 * every event (extension/shared/events.js) share it. Words typed in this session must be masked
 * before the call, in each pass: the mask changes as the employee types, the redaction does not.
 */
export function cachedRedactLabel(text, max) {
  if (typeof text !== "string" || text.length > MAX_REDACTED_TEXT) return redactLabel(text, max);
  let labels = REDACTIONS.get(max);
  if (!labels) REDACTIONS.set(max, (labels = new Map()));
  let label = labels.get(text);
  if (label === undefined) {
    label = redactLabel(text, max);
    if (redactions >= MAX_REDACTIONS) {
      REDACTIONS.clear(); // a page of ever new labels: start again rather than grow
      REDACTIONS.set(max, (labels = new Map()));
      redactions = 0;
    }
    labels.set(text, label);
    redactions++;
  }
  return label;
}

/** How many labels cachedRedactLabel holds now (for tests: it never passes MAX_REDACTIONS). */
export const cachedRedactions = () => redactions;

/** A run of percent-escapes, decoded as one (a character's UTF-8 bytes are escaped one by one). */
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;
/** Bytes that are not UTF-8 become U+FFFD (not fatal), as Python's unquote decodes them. */
const UTF8 = new TextDecoder("utf-8");

/**
 * `text` with each run of percent-escapes decoded, as backend/core/redact.py's `unquote` decodes
 * it: a malformed escape (a "%" not followed by two hex digits: "20%", a query a page put in its
 * route unencoded) is left as it is and does not stop the rest being decoded, as the whole text
 * would for decodeURIComponent.
 */
function safeDecode(text) {
  if (!text.includes("%")) return text;
  return text.replace(ESCAPES, (run) => UTF8.decode(Uint8Array.from(run.slice(1).split("%"), (hex) => parseInt(hex, 16))));
}

/** Re-encode a decoded path, leaving our mask brackets readable. */
function encodePath(path) {
  return encodeURI(path).replace(/%5B/gi, "[").replace(/%5D/gi, "]");
}

/**
 * A path masked and redacted: `mask` hides typed words in the redacted text; its
 * `mask.encodedRuns`, when it has one (extension/shared/typed-words.js, maskEncodedRuns), hides
 * runs that encode typed words before the rules cut a hex run's digits into `[number]`s.
 */
function maskPath(path, mask) {
  const unencoded = typeof mask.encodedRuns === "function" ? mask.encodedRuns(path) : path;
  return encodePath(mask(redactText(unencoded)));
}

/** A hash route (`#/path` or `#!/path`), masked like a path and without its own query; else "". */
export function redactRoute(hash, mask = (text) => text) {
  const route = /^#!?\//.exec(hash || "");
  if (!route) return "";
  const path = hash.slice(route[0].length).split("?", 1)[0];
  return route[0] + maskPath(path, mask);
}

/**
 * Keep scheme, host, port, a masked path and a masked hash route (`#/x`, `#!/x`); drop
 * credentials, any other fragment and every query parameter whose name is not allow-listed
 * (allow-listed values are masked too). `mask` hides words typed in this browser session.
 */
export function redactUrl(url, allowedParams = ALLOWED_QUERY_PARAMS, mask = (text) => text) {
  if (typeof url !== "string" || url === "") return "";
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return INVALID_URL;
  }
  // data:, javascript:, file: carry content in themselves: keep the scheme only.
  if (!/^https?:$/.test(parsed.protocol)) return parsed.protocol;
  const path = maskPath(parsed.pathname, mask);
  const kept = [];
  for (const [name, value] of parsed.searchParams) {
    if (allowedParams.includes(name)) {
      kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(redactText(value))}`);
    }
  }
  const query = kept.length ? `?${kept.join("&")}` : "";
  return `${parsed.protocol}//${parsed.host}${path}${query}${redactRoute(parsed.hash, mask)}`.slice(0, MAX_URL);
}

/** The origin of a URL ("http://127.0.0.1:8123"), or "" when it has none. */
export function originOf(url) {
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? "" : origin;
  } catch {
    return "";
  }
}
