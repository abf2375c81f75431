// What an app does with a text once saved, in the pages that test typed words: it shows it in
// the title, in the name of the button that saved it and in the hash route.
window.showBack = (button, text, kind) => {
  document.title = `${text} - ${kind}`;
  button.setAttribute("aria-label", `${button.textContent.trim()} ${text}`);
  history.replaceState(null, "", `#/${kind.toLowerCase()}/${encodeURIComponent(text)}`);
};
