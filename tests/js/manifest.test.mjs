// The manifest: fixed key → the documented id, no incognito, a managed schema, and every module parses.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { EXTENSION_ID } from "../../extension/shared/constants.js";

const ROOT = fileURLToPath(new URL("../../extension/", import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8"));

test("the manifest key gives the documented extension id", () => {
  const digest = createHash("sha256").update(Buffer.from(manifest.key, "base64")).digest("hex").slice(0, 32);
  const id = [...digest].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join("");
  assert.equal(id, EXTENSION_ID);
});

test("never runs in incognito; managed config has a schema with server and token", () => {
  assert.equal(manifest.incognito, "not_allowed");
  const schema = JSON.parse(readFileSync(join(ROOT, manifest.storage.managed_schema), "utf8"));
  assert.ok(schema.properties.server && schema.properties.token);
});

test("every file the manifest names exists", () => {
  const files = [
    manifest.background.service_worker, manifest.action.default_popup, manifest.options_ui.page,
    ...manifest.content_scripts.flatMap((c) => c.js), ...Object.values(manifest.icons),
  ];
  for (const file of files) assert.ok(statSync(join(ROOT, file)).isFile(), file);
});

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? jsFiles(join(dir, entry.name)) : entry.name.endsWith(".js") ? [join(dir, entry.name)] : []);
}

test("every extension module parses", () => {
  for (const file of jsFiles(ROOT)) execFileSync(process.execPath, ["--check", file]);
});

test("pure modules import without chrome.*", async () => {
  assert.equal(typeof globalThis.chrome, "undefined");
  for (const name of ["constants", "redact", "selector", "events", "outbox", "backoff", "gate", "storage", "labels"]) {
    await import(`../../extension/shared/${name}.js`);
  }
});
