/** The popup: state, today's counts, consent toggles, snooze, and the link to "my data". */
import { CATEGORIES, STATUS } from "../shared/constants.js";
import { CATEGORY_TEXT, STATUS_TEXT } from "../shared/labels.js";
import { KEY_COUNTS, KEY_GATE, KEY_STATE } from "../shared/storage.js";

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
  if (report.employee) return `Signed in as ${report.employee}${report.team ? ` (${report.team})` : ""}`;
  return "";
}

function renderCounts(counts) {
  const rows = CATEGORIES.map((c) => `<tr><td>${CATEGORY_TEXT[c][0]}</td><td class="n">${(counts.captured || {})[c] || 0}</td></tr>`);
  $("counts").innerHTML = rows.join("");
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

function render(report) {
  $("dot").className = `dot ${report.status}`;
  $("status").textContent = STATUS_TEXT[report.status] || report.status;
  $("detail").textContent = detailText(report);
  const snoozed = report.status === STATUS.PAUSED_SELF;
  $("unsnooze").hidden = !snoozed;
  for (const b of document.querySelectorAll("[data-minutes]")) b.hidden = snoozed;
  $("snooze-section").hidden = [STATUS.NOT_CONFIGURED, STATUS.BAD_TOKEN].includes(report.status);
  renderCounts(report.counts);
  renderConsent(report);
  renderTask(report);
}

/** "Start a task" while none is open; its goal with "Done" / "Abandoned" while one is. */
function renderTask(report) {
  const asked = report.policy.categories.includes("tasks") && report.consent.tasks === true;
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

async function refresh() {
  try {
    render(await ask({ type: "status" }));
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
    render(await ask({ type: "set-consent", categories, confirm }));
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
    render(await ask({ type: "snooze", minutes }));
  });
}
$("task-start").addEventListener("submit", (ev) => {
  ev.preventDefault();
  taskAction({ type: "task-start", goal: $("task-goal").value });
});
$("task-done").addEventListener("click", () => taskAction({ type: "task-end", outcome: "done" }));
$("task-abandoned").addEventListener("click", () => taskAction({ type: "task-end", outcome: "abandoned" }));
$("unsnooze").addEventListener("click", async () => render(await ask({ type: "unsnooze" })));
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
refresh();
