// Runs in the page's own world (manifest: "world": "MAIN"), before the page's scripts: a page
// that reads the clipboard itself (navigator.clipboard.readText() behind a "Paste" button of its
// own) gets no paste event, and may show the text at once. This wraps the Async Clipboard API's
// reads so that the text the page receives is handed to the content script (on `document`, as
// CLIPBOARD_EVENT), which learns it as typed (content/typed-fields.js) before the page's own
// code sees it. Nothing else is done here: no text is kept, nothing is sent, and the content
// script ignores it outside work apps. A page may send the same event itself; that can only mask
// more words.
(() => {
  const CLIPBOARD_EVENT = "overt-clipboard-text";
  const proto = globalThis.Clipboard && globalThis.Clipboard.prototype;
  if (!proto || typeof proto.readText !== "function") return;
  const tell = (text) => {
    if (typeof text === "string" && text) document.dispatchEvent(new CustomEvent(CLIPBOARD_EVENT, { detail: text }));
  };
  const readText = proto.readText;
  proto.readText = function (...args) {
    return readText.apply(this, args).then((text) => {
      tell(text);
      return text;
    });
  };
  const read = proto.read;
  if (typeof read !== "function") return;
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
})();
