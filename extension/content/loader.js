// Content scripts declared in the manifest cannot be ES modules: this classic script imports the
// real one, which shares its modules with the service worker and the tests. The top document of a
// tab is captured (content/capture.js); a frame only learns the words typed in it
// (content/frame-typing.js).
//
// A page the browser prerenders (a page's speculation rules, or Chromium guessing from what is
// typed in the address bar) runs hidden before the employee goes there, if ever: nothing starts
// until it is shown (`prerenderingchange`), so a page never opened sends nothing, and a page
// opened sends its page view when it is shown, after what was done on the page before.
(async () => {
  if (document.prerendering) {
    await new Promise((shown) => document.addEventListener("prerenderingchange", shown, { once: true }));
  }
  const module = window === window.top ? "content/capture.js" : "content/frame-typing.js";
  try {
    const script = await import(chrome.runtime.getURL(module));
    await script.start();
  } catch (err) {
    console.warn("overt: capture not started:", err && err.message);
  }
})();
