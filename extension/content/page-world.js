// Runs in the page's own world (manifest: "world": "MAIN"), before the page's scripts. Ways a
// page takes text the employee gives it that the content script's listeners on `document` never
// see: it reads the clipboard itself (navigator.clipboard.readText() or read() behind a "Paste"
// button of its own: no paste event comes), it asks with window.prompt() (typed in the browser's
// dialog, not the page), or its own paste or drop listener on window, in the capture phase,
// takes the text and stops the event before it reaches `document`. Any may show the text at
// once. This wraps those calls, and listens on window before the page can, so that the text the
// page receives is handed to the content script (a PAGE_TEXT_EVENT on `document`), which learns
// it as typed (content/typed-fields.js) before the page's own code sees it. Nothing else is done
// here: no text is kept, nothing is sent, and the content script ignores it outside work apps. A
// page may send the same event itself; that can only mask more words. Names of files and
// folders the user chose through the File System Access API are handed over the same way (see
// below), an EditContext's text updates are told on the element it is attached to, and a value
// the page writes into a text field by script on that field.
(() => {
  const PAGE_TEXT_EVENT = "overt-page-text";
  const tell = (text) => {
    if (typeof text === "string" && text) document.dispatchEvent(new CustomEvent(PAGE_TEXT_EVENT, { detail: text }));
  };

  // As content/typed-fields.js reads a paste or a drop (its plain text, else its links, else its
  // HTML without tags; never on a password field; a drop of a drag started on the page is the
  // page's own text), but on window, in the capture phase, registered before any of the page's.
  let draggingHere = false;
  const onDrag = (ev) => {
    if (ev.isTrusted) draggingHere = ev.type === "dragstart";
  };
  const onTransfer = (ev) => {
    if (!ev.isTrusted) return;
    const data = ev.type === "paste" ? ev.clipboardData : draggingHere ? null : ev.dataTransfer;
    if (ev.type === "drop") draggingHere = false;
    const node = ev.composedPath()[0];
    if (!data || (node instanceof HTMLInputElement && node.type === "password")) return;
    const html = data.getData("text/html");
    tell(data.getData("text/plain") || data.getData("text/uri-list") || (html && html.replace(/<[^>]*>/g, " ")));
  };
  window.addEventListener("dragstart", onDrag, true);
  window.addEventListener("dragend", onDrag, true);
  window.addEventListener("paste", onTransfer, true);
  window.addEventListener("drop", onTransfer, true);

  // Files and folders the user chose through the File System Access API, without a file input:
  // its pickers (showOpenFilePicker, showSaveFilePicker, whose name the user may change, and
  // showDirectoryPicker) and a drop read as handles (getAsFileSystemHandle) or as entries
  // (webkitGetAsEntry, as upload libraries read a dropped folder). The name chosen, and the names
  // of a chosen folder's entries, are the user's: the page may show them at once (a heading, a
  // tab per file). They are handed over as the page's results arrive, and a chosen folder's
  // handles and iterators are followed (entries(), values(), keys(), the folder's own async
  // iterator; getFileHandle() and getDirectoryHandle() lead to chosen handles too; readEntries()
  // reads only what the user dropped or chose). Wrapping the `name` getter of
  // FileSystemHandle.prototype instead would miss names that never pass it (keys() and entries()
  // give strings), and would hand over the names of the page's own files in its origin private
  // file system (navigator.storage.getDirectory()), which are the page's words, not the user's:
  // learnt as typed they would mask the page's own labels ("Archive").
  const chosen = new WeakSet();
  const tellHandle = (handle) => {
    if (handle && typeof handle === "object") {
      chosen.add(handle);
      tell(handle.name);
    }
  };
  const follow = (value) => {
    if (typeof value === "string") tell(value); // keys()
    else if (Array.isArray(value)) {
      tell(value[0]); // entries(): [name, handle]
      if (value[1] && typeof value[1] === "object") chosen.add(value[1]);
    } else tellHandle(value); // values()
  };
  for (const name of ["showOpenFilePicker", "showSaveFilePicker", "showDirectoryPicker"]) {
    const picker = window[name];
    if (typeof picker !== "function") continue;
    window[name] = function (...args) {
      return picker.apply(this, args).then((result) => {
        for (const handle of Array.isArray(result) ? result : [result]) tellHandle(handle);
        return result;
      });
    };
  }
  const item = globalThis.DataTransferItem && DataTransferItem.prototype;
  if (item && typeof item.getAsFileSystemHandle === "function") {
    const getAsHandle = item.getAsFileSystemHandle;
    item.getAsFileSystemHandle = function (...args) {
      return getAsHandle.apply(this, args).then((handle) => {
        tellHandle(handle);
        return handle;
      });
    };
  }
  // A directory reader's interface has no global name in Chromium: its prototype is wrapped
  // when the first dropped folder shows it (every reader shares it).
  let readerWrapped = false;
  const wrapReader = (entry) => {
    if (readerWrapped || !entry || !entry.isDirectory || typeof entry.createReader !== "function") return;
    const reader = Object.getPrototypeOf(entry.createReader());
    const readEntries = reader && reader.readEntries;
    if (typeof readEntries !== "function") return;
    readerWrapped = true;
    reader.readEntries = function (success, ...rest) {
      const told = (entries) => {
        for (const child of entries || []) tell(child && child.name);
        if (typeof success === "function") return success(entries);
        if (success && typeof success.handleEvent === "function") return success.handleEvent(entries);
      };
      return readEntries.call(this, success ? told : success, ...rest);
    };
  };
  if (item && typeof item.webkitGetAsEntry === "function") {
    const getAsEntry = item.webkitGetAsEntry;
    item.webkitGetAsEntry = function (...args) {
      const entry = getAsEntry.apply(this, args);
      if (entry) tell(entry.name);
      wrapReader(entry);
      return entry;
    };
  }
  const folder = globalThis.FileSystemDirectoryHandle && FileSystemDirectoryHandle.prototype;
  for (const key of folder ? ["entries", "values", "keys", Symbol.asyncIterator] : []) {
    const iterate = folder[key];
    if (typeof iterate !== "function") continue;
    folder[key] = function (...args) {
      const iterator = iterate.apply(this, args);
      if (!chosen.has(this) || !iterator || typeof iterator.next !== "function") return iterator;
      const next = iterator.next;
      iterator.next = function (...more) {
        return next.apply(this, more).then((step) => {
          if (step && !step.done) follow(step.value);
          return step;
        });
      };
      return iterator;
    };
  }
  for (const key of folder ? ["getFileHandle", "getDirectoryHandle"] : []) {
    const get = folder[key];
    if (typeof get !== "function") continue;
    folder[key] = function (...args) {
      const result = get.apply(this, args);
      if (!chosen.has(this)) return result;
      return result.then((handle) => {
        chosen.add(handle);
        return handle;
      });
    };
  }

  // Text an editor takes through the EditContext API (Monaco in Chromium, an editor drawing on a
  // canvas): it comes in `textupdate` events of the EditContext object, never of an element, and
  // no input event follows (keys typed come to the element; text an input method or dictation
  // commits comes with no key). Each update is told to the content script as an
  // EDIT_CONTEXT_EVENT on the element the context is attached to, which reads the context's
  // text then as it reads a field's at an input event (content/typed-fields.js). The page's
  // own listener may run first and show the text, in the same task: nothing is described
  // before the content script has learnt it.
  const EDIT_CONTEXT_EVENT = "overt-edit-context";
  const attached = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "editContext");
  if (globalThis.EditContext && attached && attached.set) {
    const hosts = new WeakMap(); // context -> the element it was last attached to
    const onUpdate = function () {
      const host = hosts.get(this);
      if (host && host.editContext === this) host.dispatchEvent(new Event(EDIT_CONTEXT_EVENT, { bubbles: true, composed: true }));
    };
    Object.defineProperty(HTMLElement.prototype, "editContext", {
      ...attached,
      set(context) {
        attached.set.call(this, context);
        if (!context || typeof context !== "object") return;
        if (!hosts.has(context)) EventTarget.prototype.addEventListener.call(context, "textupdate", onUpdate);
        hosts.set(context, this);
      },
    });
  }

  // A value the page writes into a text field by script: the text an on-screen keyboard's keys
  // make (simple-keyboard), an input mask rewriting what was typed, a suggestion written into the
  // field. No key and no input event come. Told as a VALUE_SET_EVENT on the field, which the
  // content script reads before the next event is described, as it reads a value found in a
  // field when the page loads (content/typed-fields.js).
  const VALUE_SET_EVENT = "overt-value-set";
  const NOT_TEXT = new Set(["password", "hidden", "checkbox", "radio", "submit", "button", "reset", "image", "file", "range", "color"]);
  for (const field of [HTMLInputElement.prototype, HTMLTextAreaElement.prototype]) {
    const value = Object.getOwnPropertyDescriptor(field, "value");
    if (!value || !value.set) continue;
    Object.defineProperty(field, "value", {
      ...value,
      set(text) {
        value.set.call(this, text);
        if (this.isConnected && !NOT_TEXT.has(this.type)) this.dispatchEvent(new Event(VALUE_SET_EVENT, { bubbles: true, composed: true }));
      },
    });
  }

  const prompt = window.prompt;
  if (typeof prompt === "function") {
    window.prompt = function (...args) {
      const answer = prompt.apply(this, args);
      tell(answer);
      return answer;
    };
  }

  const proto = globalThis.Clipboard && globalThis.Clipboard.prototype;
  if (!proto) return;
  const readText = proto.readText;
  if (typeof readText === "function") {
    proto.readText = function (...args) {
      return readText.apply(this, args).then((text) => {
        tell(text);
        return text;
      });
    };
  }
  const read = proto.read;
  if (typeof read === "function") {
    proto.read = function (...args) {
      return read.apply(this, args).then(async (items) => {
        for (const item of items || []) {
          for (const type of ["text/plain", "text/html"]) {
            if (!item.types.includes(type)) continue;
            const text = await (await item.getType(type)).text();
            tell(type === "text/html" ? text.replace(/<[^>]*>/g, " ") : text);
          }
        }
        return items;
      });
    };
  }
})();
