// The admin console: a thin client of /admin/api (bearer admin token kept in sessionStorage).
const $ = (id) => document.getElementById(id);
$("token").value = sessionStorage.getItem("overt-admin") || "";
$("token").addEventListener("change", () => sessionStorage.setItem("overt-admin", $("token").value));

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${$("token").value}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return JSON.stringify(await res.json(), null, 2);
}

function scope() {
  const kind = $("scope-kind").value;
  return kind === "all" ? "all" : { [kind]: $("scope-value").value };
}

$("refresh").onclick = async () => ($("status").textContent = await call("GET", "/admin/api/status"));
$("pause").onclick = async () =>
  ($("result").textContent = await call("POST", "/admin/api/pause", {
    scope: scope(), reason: $("reason").value, purge: $("purge").checked,
  }));
$("resume").onclick = async () =>
  ($("result").textContent = await call("POST", "/admin/api/resume", { scope: scope() }));
$("audit").onclick = async () => ($("audit-log").textContent = await call("GET", "/admin/api/audit"));
