/** The popup: state, today's counts, consent toggles, snooze, and the link to "my data". */
import { CATEGORIES, PLACE, STATUS } from "../shared/constants.js";
import { placeStatus, siteOrigin } from "../shared/gate.js";
import { CATEGORY_TEXT, PLACE_TEXT, STATUS_TEXT } from "../shared/labels.js";
import { KEY_COUNTS, KEY_GATE, KEY_LAST_STATUS, KEY_STATE } from "../shared/storage.js";

const $ = (id) => document.getElementById(id);

async function ask(message) {
  const reply = await chrome.runtime.sendMessage(message);
  if (!reply || reply.ok === false) {
    const err = new Error((reply && reply.error) || "no answer");
    err.code = reply && reply.code;
    throw err;
  }
  return reply;
}

function detailText(report) {
  if (report.status === STATUS.PAUSED_ADMIN) {
    return report.pauses.map((p) => p.reason || "No reason given").join("; ");
  }
  if (report.status === STATUS.PAUSED_SELF) {
    const until = report.snooze && report.snooze.until;
    return until ? `Until ${new Date(until).toLocaleTimeString()}` : "Until you resume";
  }
  if (report.status === STATUS.CAPTURING && !report.connected) return "Offline: events are kept until it reconnects";
  if (report.status === STATUS.NOT_CONFIGURED) return "Open Settings and enter the server and your enrollment token.";
  if (report.place === PLACE.NOTHING_ON) return "Switch on at least one category below.";
  if (report.place === PLACE.NOT_WORK_APP) return report.origin ? `${report.origin} is not one of your work apps` : "This page is not one of your work apps";
  if (report.employee) return `Signed in as ${report.employee}${report.team ? ` (${report.team})` : ""}`;
  return "";
}

function renderCounts(counts) {
  const rows = CATEGORIES.map((c) => `<tr><td>${CATEGORY_TEXT[c][0]}</td><td class="n">${(counts.captured || {})[c] || 0}</td></tr>`);
  $("counts").innerHTML = rows.join("");
  // What the extension threw away unsent: the employee should see that data was not collected.
  const discarded = counts.discarded || 0;
  $("discarded").hidden = discarded === 0;
  $("discarded").textContent = discarded
    ? `Not sent: ${discarded} (discarded by a pause, a consent withdrawal, or an editor in a frame or another window that did not answer)`
    : "";
}

function renderConsent(report) {
  const asked = report.policy.categories;
  $("purpose").textContent = report.policy.purpose ? `Purpose: ${report.policy.purpose}` : "";
  const box = $("consent");
  box.replaceChildren();
  for (const category of CATEGORIES.filter((c) => asked.includes(c))) {
    const label = document.createElement("label");
    label.className = "toggle";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.dataset.category = category;
    input.checked = report.consent[category] === true;
    input.addEventListener("change", onConsentChange);
    const text = document.createElement("span");
    text.textContent = CATEGORY_TEXT[category][0];
    const small = document.createElement("small");
    small.textContent = CATEGORY_TEXT[category][1];
    text.append(small);
    label.append(input, text);
    box.append(label);
  }
  $("consent-section").hidden = asked.length === 0;
}

function renderWhere(report) {
  const sites = report.policy.allowed_origins;
  $("sites").textContent = sites.length ? sites.join(", ") : "none yet";
  const on = report.on || [];
  $("on").textContent = on.length ? on.map((c) => CATEGORY_TEXT[c][0]).join(", ") : "nothing";
}

function render(report, checking = false) {
  const place = report.place || report.status;
  $("dot").className = `dot ${place}`;
  const words = report.site === false && place === STATUS.CAPTURING ? STATUS_TEXT[place] : PLACE_TEXT[place];
  $("status").textContent = (words || place) + (checking ? " (checking…)" : "");
  $("detail").textContent = detailText(report);
  const snoozed = report.status === STATUS.PAUSED_SELF;
  $("unsnooze").hidden = !snoozed;
  for (const b of document.querySelectorAll("[data-minutes]")) b.hidden = snoozed;
  // No "Pause for me" while the administrator's pause is on: there is nothing to pause.
  const noPause = [STATUS.NOT_CONFIGURED, STATUS.BAD_TOKEN, STATUS.PAUSED_ADMIN];
  $("snooze-section").hidden = noPause.includes(report.status);
  $("my-data").hidden = [STATUS.NOT_CONFIGURED, STATUS.BAD_TOKEN].includes(report.status);
  renderWhere(report);
  renderCounts(report.counts || {});
  renderConsent(report);
  renderTask(report);
}

/** "Start a task" while none is open; its goal with "Done" / "Abandoned" while one is. */
function renderTask(report) {
  const policy = report.policy || {};
  const asked = (policy.categories || []).includes("tasks") && (report.consent || {}).tasks === true;
  $("task-section").hidden = !asked && !report.task;
  $("task-start").hidden = Boolean(report.task);
  $("task-open").hidden = !report.task;
  $("task-current").textContent = report.task ? `Working on: ${report.task.goal}` : "";
}

async function taskAction(message) {
  $("task-error").hidden = true;
  try {
    render(await ask(message));
    $("task-goal").value = "";
  } catch (err) {
    $("task-error").textContent = err.message;
    $("task-error").hidden = false;
  }
}

/** The tab this popup is about: `?tab=ID` when opened as a page, none when opened as a page
 * without it, else (over the toolbar) the active tab. */
async function currentTab() {
  const id = Number(new URLSearchParams(location.search).get("tab"));
  if (Number.isInteger(id) && id > 0) return chrome.tabs.get(id).catch(() => null);
  // Opened as a page of its own (in a tab, not over the toolbar) with no `?tab`: about no site.
  // Its own tab cannot be told by URL: without the "tabs" permission Chromium leaves `url` out
  // of an extension page's tab.
  if (await chrome.tabs.getCurrent().catch(() => undefined)) return null;
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true }).catch(() => []);
  return tab || null;
}

/** The current tab's URL; null when the popup is about no site (opened as a page of its own). */
let tabUrl = null;
let answered = false;
let tabKnown = null;

/** Show the last known state at once, marked as checking, while the worker starts. */
async function showRemembered() {
  const got = await chrome.storage.local.get([KEY_LAST_STATUS, KEY_STATE]).catch(() => ({}));
  const last = got[KEY_LAST_STATUS];
  const saved = got[KEY_STATE] || {};
  if (answered || !last || !last.status) return;
  const policy = saved.policy || {};
  render({
    status: last.status,
    place: placeStatus(last, siteOrigin(tabUrl)),
    site: tabUrl !== null,
    origin: siteOrigin(tabUrl) || "",
    on: last.categories || [],
    pauses: Object.values(saved.pauses || {}),
    snooze: saved.snooze || null,
    employee: saved.employee || null,
    team: saved.team || null,
    consent: (saved.consent && saved.consent.categories) || {},
    policy: { categories: policy.categories || [], purpose: policy.purpose || "", allowed_origins: policy.allowed_origins || [] },
    counts: {},
  }, true);
}

async function refresh() {
  await tabKnown;
  try {
    const report = await ask({ type: "status", url: tabUrl });
    answered = true;
    render(report, report.checking === true);
    if (report.checking) setTimeout(refresh, 1000); // until the server has confirmed it
  } catch (err) {
    $("status").textContent = `Overt is not responding (${err.message})`;
  }
}

function chosenCategories() {
  const categories = {};
  for (const input of document.querySelectorAll("#consent input")) categories[input.dataset.category] = input.checked;
  return categories;
}

async function saveConsent(categories, confirm) {
  $("consent-error").hidden = true;
  $("confirm").hidden = true;
  try {
    render(await ask({ type: "set-consent", categories, confirm, url: tabUrl }));
  } catch (err) {
    if (err.code === "confirmation_required") {
      // The browser sends Do Not Track or Global Privacy Control: ask before turning anything on.
      pendingConsent = categories;
      $("confirm").hidden = false;
      return;
    }
    $("consent-error").textContent = `Not saved: ${err.message}`;
    $("consent-error").hidden = false;
    await refresh();
  }
}

let pendingConsent = null;
const onConsentChange = () => saveConsent(chosenCategories(), false);
$("confirm-yes").addEventListener("click", () => saveConsent(pendingConsent, true));
$("confirm-no").addEventListener("click", () => {
  $("confirm").hidden = true;
  refresh();
});

for (const button of document.querySelectorAll("[data-minutes]")) {
  button.addEventListener("click", async () => {
    const minutes = button.dataset.minutes ? Number(button.dataset.minutes) : null;
    render(await ask({ type: "snooze", minutes, url: tabUrl }));
  });
}
$("task-start").addEventListener("submit", (ev) => {
  ev.preventDefault();
  taskAction({ type: "task-start", goal: $("task-goal").value, url: tabUrl });
});
$("task-done").addEventListener("click", () => taskAction({ type: "task-end", outcome: "done", url: tabUrl }));
$("task-abandoned").addEventListener("click", () => taskAction({ type: "task-end", outcome: "abandoned", url: tabUrl }));
$("unsnooze").addEventListener("click", async () => render(await ask({ type: "unsnooze", url: tabUrl })));
$("my-data").addEventListener("click", async () => {
  try {
    await ask({ type: "open-my-data" });
    window.close();
  } catch (err) {
    $("detail").textContent = `My data is not available: ${err.message}`;
  }
});
chrome.storage.onChanged.addListener((changes) => {
  if (changes[KEY_GATE] || changes[KEY_STATE] || changes[KEY_COUNTS]) refresh();
});
tabKnown = currentTab().then((tab) => {
  const own = tab && typeof tab.url === "string" && tab.url.startsWith(chrome.runtime.getURL(""));
  tabUrl = !tab || own ? null : tab.url || "";
});
tabKnown.then(() => {
  showRemembered();
  refresh();
});
