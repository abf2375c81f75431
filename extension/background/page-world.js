/**
 * Register content/page-world.js, the script that runs in the page's own world, for the work
 * apps only. Declared in the manifest it ran on every site the employee visits, wrapping
 * window.prompt and the clipboard there too: harmless to what is sent (the content script
 * ignores it outside work apps), but a change to every page, which any site could notice.
 * Registered here, it follows the policy's allowed origins (the gate's `work_origins`, kept
 * during a pause so that typed words are still learnt), and Chrome keeps the registration
 * across restarts.
 */
const SCRIPT_ID = "overt-page-world";

let registered = null; // the match patterns last registered, as JSON
let chain = Promise.resolve();

/** The match pattern of exactly one origin ("https://crm.example.com:8443/*"), or null. */
export function matchPatternOf(origin) {
  let url;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return `${url.protocol}//${url.host}/*`; // host keeps a port and an IPv6 address's brackets
}

/** Register, update or unregister the page-world script for `origins` (serialised calls). */
export function registerPageWorld(origins) {
  const matches = [...new Set((origins || []).map(matchPatternOf).filter(Boolean))].sort();
  chain = chain.then(() => apply(matches)).catch((err) => {
    registered = null; // tried again at the next gate
    console.warn("overt: page-world script not registered: %s", err && err.message);
  });
  return chain;
}

async function apply(matches) {
  const json = JSON.stringify(matches);
  if (json === registered) return;
  const existing = await chrome.scripting.getRegisteredContentScripts({ ids: [SCRIPT_ID] });
  if (!matches.length) {
    if (existing.length) await chrome.scripting.unregisterContentScripts({ ids: [SCRIPT_ID] });
  } else {
    const script = {
      id: SCRIPT_ID,
      js: ["content/page-world.js"],
      matches,
      runAt: "document_start",
      allFrames: true,
      matchOriginAsFallback: true,
      world: "MAIN",
      persistAcrossSessions: true,
    };
    if (existing.length) await chrome.scripting.updateContentScripts([script]);
    else await chrome.scripting.registerContentScripts([script]);
  }
  registered = json;
}
