/** The options page: server URL and enrollment token, stored in chrome.storage.local. */
import { STATUS_TEXT } from "../shared/labels.js";
import { KEY_GATE, KEY_OPTIONS, readKey, writeKeys } from "../shared/storage.js";

const $ = (id) => document.getElementById(id);

const FIXED_BY = { managed: "your organisation", "config.json": "the config.json packaged with the extension" };

/** What the organisation set cannot be edited here (a managed server, the employee's own token). */
function showFixed(report) {
  const server = FIXED_BY[report.source];
  const token = FIXED_BY[report.token_source];
  $("managed").hidden = !server && !token;
  if (server && token) $("managed").textContent = `These settings are set by ${server}.`;
  else if (server) $("managed").textContent = `The server is set by ${server}: enter your enrollment token.`;
  else if (token) $("managed").textContent = `The enrollment token is set by ${token}.`;
  $("server").disabled = Boolean(server);
  if (server) $("server").value = report.server;
  $("token").disabled = Boolean(token);
  $("save").disabled = Boolean(server && token);
}

async function showState() {
  const report = await chrome.runtime.sendMessage({ type: "status" }).catch(() => null);
  if (!report || !report.ok) return;
  showFixed(report);
  $("state").textContent = `${STATUS_TEXT[report.status] || report.status}${report.server ? ` — ${report.server}` : ""}`;
}

async function load() {
  const options = (await readKey("local", KEY_OPTIONS)) || {};
  $("server").value = options.server || "";
  $("token").value = options.token || "";
  await showState();
}

$("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const server = $("server").value.trim();
  try {
    const url = new URL(server);
    if (!["ws:", "wss:"].includes(url.protocol)) throw new Error("scheme");
  } catch {
    $("state").textContent = "The server must be a ws:// or wss:// address.";
    return;
  }
  await writeKeys("local", { [KEY_OPTIONS]: { server, token: $("token").value.trim() } });
  $("state").textContent = "Saved. Connecting…";
});

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "session" && changes[KEY_GATE]) showState();
});
load();
