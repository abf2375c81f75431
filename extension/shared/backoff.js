/** Reconnect delays: exponential backoff with full jitter (AWS architecture blog, 2015). */
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS } from "./constants.js";

/**
 * Delay before reconnect attempt `attempt` (0-based): a random value in
 * [cap/2, cap] where cap = min(max, base * 2^attempt). Half the cap is kept so that a fleet of
 * clients spreads out without ever retrying in a tight loop.
 */
export function backoffDelay(attempt, { baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS, random = Math.random } = {}) {
  const n = Math.max(0, Math.min(Number.isFinite(attempt) ? attempt : 0, 30));
  const cap = Math.min(maxMs, baseMs * 2 ** n);
  return Math.round(cap / 2 + random() * (cap / 2));
}
