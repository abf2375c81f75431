/**
 * Decide whether capture runs, from plain state. The service worker computes the gate and
 * publishes it to chrome.storage.session; content scripts read it to stop at once in every tab,
 * and the worker checks it again for every event (content scripts are never trusted alone).
 */
import { CATEGORIES, GRACE_SECONDS, PLACE, STATUS } from "./constants.js";

/** An active self-snooze: until is null ("until I resume") or a time in the future. */
export function isSnoozed(snooze, now) {
  return Boolean(snooze) && (snooze.until === null || snooze.until > now);
}

/** Categories the employee consented to AND the policy asks for. */
export function effectiveCategories(consent, policy) {
  const granted = (consent && consent.categories) || {};
  const asked = (policy && Array.isArray(policy.categories) && policy.categories) || [];
  return CATEGORIES.filter((c) => granted[c] === true && asked.includes(c));
}

/** True while the last contact with the backend is within the grace period. */
export function withinGrace(lastContact, now, graceSeconds = GRACE_SECONDS) {
  return Number.isFinite(lastContact) && now - lastContact <= graceSeconds * 1000;
}

/**
 * The capture status, most restrictive first:
 * not configured, bad token, paused by admin, paused by me, no recent contact, capturing.
 */
export function captureStatus(state, now, graceSeconds = GRACE_SECONDS) {
  if (!state.configured) return STATUS.NOT_CONFIGURED;
  if (state.authError) return STATUS.BAD_TOKEN;
  if (state.pauses && Object.keys(state.pauses).length) return STATUS.PAUSED_ADMIN;
  if (isSnoozed(state.snooze, now)) return STATUS.PAUSED_SELF;
  // An open, welcomed socket is contact; the grace period counts from when it was lost.
  const inContact = state.connected === true || withinGrace(state.lastContact, now, graceSeconds);
  if (!state.policy || !inContact) return STATUS.DISCONNECTED;
  return STATUS.CAPTURING;
}

/** The policy's mask_selectors: CSS selectors whose elements get structural labels only. */
export function maskSelectorsOf(policy) {
  const list = policy && Array.isArray(policy.mask_selectors) ? policy.mask_selectors : [];
  return list.filter((s) => typeof s === "string" && s.length > 0);
}

/**
 * The gate content scripts follow: {active, status, categories, origins, work_origins,
 * mask_selectors}. `work_origins` is the policy's list even while not capturing: typed words are
 * learnt there during a pause too, so that they stay masked after it.
 */
export function computeGate(state, now, graceSeconds = GRACE_SECONDS) {
  const status = captureStatus(state, now, graceSeconds);
  const active = status === STATUS.CAPTURING;
  return {
    active,
    status,
    categories: active ? effectiveCategories(state.consent, state.policy) : [],
    origins: active ? [...((state.policy && state.policy.allowed_origins) || [])] : [],
    work_origins: [...((state.policy && state.policy.allowed_origins) || [])],
    mask_selectors: maskSelectorsOf(state.policy),
  };
}

/** May an event of `category` be captured on `origin` under this gate? */
export function gateAllows(gate, origin, category) {
  return Boolean(gate && gate.active && origin && gate.origins.includes(origin) && gate.categories.includes(category));
}

/**
 * The status to show for a tab on `origin`: the global status unless capturing; then capturing
 * only when at least one category is on and the origin is a work app, else why not. `origin`
 * null means no site (the popup opened as a page of its own).
 */
export function placeStatus(gate, origin) {
  const status = (gate && gate.status) || STATUS.DISCONNECTED;
  if (status !== STATUS.CAPTURING) return status;
  if (!gate.categories.length) return PLACE.NOTHING_ON;
  if (origin === null) return PLACE.CAPTURING; // about no tab: capture runs on the work apps
  if (!origin || !gate.origins.includes(origin)) return PLACE.NOT_WORK_APP;
  return PLACE.CAPTURING;
}

/** The origin of a tab's URL for placeStatus; null when the popup is about no site at all. */
export function siteOrigin(url) {
  if (typeof url !== "string") return null;
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? "" : origin;
  } catch {
    return "";
  }
}
