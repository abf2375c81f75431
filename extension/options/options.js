/** The options page: server URL and enrollment token, stored in chrome.storage.local. */
import { STATUS_TEXT } from "../shared/labels.js";
import { KEY_GATE, KEY_OPTIONS, readKey, writeKeys } from "../shared/storage.js";

const $ = (id) => document.getElementById(id);

async function showState() {
  const report = await chrome.runtime.sendMessage({ type: "status" }).catch(() => null);
  if (!report || !report.ok) return;
  const managed = report.source === "managed" || report.source === "config.json";
  $("managed").hidden = !managed;
  $("managed").textContent = report.source === "managed"
    ? "These settings are managed by your organisation."
    : "These settings come from the config.json packaged with the extension.";
  for (const input of document.querySelectorAll("input")) input.disabled = managed;
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
