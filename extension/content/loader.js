// Content scripts declared in the manifest cannot be ES modules: this classic script imports the
// real one, which shares its modules with the service worker and the tests. The top document of a
// tab is captured (content/capture.js); a frame only learns the words typed in it
// (content/frame-typing.js).
(async () => {
  const module = window === window.top ? "content/capture.js" : "content/frame-typing.js";
  try {
    const script = await import(chrome.runtime.getURL(module));
    await script.start();
  } catch (err) {
    console.warn("overt: capture not started:", err && err.message);
  }
})();
