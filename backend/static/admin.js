// The admin console: a thin client of /admin/api. An HttpOnly session cookie authenticates every
// call; changes carry the CSRF header, which a cross-site form cannot send. Live panels poll
// /admin/api/live every POLL_MS. Data is written with textContent only, never as HTML.
const $ = (id) => document.getElementById(id);
const CSRF_HEADER = document.body.dataset.csrfHeader || "X-Overt-Admin";
const CATEGORIES = (document.body.dataset.categories || "").split(",").filter(Boolean);
const POLL_MS = 1500;
const AUDIT_PAGE = 25;

let pollTimer = null;
let auditCursor = null;

class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code;
    this.errors = body.errors || {};
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
  if (res.status === 401 && path !== "/admin/api/session") showSignIn();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Build an element: el("td", {className: "x"}, "text", child...). */
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function when(ms) {
  return ms ? new Date(ms).toLocaleString() : "—";
}

function scopeText(scope) {
  if (scope.all) return "everyone";
  if (scope.team) return `team ${scope.team}`;
  return `employee ${scope.employee}`;
}

function flash(message, isError = false) {
  const box = $("flash");
  box.textContent = message;
  box.className = isError ? "flash error" : "flash";
  box.hidden = false;
}

function errorText(err) {
  const fields = Object.entries(err.errors || {}).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`);
  return fields.length ? `${err.message} (${fields.join("; ")})` : err.message;
}

/** Run an action from a form; report its outcome in the status line. */
function onSubmit(form, action) {
  $(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const message = await action();
      if (message) flash(message);
      await Promise.all([refresh(), loadAudit(null)]);
    } catch (err) {
      flash(errorText(err), true);
    } finally {
      button.disabled = false;
    }
  });
}

// ---- sign-in --------------------------------------------------------------------------------

function showSignIn() {
  for (const panel of Object.keys(rendered)) delete rendered[panel];
  clearInterval(pollTimer);
  pollTimer = null;
  $("app").hidden = true;
  $("nav").hidden = true;
  $("sign-in-panel").hidden = false;
  $("who").textContent = "";
  $("token").focus();
}

async function showConsole(label) {
  $("sign-in-panel").hidden = true;
  $("app").hidden = false;
  $("nav").hidden = false;
  $("who").textContent = `signed in as ${label}`;
  await Promise.all([refresh(), loadPolicy(), loadTokens(), loadAudit(null), verifyAudit()]);
  if (!pollTimer) pollTimer = setInterval(refresh, POLL_MS);
}

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  $("token").value = ""; // never kept on the page
  try {
    const { label } = await api("POST", "/admin/api/session", { token });
    $("flash").hidden = true;
    await showConsole(label);
  } catch (err) {
    flash(errorText(err), true);
    $("token").focus();
  }
});

$("sign-out").addEventListener("click", async () => {
  await api("DELETE", "/admin/api/session").catch(() => null);
  showSignIn();
});

// ---- live panels ----------------------------------------------------------------------------

async function refresh() {
  let live;
  try {
    live = await api("GET", "/admin/api/live");
  } catch (err) {
    if (err.status !== 401) $("updated").textContent = `update failed: ${err.message}`;
    return;
  }
  // Re-render a panel only when its data changed, so keyboard focus stays where it is.
  whenChanged("active", live.active_pauses, renderActivePauses);
  whenChanged("pauses", [live.pauses, live.pauses_total], ([p, n]) => renderPauseTable(p, n));
  whenChanged("devices", [live.devices, live.connected_clients], ([d, n]) => renderDevices(d, n));
  whenChanged("pipeline", [live.queue, live.workers, live.batches], () => renderPipeline(live));
  $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

const rendered = {};

function whenChanged(panel, data, render) {
  const key = JSON.stringify(data);
  if (rendered[panel] === key) return;
  rendered[panel] = key;
  const focused = document.activeElement && document.activeElement.dataset.focusKey;
  render(data);
  if (focused) {
    const again = document.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

function renderActivePauses(active) {
  const box = $("active-pauses");
  if (!active.length) {
    box.replaceChildren(el("p", { className: "ok" }, "Capture is running: nothing is paused."));
    return;
  }
  const list = el("ul", { className: "active" });
  for (const p of active) {
    const resume = el("button", { type: "button", textContent: `Resume ${scopeText(p.scope)}` });
    resume.dataset.focusKey = `resume-${p.pause_id}`;
    resume.addEventListener("click", async () => {
      try {
        await api("POST", "/admin/api/resume", { pause_id: p.pause_id });
        flash(`Resumed ${scopeText(p.scope)}.`);
        await Promise.all([refresh(), loadAudit(null)]);
      } catch (err) {
        flash(errorText(err), true);
      }
    });
    list.append(el("li", {},
      el("strong", {}, `Paused: ${scopeText(p.scope)}`), ` — “${p.reason}”, by ${p.by}, since ${when(p.since_ms)} `,
      resume));
  }
  box.replaceChildren(list);
}

function renderPauseTable(pauses, total) {
  // The live view sends the newest few and every active one; the audit log has them all.
  $("pause-count").textContent = total > pauses.length
    ? `Showing ${pauses.length} of ${total} pauses: the newest, and every active one. The audit log lists them all.`
    : "";
  const rows = pauses.map((p) => {
    const lat = p.latency_ms;
    const latency = lat.max === null ? "—" : `${lat.p50} / ${lat.p99} / ${lat.max} ms`;
    const missing = p.not_acknowledged.map((c) => `${c.employee} (${c.device})`).join(", ") || "none";
    return el("tr", { className: p.active ? "is-active" : "" },
      el("td", {}, scopeText(p.scope)), el("td", {}, p.reason), el("td", {}, p.by),
      el("td", {}, when(p.since_ms)),
      el("td", {}, p.active ? "active" : `resumed ${when(p.until_ms)}`),
      el("td", { className: "acks" }, `${p.acknowledged} of ${p.expected}`),
      el("td", {}, latency), el("td", {}, p.active ? missing : "—"));
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 8 }, "No pauses yet.")));
  $("pause-table").tBodies[0].replaceChildren(...rows);
}

function renderDevices(teams, count) {
  $("device-count").textContent = String(count);
  const names = new Set();
  const blocks = Object.entries(teams).map(([team, devices]) => {
    names.add(team);
    const items = devices.map((d) => {
      names.add(d.employee);
      const revoke = el("button", { type: "button", className: "danger small", textContent: "Revoke" });
      revoke.setAttribute("aria-label", `Revoke device ${d.device} of ${d.employee}`);
      revoke.dataset.focusKey = `revoke-${d.device}`;
      revoke.addEventListener("click", () => revokeDevice(d));
      return el("li", {}, `${d.employee} `,
        el("span", { className: "muted" }, `${d.device} · since ${when(d.since_ms)} `), revoke);
    });
    return el("div", { className: "team" }, el("h3", {}, `${team} (${devices.length})`), el("ul", {}, ...items));
  });
  if (!blocks.length) blocks.push(el("p", { className: "muted" }, "No device is connected."));
  $("device-teams").replaceChildren(...blocks);
  $("known-names").replaceChildren(...[...names].sort().map((n) => el("option", { value: n })));
}

async function revokeDevice(d) {
  if (!confirm(`Revoke device ${d.device} of ${d.employee}? It can no longer connect.`)) return;
  try {
    await api("POST", `/admin/api/devices/${encodeURIComponent(d.device)}/revoke`);
    flash(`Revoked device ${d.device} of ${d.employee}.`);
    await Promise.all([refresh(), loadAudit(null)]);
  } catch (err) {
    flash(errorText(err), true);
  }
}

function renderPipeline(live) {
  const q = live.queue;
  const stats = [
    ["Queued events", q.incoming_events], ["In flight", q.events_in_flight],
    ["Staged events", q.staged_events], ["Jobs waiting", q.jobs],
    ["Failed jobs", q.failed_jobs], ["Live workers", live.workers],
    ["Batches sealed", live.batches.sealed], ["Events sealed", live.batches.events],
  ];
  $("pipeline-stats").replaceChildren(...stats.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, String(v)))));
  const rows = live.batches.recent.map((b) => el("tr", {},
    el("td", {}, el("code", {}, b.batch_id)), el("td", {}, when(b.sealed_ms)),
    el("td", {}, String(b.events)), el("td", {}, String(b.contributors))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 4 }, "No batch sealed yet.")));
  $("batch-table").tBodies[0].replaceChildren(...rows);
}

// ---- pause ----------------------------------------------------------------------------------

$("scope-kind").addEventListener("change", () => {
  const all = $("scope-kind").value === "all";
  $("scope-value").disabled = all;
  $("scope-value").required = !all;
});

onSubmit("pause-form", async () => {
  const kind = $("scope-kind").value;
  const scope = kind === "all" ? "all" : { [kind]: $("scope-value").value.trim() };
  const res = await api("POST", "/admin/api/pause", {
    scope, reason: $("reason").value.trim(), purge: $("purge").checked,
  });
  $("reason").value = "";
  const purged = $("purge").checked ? ` ${res.purged} queued events deleted.` : "";
  // A pause naming nobody enrolled is kept, but a typo must not pass for a pause that took effect.
  const warned = (res.warnings || []).map((w) => ` Note: ${w}.`).join("");
  const done = res.created ? `Paused ${scopeText(res.scope)}.` : `Already paused: ${scopeText(res.scope)}.`;
  return done + purged + warned;
});

// ---- policy ---------------------------------------------------------------------------------

const POLICY_LABELS = {
  categories: "Categories asked of employees",
  purpose: "Purpose (shown to employees; changing it asks everyone again)",
  retention_days: "Retention (days)",
  allowed_origins: "Work-app origins (one per line, https://host)",
  mask_selectors: "Mask selectors (CSS, one per line)",
  min_contributors: "Minimum contributors (k)",
};

function policyField(key, value) {
  const id = `policy-${key}`;
  const label = el("label", { htmlFor: id }, POLICY_LABELS[key] || key.replaceAll("_", " "));
  if (key === "categories") {
    const boxes = CATEGORIES.map((c) => el("label", { className: "inline" },
      el("input", { type: "checkbox", name: "category", value: c, checked: value.includes(c) }), ` ${c}`));
    const set = el("fieldset", {}, el("legend", {}, POLICY_LABELS.categories), ...boxes);
    Object.assign(set.dataset, { key, kind: "categories" });
    return set;
  }
  let input;
  if (Array.isArray(value)) {
    input = el("textarea", { id, rows: Math.max(2, value.length + 1), value: value.join("\n") });
    input.dataset.kind = "lines";
  } else if (typeof value === "number") {
    input = el("input", { id, type: "number", value: String(value), step: "1" });
    input.dataset.kind = "number";
  } else if (typeof value === "boolean") {
    input = el("input", { id, type: "checkbox", checked: value });
    input.dataset.kind = "boolean";
  } else {
    input = el(key === "purpose" ? "textarea" : "input", { id, value: value ?? "" });
    input.dataset.kind = "text";
  }
  input.dataset.key = key;
  return el("div", { className: "field" }, label, input);
}

async function loadPolicy() {
  const policy = await api("GET", "/admin/api/policy");
  $("policy-version").textContent = `version ${policy.version}`;
  const order = Object.keys(POLICY_LABELS);
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
  const fields = Object.entries(policy).filter(([k]) => k !== "version")
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)).map(([k, v]) => policyField(k, v));
  $("policy-fields").replaceChildren(...fields);
}

function readPolicyForm() {
  const body = {};
  for (const node of $("policy-fields").querySelectorAll("[data-key]")) {
    const { key, kind } = node.dataset;
    if (kind === "categories") {
      body[key] = [...node.querySelectorAll("input:checked")].map((i) => i.value);
    } else if (kind === "lines") {
      body[key] = node.value.split("\n").map((s) => s.trim()).filter(Boolean);
    } else if (kind === "number") {
      body[key] = Number(node.value);
    } else if (kind === "boolean") {
      body[key] = node.checked;
    } else {
      body[key] = node.value;
    }
  }
  return body;
}

$("policy-reload").addEventListener("click", () => loadPolicy().catch((err) => flash(errorText(err), true)));
onSubmit("policy-form", async () => {
  const saved = await api("PUT", "/admin/api/policy", readPolicyForm());
  await loadPolicy();
  return `Policy saved (version ${saved.version}).`;
});

// ---- people ---------------------------------------------------------------------------------

function showSecret(box, title, secret, note) {
  const copy = el("button", { type: "button", textContent: "Copy" });
  copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(secret));
  const hide = el("button", { type: "button", textContent: "Done, hide it" });
  hide.addEventListener("click", () => box.replaceChildren() || (box.hidden = true));
  box.replaceChildren(el("p", {}, el("strong", {}, title)), el("code", { className: "token" }, secret),
    el("p", { className: "muted" }, note), copy, hide);
  box.hidden = false;
  hide.focus();
}

onSubmit("enroll-form", async () => {
  const employee = $("enroll-employee").value.trim();
  // No team: the employee keeps theirs (new: "default"); another team moves them.
  const team = $("enroll-team").value.trim();
  const res = await api("POST", "/admin/api/employees", team ? { employee, team } : { employee });
  showSecret($("enroll-result"), `Device token for ${res.employee} (team ${res.team})`, res.token,
    "Shown once: only its hash is stored. Give it to the employee or put it in their browser policy.");
  $("enroll-employee").value = "";
  return `Enrolled ${res.employee}.`;
});

onSubmit("revoke-form", async () => {
  const employee = $("revoke-employee").value.trim();
  if (!confirm(`Revoke every device token of ${employee}? Their extension disconnects.`)) return "";
  const res = await api("POST", `/admin/api/employees/${encodeURIComponent(employee)}/revoke`);
  $("revoke-employee").value = "";
  return `Revoked ${res.revoked} device token(s) of ${employee}.`;
});

onSubmit("erase-form", async () => {
  const employee = $("erase-employee").value.trim();
  if (!confirm(`Erase all data of ${employee}, sealed batches included? This cannot be undone.`)) return "";
  const res = await api("DELETE", `/admin/api/employees/${encodeURIComponent(employee)}/data`,
    { reason: $("erase-reason").value.trim() });
  $("erase-employee").value = "";
  $("erase-reason").value = "";
  return `Erased ${employee}: ${res.removed_total} event(s) removed, receipt ${res.receipt_id}.`;
});

// ---- admin tokens ---------------------------------------------------------------------------

async function loadTokens() {
  const { tokens } = await api("GET", "/admin/api/tokens");
  const items = tokens.map((t) => {
    const li = el("li", {}, `${t.label} `, el("span", { className: "muted" },
      t.created_at ? `created ${when(t.created_at)}` : "(OVERT_ADMIN_TOKEN)"));
    if (t.created_at) {
      const revoke = el("button", { type: "button", className: "danger", textContent: `Revoke ${t.label}` });
      revoke.addEventListener("click", async () => {
        if (!confirm(`Revoke admin token ${t.label}? Its sessions end too.`)) return;
        try {
          await api("DELETE", `/admin/api/tokens/${encodeURIComponent(t.label)}`);
          flash(`Revoked admin token ${t.label}.`);
          await Promise.all([loadTokens(), loadAudit(null)]);
        } catch (err) {
          flash(errorText(err), true);
        }
      });
      li.append(" ", revoke);
    }
    return li;
  });
  $("token-list").replaceChildren(...items);
}

onSubmit("token-form", async () => {
  const res = await api("POST", "/admin/api/tokens", { label: $("token-label").value.trim() });
  showSecret($("token-result"), `Admin token ${res.label}`, res.token,
    "Shown once: only its hash is stored. The audit log names its actions by this label.");
  $("token-label").value = "";
  await loadTokens();
  return `Created admin token ${res.label}.`;
});

// ---- audit log ------------------------------------------------------------------------------

function auditDetails(entry) {
  const skip = new Set(["seq", "at", "actor", "action", "prev_hash", "hash"]);
  return Object.entries(entry).filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}: ${typeof v === "object" ? (v && v.all ? "everyone" : JSON.stringify(v)) : v}`).join(" · ");
}

async function loadAudit(before) {
  const query = new URLSearchParams({ limit: String(AUDIT_PAGE) });
  if (before) query.set("before", String(before));
  const pageData = await api("GET", `/admin/api/audit?${query}`);
  auditCursor = pageData.next;
  $("audit-older").disabled = !auditCursor;
  const rows = pageData.entries.map((e) => el("tr", {},
    el("td", {}, String(e.seq)), el("td", {}, when(e.at)), el("td", {}, e.actor),
    el("td", {}, e.action), el("td", {}, auditDetails(e))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 5 }, "Nothing recorded yet.")));
  $("audit-table").tBodies[0].replaceChildren(...rows);
}

// Verifying reads the whole chain (it is never trimmed): on sign-in and on request, not per action.
async function verifyAudit() {
  $("audit-verdict").textContent = "verifying…";
  const verdict = await api("GET", "/admin/api/audit/verify");
  $("audit-verdict").textContent = verdict.ok
    ? `chain intact (${verdict.checked} entries, checked ${new Date().toLocaleTimeString()})`
    : `CHAIN BROKEN at entry ${verdict.broken_at}: ${verdict.problem}`;
  $("audit-verdict").className = verdict.ok ? "muted" : "error";
}

$("audit-verify").addEventListener("click", () => verifyAudit().catch((err) => flash(errorText(err), true)));
$("audit-newest").addEventListener("click", () => loadAudit(null).catch((err) => flash(errorText(err), true)));
$("audit-older").addEventListener("click", () => loadAudit(auditCursor).catch((err) => flash(errorText(err), true)));

// ---- start ----------------------------------------------------------------------------------

(async () => {
  try {
    const { label } = await api("GET", "/admin/api/session");
    await showConsole(label);
  } catch {
    showSignIn();
  }
})();
