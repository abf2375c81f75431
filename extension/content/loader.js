// Content scripts declared in the manifest cannot be ES modules: this classic script imports the
// real one (content/capture.js), which shares its modules with the service worker and the tests.
(async () => {
  try {
    const capture = await import(chrome.runtime.getURL("content/capture.js"));
    await capture.start();
  } catch (err) {
    console.warn("overt: capture not started:", err && err.message);
  }
})();
