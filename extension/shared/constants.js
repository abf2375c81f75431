/** Constants shared by the service worker, the content script, the popup and the Node tests. */

/** Fixed by the manifest's "key": first 32 hex of sha256(public key DER), 0-f mapped to a-p. */
export const EXTENSION_ID = "jlgofjddloiiehobneeomgligepmkobc";
export const EXTENSION_ORIGIN = `chrome-extension://${EXTENSION_ID}`;

export const CATEGORIES = Object.freeze(["navigation", "clicks", "forms", "scroll", "focus", "typing"]);

export const CATEGORY_OF_TYPE = Object.freeze({
  page_view: "navigation",
  route_change: "navigation",
  click: "clicks",
  submit: "forms",
  scroll: "scroll",
  tab_focus: "focus",
  visibility: "focus",
  input_activity: "typing",
});

/** Field limits the backend enforces (backend/core/vocabulary.json); we truncate to stay inside them. */
export const MAX_URL = 2048;
export const MAX_TITLE = 300;
export const MAX_SELECTOR = 300;
export const MAX_LABEL = 80;
export const MAX_TAG = 32;
export const MAX_ROLE = 64;

/** Delivery: flush at 50 events or after 1 s; never more than 100 events in one frame. */
export const FLUSH_AT_EVENTS = 50;
export const FLUSH_MS = 1000;
export const MAX_EVENTS_PER_FRAME = 100;
/** Frames sent but not yet acknowledged before we wait for acks. */
export const MAX_INFLIGHT_FRAMES = 8;

/** Outbox bounds (chrome.storage.local has a 10 MB quota; see analytics-next#1261). */
export const OUTBOX_MAX_EVENTS = 5000;
export const OUTBOX_MAX_BYTES = 2_000_000;

/** An MV3 worker is stopped after 30 s idle: a message every 15 s keeps the socket open. */
export const KEEPALIVE_MS = 15_000;
/** Fail closed after this long without contact with the backend. */
export const GRACE_SECONDS = 300;

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/** Self-snooze choices offered in the popup, in minutes (null = until resumed). */
export const SNOOZE_CHOICES = Object.freeze([15, 60, null]);

/** Typing and scroll throttles in the content script. */
export const INPUT_WINDOW_MS = 3000;
export const SCROLL_THROTTLE_MS = 1000;

/** Query parameter names kept in URLs (values still masked). Empty: every parameter is dropped. */
export const ALLOWED_QUERY_PARAMS = Object.freeze([]);

/** Connection states shown in the popup and the badge. */
export const STATUS = Object.freeze({
  CAPTURING: "capturing",
  PAUSED_ADMIN: "paused_admin",
  PAUSED_SELF: "paused_self",
  NOT_CONFIGURED: "not_configured",
  BAD_TOKEN: "bad_token",
  DISCONNECTED: "disconnected",
});
