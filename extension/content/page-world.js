// Runs in the page's own world (manifest: "world": "MAIN"), before the page's scripts. Two ways
// a page takes text the employee gives it without any field or event of the page's: it reads
// the clipboard itself (navigator.clipboard.readText() or read() behind a "Paste" button of its
// own: no paste event comes), or it asks with window.prompt() (typed in the browser's dialog,
// not the page). Either may be shown at once. This wraps those calls so that the text the page
// receives is handed to the content script (a PAGE_TEXT_EVENT on `document`), which learns it as
// typed (content/typed-fields.js) before the page's own code sees it. Nothing else is done here:
// no text is kept, nothing is sent, and the content script ignores it outside work apps. A page
// may send the same event itself; that can only mask more words.
(() => {
  const PAGE_TEXT_EVENT = "overt-page-text";
  const tell = (text) => {
    if (typeof text === "string" && text) document.dispatchEvent(new CustomEvent(PAGE_TEXT_EVENT, { detail: text }));
  };

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
