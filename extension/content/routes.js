/**
 * SPA route changes. The content script's isolated world cannot see the page's own calls to
 * history.pushState, but the Navigation API's `currententrychange` fires in every world for
 * pushState, replaceState, back/forward and fragment changes. popstate and hashchange cover
 * browsers without it; a slow poll is the last safety net.
 */
const POLL_MS = 1000;

/** Call `onChange(previousHref)` whenever location.href changes within this document. */
export function watchRoutes(onChange) {
  let last = location.href;
  const check = () => {
    const now = location.href;
    if (now === last) return;
    const from = last;
    last = now;
    onChange(from);
  };
  if (window.navigation && typeof window.navigation.addEventListener === "function") {
    window.navigation.addEventListener("currententrychange", check);
  }
  window.addEventListener("popstate", check);
  window.addEventListener("hashchange", check);
  setInterval(check, POLL_MS);
}
