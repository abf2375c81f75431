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
// page may send the same event itself; that can only mask more words.
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
