/**
 * The one place that owns the redaction rules (docs/privacy.md). The backend applies the same
 * rules again (backend/core/redact.py): keep the two in step.
 */
import { ALLOWED_QUERY_PARAMS, MAX_URL } from "./constants.js";

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// 13-19 digits, optionally grouped by spaces or dashes: card-like, masked before shorter runs.
const CARD = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;
const DIGITS = /\d{6,}/g;

export const EMAIL_MASK = "[email]";
export const CARD_MASK = "[card]";
export const DIGITS_MASK = "[number]";
export const INVALID_URL = "[invalid-url]";

/** Mask e-mail addresses, card-like numbers and digit runs of 6 or more. */
export function redactText(text) {
  if (typeof text !== "string") return "";
  return text.replace(EMAIL, EMAIL_MASK).replace(CARD, CARD_MASK).replace(DIGITS, DIGITS_MASK);
}

/** Redact, collapse whitespace, then cut to `max` characters (redact first: a cut never unmasks). */
export function redactLabel(text, max) {
  // Never cut before redacting: half an e-mail or half a card number would slip past the rules.
  const clean = redactText(typeof text === "string" ? text.replace(/\s+/g, " ").trim() : "");
  return clean.length > max ? clean.slice(0, max - 1).trimEnd() + "…" : clean;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Re-encode a decoded path, leaving our mask brackets readable. */
function encodePath(path) {
  return encodeURI(path).replace(/%5B/gi, "[").replace(/%5D/gi, "]");
}

/**
 * Keep scheme, host, port and a masked path; drop credentials, the fragment and every query
 * parameter whose name is not allow-listed (allow-listed values are masked too).
 */
export function redactUrl(url, allowedParams = ALLOWED_QUERY_PARAMS) {
  if (typeof url !== "string" || url === "") return "";
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return INVALID_URL;
  }
  if (!/^https?:$/.test(parsed.protocol)) return `${parsed.protocol}//${parsed.host}`;
  const path = encodePath(redactText(safeDecode(parsed.pathname)));
  const kept = [];
  for (const [name, value] of parsed.searchParams) {
    if (allowedParams.includes(name)) {
      kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(redactText(value))}`);
    }
  }
  const query = kept.length ? `?${kept.join("&")}` : "";
  return `${parsed.protocol}//${parsed.host}${path}${query}`.slice(0, MAX_URL);
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
