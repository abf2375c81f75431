// Reconnect backoff: exponential, capped, jittered, never zero.
import assert from "node:assert/strict";
import { test } from "node:test";

import { backoffDelay } from "../../extension/shared/backoff.js";

test("grows exponentially up to the cap", () => {
  const top = (n) => backoffDelay(n, { baseMs: 500, maxMs: 30_000, random: () => 1 });
  assert.deepEqual([0, 1, 2, 3].map(top), [500, 1000, 2000, 4000]);
  assert.equal(top(10), 30_000);
  assert.equal(top(1e9), 30_000);
});

test("jitter stays within half the cap and the cap", () => {
  for (let i = 0; i < 200; i++) {
    const delay = backoffDelay(4, { baseMs: 500, maxMs: 30_000 });
    assert.ok(delay >= 4000 && delay <= 8000, String(delay));
  }
  assert.equal(backoffDelay(0, { random: () => 0 }), 250);
});

test("bad attempt numbers are treated as the first attempt", () => {
  assert.equal(backoffDelay(-3, { baseMs: 100, random: () => 1 }), 100);
  assert.equal(backoffDelay(Number.NaN, { baseMs: 100, random: () => 1 }), 100);
});
