/**
 * Learn the words the employee types, as salted hashes only (extension/shared/typed-words.js).
 * A field's value is read inside the page, hashed at once and never kept or sent: complete words on
 * every input, the whole value when the field is left or Enter/Tab is pressed (before the page's own
 * handlers run: our listeners are on the capture phase), and before any event is emitted.
 * Inputs (but passwords and hidden ones), textareas, contenteditable and ARIA textboxes count, also
 * inside closed shadow roots. A page's own listeners on window run before ours and may empty the
 * field first (a chat sending on Enter, a tag input turning "word," into a chip): so the word being
 * typed at a field's end is remembered as a hash, and kept once it stops growing; each state of it
 * is masked for a while too (a slow search shows the query as it was a moment ago).
 * An element taking text through the EditContext API (Monaco) is a field holding its context's
 * text, read when content/page-world.js tells that it changed, as at an input event.
 * A widget that builds its text from keys (an ARIA textbox that is not editable, an editor that
 * cancels `beforeinput` and draws its own model) fires no input event: a key typed there is
 * handled as one when the key is released, and text it takes with no key (an input method's or
 * dictation's commit, which it cancels) when its `beforeinput` is followed by no input event. A
 * value the page writes into a field by script (an on-screen keyboard) is read as a value found
 * in a field. A chosen or dropped file's name counts as typed, and so does text pasted or dropped
 * (an editor that inserts it itself fires no input event), and text the page takes without a
 * field: the clipboard read by its own "Paste" button, a window.prompt()
 * answer, a paste its own listener on window stops, the names of files and folders the user chose
 * through the File System Access API (content/page-world.js hands it over from the page's world).
 * An editor that takes keys in a hidden field (CodeMirror 5, Ace, Monaco: a textarea too small or
 * transparent to show text, emptied whenever the caret moves) draws the text elsewhere: a word
 * mended in its middle was never whole in the field, so once keys are typed there the text the
 * editor draws around it is learnt too.
 * Keys typed outside any field (type-ahead in a list, a page that handles keys itself) make words
 * too: their characters are hashed as they come and never kept beyond the word being typed. A
 * password field is never read; once the page shows it as text (a "Show" toggle), it is read as
 * any field. What was typed is learnt before the page is left, whatever the categories allow.
 */
import { editorDrawing, transferredText, TypedWords } from "../shared/typed-words.js";

const NOT_TEXT = new Set(["password", "hidden", "checkbox", "radio", "submit", "button", "reset", "image", "file", "range", "color"]);
const FIELDS = "input, textarea, [contenteditable]:not([contenteditable=false]), [role=textbox]";

export const typed = new TypedWords();
const dirty = new Set();
/** Per field, the hash and length of the word being typed at its end (never the word itself). */
const pending = new Map();
/** Fields a key was typed in that have not fired an input event for it (yet). */
const keyed = new Set();
/** Fields typed in since the last flush (not merely found on the page): see drawnText. */
const typedIn = new Set();
/** How far above a hidden field its editor's drawing is looked for, and how much of it is read. */
const EDITOR_DEPTH = 4;
const MAX_DRAWN_CHARS = 100_000;
/** Password fields typed in: read only once the page turns them into text fields. */
const secrets = new Set();
/** The word keys typed outside any field are making (its letters until it ends, never sent). */
let keyWord = "";
let keyWordAt = 0;
/** A pause this long ends a word typed outside fields (a list's type-ahead starts again). */
const KEY_WORD_IDLE_MS = 1500;
const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
const TRAILING_WORD = /[\p{L}\p{N}\p{M}]+$/u;
let report = () => {};
/** Only on work apps: null until the gate says whether this is one (fields are noted meanwhile). */
let enabled = null;

/** Learn typed words here or not (the page's origin is a work app, from the gate). */
export function setTypingWatch(on) {
  const was = enabled;
  enabled = Boolean(on);
  if (!enabled) {
    dirty.clear();
    typedIn.clear();
    pending.clear();
    keyed.clear();
    secrets.clear();
    keyWord = "";
  } else if (!was) scanFields();
}

/** The focused element inside `node`'s shadow roots, closed ones too (their events name the host). */
function innermost(node) {
  const dom = globalThis.chrome && chrome.dom;
  for (let depth = 0; node instanceof Element && depth < 16; depth++) {
    const root = node.shadowRoot || (dom && dom.openOrClosedShadowRoot ? dom.openOrClosedShadowRoot(node) : null);
    if (!root || !root.activeElement) break;
    node = root.activeElement;
  }
  return node;
}

/** The editable element an event happened in (a shadow host stands for its focused field), or null. */
function eventField(ev) {
  const node = ev.composedPath ? ev.composedPath()[0] : ev.target;
  return fieldOf(node) || fieldOf(innermost(node));
}

/** The editable element `node` is or is in, or null. */
function fieldOf(node) {
  if (!(node instanceof Element)) return null;
  if (node instanceof HTMLInputElement) return NOT_TEXT.has(node.type) ? null : node;
  if (node instanceof HTMLTextAreaElement) return node;
  if (editContextOf(node)) return node;
  const host = node.closest("[contenteditable]:not([contenteditable=false]), [role=textbox]");
  if (host) return host;
  return node.isContentEditable ? node : null;
}

/**
 * The EditContext `node` takes text through (Monaco in Chromium, an editor drawing on a canvas:
 * no field holds the text, the context does), or null.
 */
function editContextOf(node) {
  const context = node.editContext;
  return context && typeof context.text === "string" ? context : null;
}

function valueOf(field) {
  if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) return field.value;
  const context = editContextOf(field);
  if (context) return context.text;
  return field.innerText || field.textContent || "";
}

/** A box as editorDrawing reads it. */
function boxOf(el) {
  const rect = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  // Left of or above the page's origin, where no scrolling brings it into sight.
  const offPage = rect.right + window.scrollX <= 0 || rect.bottom + window.scrollY <= 0;
  return { width: rect.width, height: rect.height, opacity: style.opacity, clips: style.overflowX !== "visible" || style.overflowY !== "visible", offPage };
}

/**
 * The text an editor draws for a field it hides (extension/shared/typed-words.js, editorDrawing),
 * or for the element it takes text in through an EditContext (Monaco's is 0 px wide, and the text
 * its context holds is the editor's to keep up to date, line by line, as it draws): the rendered
 * text of its nearest ancestor, at most EDITOR_DEPTH up and never the body, big enough to show
 * it; "" for a field that shows its own text. Read only for fields typed in: a
 * field hidden by CSS that no one typed in lends nothing.
 */
function drawnText(field) {
  const hides = field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement || editContextOf(field);
  if (!hides || !field.isConnected) return "";
  const nodes = [field];
  for (let up = field.parentElement; up && nodes.length <= EDITOR_DEPTH; up = up.parentElement) {
    if (up === document.body || up === document.documentElement) break;
    nodes.push(up);
  }
  const at = editorDrawing(nodes.map(boxOf));
  return at < 0 ? "" : String(nodes[at].innerText || "").slice(0, MAX_DRAWN_CHARS);
}

function learn(text) {
  const added = typed.addText(text);
  if (added.length) report(added);
}

function keepPending(field) {
  const word = pending.get(field);
  pending.delete(field);
  if (!word) return;
  const added = word.hashes.flatMap((hash) => typed.addHash(hash));
  if (added.length) report(added);
}

/**
 * Note the word being typed at the field's end. Typed on letter by letter, it replaces the one
 * before (its prefix); anything else (a space, a deletion, the page emptying the field) keeps the
 * one before as it was last seen.
 */
function notePending(field, word) {
  const before = pending.get(field);
  const grown = before && word.length > before.length && typed.hashOf(word.slice(0, before.length)) === before.hash;
  if (before && !grown) keepPending(field);
  if (word.length >= 2) {
    const hashes = typed.hashesOf(word); // its spellings (typed-words.js, spellingsOf)
    pending.set(field, { hash: hashes[0], hashes, length: word.length });
    for (const hash of hashes) typed.addTyping(hash, word.length);
  } else pending.delete(field);
}

/**
 * Learn the text editors draw for the hidden fields typed in since the last flush (drawnText),
 * keeping them: the worker asks a document for what was typed there just now before it masks
 * another document's event (content/typing-now.js), and a word mended in such an editor is in
 * no field, pending or not, while the editor keeps the focus.
 */
export function learnDrawn() {
  if (!typed.ready || !enabled) return;
  for (const field of typedIn) learn(drawnText(field));
}

/** The hashes of the words being typed at the fields' ends (never the words). */
export const pendingHashes = () => (enabled ? [...pending.values()].flatMap((word) => word.hashes) : []);

/** Hash every word of every field typed in since the last flush (and forget the fields). */
export function flushTyped() {
  if (!typed.ready || !enabled) return;
  for (const field of dirty) {
    learn(valueOf(field));
    if (typedIn.has(field)) learn(drawnText(field));
    keepPending(field);
  }
  for (const field of secrets) {
    if (field.type === "password" && field.isConnected) continue; // still secret: never read
    secrets.delete(field);
    if (fieldOf(field)) learn(valueOf(field)); // shown as text now (or turned into another field)
  }
  if (keyWord.length >= 2) learn(keyWord); // as it is now; the keys typed next go on with it
  dirty.clear();
  typedIn.clear();
  pending.clear();
  keyed.clear();
}

/** The element an event really happened in: inside shadow roots, the focused one. */
function eventNode(ev) {
  return innermost(ev.composedPath ? ev.composedPath()[0] : ev.target);
}

function onInput(ev) {
  const field = eventField(ev);
  if (!field) {
    const node = eventNode(ev);
    if (node instanceof HTMLInputElement && node.type === "password" && enabled !== false) secrets.add(node);
    return;
  }
  if (enabled === false) return; // inside data-overt-ignore too: nothing is sent
  keyed.delete(field);
  noteField(field);
}

/** Learn the finished words of a field typed in, and note the word being typed at its end. */
function noteField(field) {
  dirty.add(field);
  typedIn.add(field);
  if (!typed.ready || !enabled) return;
  // Finished words are learnt; the word being typed is only masked for a while (notePending):
  // learning every prefix of every word for the session would mask too much.
  const value = valueOf(field);
  const finished = value.replace(TRAILING_WORD, "");
  learn(finished);
  notePending(field, value.slice(finished.length));
  if (editContextOf(field)) drawnNextFrame(field);
}

/** EditContext hosts whose editor's drawing is read at the next frame (drawnNextFrame). */
const drawing = new Set();

/**
 * An editor taking text through an EditContext (Monaco) draws it at the next animation frame,
 * not when the text changes (its context may hold only part of it): the drawing is learnt then
 * too, after the editor's own frame callback (registered first, at its textupdate), so that an
 * event described later finds it learnt even if the field is not read again.
 */
function drawnNextFrame(field) {
  if (drawing.has(field)) return;
  drawing.add(field);
  requestAnimationFrame(() => {
    drawing.delete(field);
    if (typed.ready && enabled) learn(drawnText(field));
  });
}

/** Shortcuts that change a field's text without a character typed: undo, redo, cut, paste. */
const EDITING_SHORTCUTS = new Set(["z", "y", "x", "v"]);

/**
 * A key that types or deletes (never which one: only whether it is a character), a deletion of
 * a word at once (Ctrl+Backspace: an editor drawing its own text leaves the end of a typed word
 * on its own), or a shortcut that edits (EDITING_SHORTCUTS, with Ctrl or Cmd).
 */
function editingKey(ev) {
  if (ev.key === "Backspace" || ev.key === "Delete") return true;
  const key = String(ev.key);
  if (ev.ctrlKey || ev.metaKey) return EDITING_SHORTCUTS.has(key.toLowerCase());
  return [...key].length === 1;
}

/** Learn the word keys typed outside fields made, if any, and start a new one. */
function keepKeyWord() {
  const word = keyWord;
  keyWord = "";
  pending.delete(document);
  if (word.length >= 2) learn(word);
}

/**
 * A key typed outside any field: a list's type-ahead, a page's own key handling. Only a letter
 * or digit is added to the word being made (no modifier held); anything else ends it. Never in
 * a form control (a password field above all): those are fields or never read.
 */
function onLooseKey(ev) {
  if (!typed.ready || !enabled) return;
  const node = eventNode(ev);
  if (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement || node instanceof HTMLSelectElement) return;
  const now = Date.now();
  if (now - keyWordAt > KEY_WORD_IDLE_MS) keepKeyWord();
  keyWordAt = now;
  if (ev.key === "Backspace") keyWord = keyWord.slice(0, -1);
  else if (!ev.ctrlKey && !ev.metaKey && !ev.altKey && WORD_CHAR.test(ev.key)) keyWord += ev.key;
  else return keepKeyWord();
  if (keyWord.length < 2) return pending.delete(document);
  const hashes = typed.hashesOf(keyWord);
  pending.set(document, { hash: hashes[0], hashes, length: keyWord.length }); // asked for by other tabs (typing-now.js)
  for (const hash of hashes) typed.addTyping(hash, keyWord.length);
}

function onLeave(ev) {
  if (ev.type === "keydown") {
    const field = eventField(ev);
    if (!field) return onLooseKey(ev);
    // An EditContext's editor keeps there what it likes (Monaco: part of its text, not always
    // up to date) and draws the text a frame later: its keys make words too, as outside fields.
    if (editContextOf(field)) onLooseKey(ev);
  }
  if (ev.type === "keydown" && !["Enter", "Tab"].includes(ev.key)) {
    const field = editingKey(ev) ? eventField(ev) : null;
    if (field && enabled !== false) {
      dirty.add(field); // learnt before the next event is described, input event or not
      typedIn.add(field);
      keyed.add(field);
    }
    return;
  }
  const field = eventField(ev);
  if (field && enabled !== false) dirty.add(field);
  flushTyped();
}

/**
 * Text about to go into a field (a `beforeinput`): an editor that renders its own model (Slate,
 * the Draft.js pattern) cancels the browser's insertion, so no input event follows, and an input
 * method or dictation commits text with no key. A field that fires no input event for it is read
 * once the page's own handlers have run (the next task), as at an input event, and before the
 * next event is described.
 */
function onBeforeInput(ev) {
  const field = eventField(ev);
  if (!field || enabled === false) return;
  dirty.add(field);
  typedIn.add(field);
  keyed.add(field);
  setTimeout(() => {
    if (!keyed.delete(field) || enabled === false) return; // an input event came (onInput)
    noteField(field);
  }, 0);
}

/**
 * The event content/page-world.js sends on a text field whose value the page wrote by script (an
 * on-screen keyboard's keys, an input mask, a suggestion chosen): no key, no input event.
 */
const VALUE_SET_EVENT = "overt-value-set";

/** A value written into a field by script: read before the next event is described, as a value
 * found in a field when the page loads (scanFields). */
function onValueSet(ev) {
  const field = eventField(ev);
  if (field && enabled !== false) dirty.add(field);
}

/** A key released in a field that fired no input event for it: its text changed all the same. */
function onKeyUp(ev) {
  const field = eventField(ev);
  if (!field || !keyed.has(field) || enabled === false) return;
  keyed.delete(field);
  noteField(field);
}

/**
 * A file chosen in a file input or dropped on the page: its name is the employee's, not the app's,
 * and so is its path inside a folder chosen whole (`<input type=file webkitdirectory>`: the
 * folder's and its subfolders' names, which an upload page shows).
 */
function onFiles(ev) {
  if (!typed.ready || !enabled) return;
  const node = ev.composedPath ? ev.composedPath()[0] : ev.target;
  const files = ev.type === "drop" ? ev.dataTransfer && ev.dataTransfer.files : node instanceof HTMLInputElement && node.type === "file" && node.files;
  if (files && files.length) learn(Array.from(files, (file) => `${file.name} ${file.webkitRelativePath || ""}`).join(" "));
}

/** A drag started in this document and not ended yet (a card or a row moved on the page). */
let draggingHere = false;

/**
 * Text pasted or dropped (from the clipboard, another program, another page), in a field or
 * anywhere in the page: an editor that inserts it itself (CKEditor 5 cancels the event and
 * draws the text from its model) fires no input event, and a paste from the context menu or
 * Shift+Insert, or a drop, is no key either; a grid that takes Ctrl+V in a field of its own
 * writes the cells and leaves that field empty (Handsontable). The page may show the text
 * before the field is left. So its text is learnt at once, and the field it lands in is read
 * again before the next event is described. Never on a password field. A drop of a drag started
 * on this page (a board's card, a list's row: the page's own text, which a library puts in the
 * drag's data) is only read again in the field it lands in, as a drop into a field always was.
 */
function onTransfer(ev) {
  if (!ev.isTrusted) return;
  if (ev.type === "dragstart" || ev.type === "dragend") {
    draggingHere = ev.type === "dragstart";
    return;
  }
  if (enabled === false) return;
  const node = eventNode(ev);
  if (node instanceof HTMLInputElement && node.type === "password") return;
  const field = eventField(ev);
  if (field) {
    dirty.add(field);
    typedIn.add(field);
  }
  const from = ev.type === "paste" ? ev.clipboardData : draggingHere ? null : ev.dataTransfer;
  if (ev.type === "drop") draggingHere = false; // its source may be gone before its dragend
  if (typed.ready && enabled) learn(transferredText(from));
}

/** The event content/page-world.js sends with text the page took without a field of its own. */
const PAGE_TEXT_EVENT = "overt-page-text";
/**
 * The event content/page-world.js sends on an element whose EditContext's text changed (no
 * input event comes for it): read as an input in that element.
 */
export const EDIT_CONTEXT_EVENT = "overt-edit-context";

/**
 * Text the page read from the clipboard itself (a "Paste" button calling
 * navigator.clipboard.readText(): no paste event comes), asked for with window.prompt() (typed
 * in the browser's dialog, not the page), or took from a paste or a drop its own listener on
 * window stopped, from content/page-world.js in the page's world: learnt as text pasted is,
 * before the page's own code receives it.
 */
function onPageText(ev) {
  if (!typed.ready || !enabled || typeof ev.detail !== "string") return;
  learn(ev.detail.slice(0, MAX_DRAWN_CHARS));
}

/** Hash what the fields on the page already hold (typed before this script started). */
function scanFields() {
  if (!typed.ready) return;
  for (const field of document.querySelectorAll(FIELDS)) {
    const real = fieldOf(field);
    if (real) dirty.add(real);
  }
  flushTyped();
}

/** Start listening; `onNewHashes(hashes)` shares what was learnt with the other tabs. */
export function watchTyping(onNewHashes) {
  report = onNewHashes;
  document.addEventListener("input", onInput, true);
  document.addEventListener("compositionend", onInput, true);
  document.addEventListener(EDIT_CONTEXT_EVENT, onInput, true);
  document.addEventListener("keydown", onLeave, true);
  document.addEventListener("keyup", onKeyUp, true);
  document.addEventListener("beforeinput", onBeforeInput, true);
  document.addEventListener(VALUE_SET_EVENT, onValueSet, true);
  document.addEventListener("change", onLeave, true);
  for (const type of ["input", "change", "drop"]) document.addEventListener(type, onFiles, true);
  for (const type of ["paste", "drop", "dragstart", "dragend"]) document.addEventListener(type, onTransfer, true);
  document.addEventListener(PAGE_TEXT_EVENT, onPageText, true);
  // Leaving the page (a quick-open that navigates by itself) must not take unlearnt words with it:
  // the next page shows them, and no event here may have flushed them (a category off).
  window.addEventListener("pagehide", flushTyped);
  document.addEventListener("visibilitychange", () => document.visibilityState === "hidden" && flushTyped());
  document.addEventListener("focusout", onLeave, true);
}

/** Adopt the session's salt and hashes (from the service worker or another tab). */
export function adoptTyped(shared) {
  if (!shared || !Number.isInteger(shared.salt)) return;
  const first = !typed.ready;
  typed.merge(shared.salt, shared.hashes);
  if (first && enabled) scanFields();
}
