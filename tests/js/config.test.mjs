// Where the extension's server and token come from (extension/background/config.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { chooseConfig, pickKnobs } from "../../extension/background/config.js";

const WS = "wss://overt.example.com/ws";

test("a managed server wins, with the employee's own token from the options page", () => {
  const chosen = chooseConfig([
    ["managed", { server: WS }],
    ["config.json", {}],
    ["options", { server: "ws://elsewhere.example/ws", token: " tok-employee " }],
  ]);
  assert.deepEqual(chosen, { server: WS, token: "tok-employee", source: "managed", tokenSource: "options" });
});

test("each key from the first source that sets it, in order", () => {
  const sources = [
    ["managed", { server: WS, token: "tok-managed" }],
    ["config.json", { server: "ws://localhost:5000/ws", token: "tok-file" }],
    ["options", { server: "ws://x/ws", token: "tok-options" }],
  ];
  assert.deepEqual(chooseConfig(sources), { server: WS, token: "tok-managed", source: "managed", tokenSource: "managed" });
  const fileOnly = chooseConfig([["managed", {}], sources[1], sources[2]]);
  assert.equal(fileOnly.source, "config.json");
  assert.equal(fileOnly.token, "tok-file");
  // A managed token alone (per device), the server from the options page.
  const tokenOnly = chooseConfig([["managed", { token: "tok-managed" }], ["config.json", {}], sources[2]]);
  assert.deepEqual(tokenOnly, { server: "ws://x/ws", token: "tok-managed", source: "options", tokenSource: "managed" });
});

test("an invalid server or a blank token is no setting", () => {
  const chosen = chooseConfig([
    ["managed", { server: "https://not-a-socket.example/ws", token: "   " }],
    ["options", { server: 42, token: 7 }],
  ]);
  assert.deepEqual(chosen, { server: null, token: null, source: null, tokenSource: null });
});

test("a config.json that is valid JSON but no object sets nothing and breaks nothing", async () => {
  // loadConfig read `null` as the file's settings and threw on `null.server`: the service
  // worker then never connected, whatever the options page said.
  const { loadConfig } = await import("../../extension/background/config.js");
  const options = { server: "ws://127.0.0.1:8765/ws", token: "tok-options" };
  const realFetch = globalThis.fetch;
  for (const body of ["null", "[]", "5", '"ws://x/ws"']) {
    globalThis.chrome = {
      runtime: { getURL: (path) => `chrome-extension://id/${path}` },
      storage: {
        managed: { get: async () => ({}) },
        local: { get: async (key) => ({ [key]: options }) },
      },
    };
    globalThis.fetch = async () => new Response(body, { status: 200 });
    const config = await loadConfig();
    assert.equal(config.server, "ws://127.0.0.1:8765/ws", body);
    assert.equal(config.token, "tok-options", body);
    assert.equal(config.source, "options", body);
  }
  delete globalThis.chrome;
  globalThis.fetch = realFetch;
});

test("a source that is null or a list sets nothing", () => {
  const chosen = chooseConfig([["managed", null], ["config.json", [WS]], ["options", { server: WS, token: "t" }]]);
  assert.deepEqual(chosen, { server: WS, token: "t", source: "options", tokenSource: "options" });
});

test("a grace period or interval longer than a browser timer can wait is not taken", () => {
  // setTimeout fires at once past 2^31 - 1 ms: grace_seconds 1e12 re-armed the grace timer
  // every millisecond and never failed closed. Such a value is ignored, as a negative one is.
  const defaults = pickKnobs({});
  const tooLong = pickKnobs({ grace_seconds: 1e12, flush_ms: 2 ** 31, keepalive_ms: 1e300 });
  assert.equal(tooLong.graceSeconds, defaults.graceSeconds);
  assert.equal(tooLong.flushMs, defaults.flushMs);
  assert.equal(tooLong.keepaliveMs, defaults.keepaliveMs);
  const longest = pickKnobs({ grace_seconds: 2147483, flush_ms: 2 ** 31 - 1 });
  assert.equal(longest.graceSeconds, 2147483);
  assert.equal(longest.flushMs, 2 ** 31 - 1);
  // The first source in range wins: managed storage's, else config.json's.
  assert.equal(pickKnobs({ grace_seconds: 1e12 }, { grace_seconds: 90 }).graceSeconds, 90);
});
