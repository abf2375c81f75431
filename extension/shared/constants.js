/** Constants shared by the service worker, the content script, the popup and the Node tests. */

/** Fixed by the manifest's "key": first 32 hex of sha256(public key DER), 0-f mapped to a-p. */
export const EXTENSION_ID = "jlgofjddloiiehobneeomgligepmkobc";
export const EXTENSION_ORIGIN = `chrome-extension://${EXTENSION_ID}`;

export const CATEGORIES = Object.freeze([
  "navigation", "clicks", "forms", "scroll", "focus", "typing", "page_structure", "tasks",
]);

export const CATEGORY_OF_TYPE = Object.freeze({
  page_view: "navigation",
  route_change: "navigation",
  click: "clicks",
  submit: "forms",
  change: "forms",
  scroll: "scroll",
  tab_focus: "focus",
  visibility: "focus",
  input_activity: "typing",
  key: "typing",
  observation: "page_structure",
  task_start: "tasks",
  task_end: "tasks",
});

/** Keys a `key` event may name without Ctrl/Cmd: commands, never text. */
export const COMMAND_KEYS = Object.freeze([
  "Enter", "Escape", "Tab", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "PageUp", "PageDown",
]);

/**
 * The controls a `change` may name, per field it carries (backend/core/vocabulary.json): the tags
 * and roles (null: no role) of what extension/content/capture.js sends it for. The backend refuses
 * a change on any other target, a text field's above all.
 */
export const CHANGE_TARGETS = Object.freeze({
  value: Object.freeze({ tags: ["select"], roles: [null, "combobox", "listbox", "menu"] }),
  checked: Object.freeze({ tags: ["input"], roles: ["checkbox", "radio", "switch", "menuitemcheckbox", "menuitemradio"] }),
});

/** Field limits the backend enforces (backend/core/vocabulary.json); we truncate to stay inside them. */
export const MAX_URL = 2048;
export const MAX_TITLE = 300;
export const MAX_SELECTOR = 300;
export const MAX_LABEL = 80;
export const MAX_TAG = 32;
export const MAX_ROLE = 64;
export const MAX_GOAL = 200;
export const MAX_ELEMENTS = 200;
export const MAX_OBSERVATION_BYTES = 32768;

/** The roles a TARGET may name; the backend refuses others (backend/core/aria.py: keep in step). */
export const ARIA_ROLES = Object.freeze(new Set([
  "alert", "alertdialog", "application", "article", "banner", "blockquote", "button", "caption",
  "cell", "checkbox", "code", "columnheader", "combobox", "comment", "complementary",
  "contentinfo", "definition", "deletion", "dialog", "directory", "doc-abstract",
  "doc-acknowledgments", "doc-afterword", "doc-appendix", "doc-backlink", "doc-biblioentry",
  "doc-bibliography", "doc-biblioref", "doc-chapter", "doc-colophon", "doc-conclusion",
  "doc-cover", "doc-credit", "doc-credits", "doc-dedication", "doc-endnote", "doc-endnotes",
  "doc-epigraph", "doc-epilogue", "doc-errata", "doc-example", "doc-footnote", "doc-foreword",
  "doc-glossary", "doc-glossref", "doc-index", "doc-introduction", "doc-noteref", "doc-notice",
  "doc-pagebreak", "doc-pagefooter", "doc-pageheader", "doc-pagelist", "doc-part", "doc-preface",
  "doc-prologue", "doc-pullquote", "doc-qna", "doc-subtitle", "doc-tip", "doc-toc", "document",
  "emphasis", "feed", "figure", "form", "generic", "graphics-document", "graphics-object",
  "graphics-symbol", "grid", "gridcell", "group", "heading", "image", "img", "insertion", "link",
  "list", "listbox", "listitem", "log", "main", "mark", "marquee", "math", "menu", "menubar",
  "menuitem", "menuitemcheckbox", "menuitemradio", "meter", "navigation", "none", "note", "option",
  "paragraph", "presentation", "progressbar", "radio", "radiogroup", "region", "row", "rowgroup",
  "rowheader", "scrollbar", "search", "searchbox", "separator", "slider", "spinbutton", "status",
  "strong", "subscript", "suggestion", "superscript", "switch", "tab", "table", "tablist",
  "tabpanel", "term", "textbox", "time", "timer", "toolbar", "tooltip", "tree", "treegrid",
  "treeitem",
]));

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

/** What capture does in one tab while the extension as a whole is capturing. */
export const PLACE = Object.freeze({
  CAPTURING: "capturing",
  NOT_WORK_APP: "not_work_app",
  NOTHING_ON: "nothing_on",
});
