// "My data": a thin client of /me/api. The session cookie (HttpOnly) authenticates every call;
// changes carry the X-Overt-Me header, which a cross-site form cannot send.
const $ = (id) => document.getElementById(id);
const CSRF_HEADER = document.body.dataset.csrfHeader || "X-Overt-Me";

const CATEGORIES = [
  ["navigation", "Pages", "Which pages and screens of the work apps you open."],
  ["clicks", "Clicks", "Which buttons and links you click: their label, never the page's content."],
  ["forms", "Forms", "That you submitted a form and how many fields it had, never what you typed."],
  ["scroll", "Scrolling", "How far down a page you scroll."],
  ["focus", "Tab focus", "When a work-app tab is in front or hidden."],
  ["typing", "Typing activity", "How many keystrokes you made in a field, never the characters."],
];
const LABELS = Object.fromEntries(CATEGORIES.map(([id, label]) => [id, label]));
const STAGES = { queued: "waiting", staged: "processed", sealed: "in a sealed batch" };

class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code;
  }
}

async function api(method, path, body) {
  const headers = { [CSRF_HEADER]: "1" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Every time on the page is the viewer's local time; the server sends ms or ISO-8601 (UTC).
function when(value) {
  if (value === null || value === undefined || value === "") return "";
  const date = new Date(typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const EVENT_TYPES = {
  page_view: "Page view",
  route_change: "Route change",
  click: "Click",
  submit: "Form submit",
  scroll: "Scroll",
  tab_focus: "Tab focus",
  visibility: "Tab visibility",
  input_activity: "Typing activity",
};

function eventDetail(rec) {
  if (rec.type === "scroll") return `${rec.depth}% down`;
  if (rec.type === "submit") return `${rec.fields} field(s)`;
  if (rec.type === "input_activity") return `${rec.count} keystroke(s), no characters`;
  if (rec.type === "visibility") return rec.state || "";
  return "";
}

function targetText(target) {
  if (!target) return "";
  return target.label || target.role || target.tag || target.selector || "";
}

function row(tbody, cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    td.textContent = cell;
    tr.append(td);
  }
  tbody.append(tr);
}

function fill(tableId, rows) {
  const tbody = document.querySelector(`#${tableId} tbody`);
  tbody.replaceChildren();
  rows.forEach((cells) => row(tbody, cells));
}

function signedOut() {
  $("content").hidden = true;
  $("signed-out").hidden = false;
  $("who").textContent = "Not signed in.";
}

function renderCategoriesOn(view) {
  const on = CATEGORIES.filter(([id]) => view.consent.categories[id]).map(([, label]) => label);
  $("categories-on").textContent = on.join(", ") || "nothing";
}

function renderConsent(view) {
  const asked = new Set(view.policy.categories);
  $("purpose").textContent = view.policy.purpose;
  $("policy-version").textContent = view.policy.version;
  $("retention").textContent = view.policy.retention_days;
  $("work-apps").textContent = view.policy.allowed_origins.join(", ") || "none named yet";
  renderCategoriesOn(view);
  const signal = view.signals.gpc ? "Global Privacy Control" : view.signals.dnt ? "Do Not Track" : "";
  $("signals").hidden = !signal;
  $("signals").textContent = signal
    ? `Your browser sends ${signal}: turning a category on asks you to confirm.` : "";
  const list = $("toggles");
  list.replaceChildren();
  for (const [id, label, help] of CATEGORIES) {
    const li = document.createElement("li");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.id = `toggle-${id}`;
    input.dataset.category = id;
    input.checked = Boolean(view.consent.categories[id]);
    input.disabled = !asked.has(id);
    input.addEventListener("change", () => toggle(input));
    const name = document.createElement("label");
    name.htmlFor = input.id;
    name.textContent = label;
    const note = document.createElement("span");
    note.className = "muted";
    note.textContent = asked.has(id) ? ` ${help}` : " Not asked for by your organisation.";
    li.append(input, name, note);
    list.append(li);
  }
}

function confirmSignal(category) {
  const dialog = $("confirm-signal");
  $("confirm-category").textContent = LABELS[category];
  return new Promise((resolve) => {
    const done = (answer) => { dialog.close(); resolve(answer); };
    $("confirm-signal-yes").onclick = () => done(true);
    $("confirm-signal-no").onclick = () => done(false);
    dialog.showModal();
  });
}

async function toggle(input) {
  const category = input.dataset.category;
  const on = input.checked;
  const change = { categories: { [category]: on } };
  input.disabled = true;
  try {
    try {
      await api("PUT", "/me/api/consent", change);
    } catch (err) {
      if (err.code !== "confirmation_required" || !(await confirmSignal(category))) throw err;
      await api("PUT", "/me/api/consent", { ...change, confirm: true });
    }
    $("consent-message").textContent = `Saved: ${LABELS[category]} is ${on ? "on" : "off"}.`;
  } catch (err) {
    input.checked = !on;
    $("consent-message").textContent = err.code === "confirmation_required"
      ? `${LABELS[category]} stays off.` : `Not saved: ${err.message}`;
    if (err.status === 401) return signedOut();
  }
  await load();
}

function renderCollected(view) {
  const c = view.counts;
  $("totals").textContent = `${c.total} event(s): ${c.by_stage.queued} waiting, ` +
    `${c.by_stage.staged} processed and waiting to be sealed, ${c.by_stage.sealed} in sealed batches.`;
  fill("by-category", Object.entries(c.by_category).map(([k, n]) => [LABELS[k] || k, n]));
  fill("by-day", Object.entries(c.by_day).reverse().map(([day, cats]) => [
    day, Object.values(cats).reduce((a, b) => a + b, 0),
    Object.entries(cats).map(([k, n]) => `${LABELS[k] || k} ${n}`).join(", "),
  ]));
  $("by-day-zone").textContent = view.timezone || TIME_ZONE;
  fill("recent-table", view.recent.map(({ stage, record }) => [
    when(record.ts), EVENT_TYPES[record.type] || record.type, record.url || "",
    targetText(record.target), eventDetail(record), STAGES[stage] || stage,
  ]));
  $("recent-table").hidden = view.recent.length === 0;
  $("recent-raw").hidden = view.recent.length === 0;
  $("no-recent").hidden = view.recent.length > 0;
  $("recent-records").textContent = view.recent.map((r) => JSON.stringify(r.record, null, 2))
    .join("\n\n");
  fill("batch-table", view.batches.map((b) => [b.batch_id, when(b.sealed_at), b.events]));
  $("no-batches").hidden = view.batches.length > 0;
}

function renderLedger(view) {
  const sig = (s) => (s ? [s.gpc && "GPC", s.dnt && "DNT"].filter(Boolean).join(", ") : "");
  fill("ledger-table", view.ledger.slice().reverse().map((e) => [
    when(e.at), e.by === "policy" ? "policy change" : `${e.by} (${e.device})`,
    e.granted.map((k) => LABELS[k]).join(", "), e.withdrawn.map((k) => LABELS[k]).join(", "),
    e.policy_version, sig(e.signals) + (e.confirmed && sig(e.signals) ? " (confirmed)" : ""),
  ]));
}

function receiptText(r) {
  const pending = r.status === "pending" ? " (in progress)" : "";
  return `${r.receipt_id} at ${when(r.at)}${pending}: ${r.removed_total} event(s) removed ` +
    `(${r.removed_sealed} from ${r.shards.length} sealed batch(es), ${r.removed_unsealed} unsealed)`;
}

function renderReceipts(view) {
  // The receipt of an erasure just made is shown above, in full: list only the others here.
  const shown = $("receipt").hidden ? null : $("receipt-id").textContent;
  const earlier = view.receipts.filter((r) => r.receipt_id !== shown);
  $("earlier-receipts").hidden = earlier.length === 0;
  $("receipts").replaceChildren(...earlier.reverse().map((r) => {
    const li = document.createElement("li");
    li.textContent = receiptText(r);
    return li;
  }));
}

function showReceipt(receipt) {
  $("receipt-id").textContent = receipt.receipt_id;
  $("receipt-at").textContent = when(receipt.at);
  $("receipt-status").textContent = receipt.status === "pending"
    ? "in progress: sealed batches are being rewritten"
    : `completed ${when(receipt.completed_at)}`;
  $("receipt").dataset.status = receipt.status;
  $("receipt-total").textContent = receipt.removed_total;
  $("receipt-shards").replaceChildren(...receipt.shards.map((s) => {
    const li = document.createElement("li");
    li.textContent = `batch ${s.batch_id}: ${s.removed} event(s) removed`;
    return li;
  }));
  $("receipt").hidden = false;
}

async function load() {
  let view;
  try {
    view = await api("GET", `/me/api/overview?tz=${encodeURIComponent(TIME_ZONE)}`);
  } catch (err) {
    if (err.status === 401) return signedOut();
    $("who").textContent = `Could not load your data: ${err.message}`;
    return;
  }
  $("who").textContent = `Signed in as ${view.employee} (team ${view.team}), from device ${view.device}.`;
  renderConsent(view);
  renderCollected(view);
  renderLedger(view);
  renderReceipts(view);
  $("content").hidden = false;
  document.body.dataset.loaded = String(Date.now());
}

// An erasure answers at once (202) with a pending receipt; a worker rewrites the sealed batches.
const RECEIPT_POLL_MS = 1000;

async function untilCompleted(receipt) {
  while (receipt.status === "pending") {
    await new Promise((done) => setTimeout(done, RECEIPT_POLL_MS));
    receipt = await api("GET", `/me/api/receipts/${encodeURIComponent(receipt.receipt_id)}`);
    showReceipt(receipt);
  }
  return receipt;
}

$("erase").addEventListener("click", () => {
  $("erase-confirm").hidden = false;
  $("erase-yes").focus();
});
$("erase-no").addEventListener("click", () => { $("erase-confirm").hidden = true; });
$("erase-yes").addEventListener("click", async () => {
  $("erase-yes").disabled = true;
  try {
    const pending = await api("DELETE", "/me/api/data");
    showReceipt(pending);
    $("erase-confirm").hidden = true;
    await load();
    await untilCompleted(pending);
  } catch (err) {
    if (err.status === 401) return signedOut();
    $("receipt").hidden = true;
    $("who").textContent = `Erasure failed: ${err.message}. Nothing was reported as erased.`;
  } finally {
    $("erase-yes").disabled = false;
  }
  await load();
});
$("sign-out").addEventListener("click", async () => {
  await api("DELETE", "/me/api/session").catch(() => null);
  signedOut();
});

if ($("signed-out").hidden) load();
