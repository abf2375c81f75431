// Added by tests/e2e/test_redteam_round7.py before the page's scripts (and before
// extension/content/page-world.js): it stands in for the browser's file and folder dialogs,
// which headless Chromium cannot answer, returning real handles of the origin's private file
// system named as the user chose (CHOSEN is replaced by the test's names).
(() => {
  const chosen = CHOSEN;
  const create = { create: true };
  const place = async () => (await navigator.storage.getDirectory()).getDirectoryHandle("chosen", create);
  window.showOpenFilePicker = async () => [await (await place()).getFileHandle(chosen.open, create)];
  window.showSaveFilePicker = async () => (await place()).getFileHandle(chosen.save, create);
  window.showDirectoryPicker = async () => {
    const folder = await (await place()).getDirectoryHandle(chosen.folder, create);
    for (const name of chosen.entries) await folder.getFileHandle(name, create);
    return folder;
  };
})();
