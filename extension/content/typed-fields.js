/**
 * Learn the words the employee types, as salted hashes only (extension/shared/typed-words.js).
 * A field's value is read inside the page, hashed at once and never kept or sent: complete words on
 * every input, the whole value when the field is left or Enter/Tab is pressed (before the page's own
 * handlers run: our listeners are on the capture phase), and before any event is emitted.
 * Inputs (but passwords and hidden ones), textareas, contenteditable and ARIA textboxes count.
 */
import { TypedWords } from "../shared/typed-words.js";

const NOT_TEXT = new Set(["password", "hidden", "checkbox", "radio", "submit", "button", "reset", "image", "file", "range", "color"]);
const FIELDS = "input, textarea, [contenteditable]:not([contenteditable=false]), [role=textbox]";

export const typed = new TypedWords();
const dirty = new Set();
let report = () => {};
/** Only on work apps: null until the gate says whether this is one (fields are noted meanwhile). */
let enabled = null;

/** Learn typed words here or not (the page's origin is a work app, from the gate). */
export function setTypingWatch(on) {
  const was = enabled;
  enabled = Boolean(on);
  if (!enabled) dirty.clear();
  else if (!was) scanFields();
}

/** The editable element an event happened in, or null. */
function fieldOf(node) {
  if (!(node instanceof Element)) return null;
  if (node instanceof HTMLInputElement) return NOT_TEXT.has(node.type) ? null : node;
  if (node instanceof HTMLTextAreaElement) return node;
  const host = node.closest("[contenteditable]:not([contenteditable=false]), [role=textbox]");
  if (host) return host;
  return node.isContentEditable ? node : null;
}

function valueOf(field) {
  if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) return field.value;
  return field.innerText || field.textContent || "";
}

function learn(text) {
  const added = typed.addText(text);
  if (added.length) report(added);
}

/** Hash every word of every field typed in since the last flush (and forget the fields). */
export function flushTyped() {
  if (!typed.ready || !enabled) return;
  for (const field of dirty) learn(valueOf(field));
  dirty.clear();
}

function onInput(ev) {
  const field = fieldOf(ev.composedPath ? ev.composedPath()[0] : ev.target);
  if (!field || enabled === false) return; // inside data-overt-ignore too: nothing is sent
  dirty.add(field);
  if (!typed.ready || !enabled) return;
  // Only finished words here: every prefix of a word being typed would mask too much.
  const value = valueOf(field);
  const finished = value.replace(/[\p{L}\p{N}]+$/u, "");
  learn(finished);
}

function onLeave(ev) {
  if (ev.type === "keydown" && !["Enter", "Tab"].includes(ev.key)) return;
  const field = fieldOf(ev.composedPath ? ev.composedPath()[0] : ev.target);
  if (field && enabled !== false) dirty.add(field);
  flushTyped();
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
  document.addEventListener("keydown", onLeave, true);
  document.addEventListener("change", onLeave, true);
  document.addEventListener("focusout", onLeave, true);
}

/** Adopt the session's salt and hashes (from the service worker or another tab). */
export function adoptTyped(shared) {
  if (!shared || !Number.isInteger(shared.salt)) return;
  const first = !typed.ready;
  typed.merge(shared.salt, shared.hashes);
  if (first && enabled) scanFields();
}
