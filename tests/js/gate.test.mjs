// The capture gate: status precedence, consent ∩ policy, origins, fail closed after the grace period.
import assert from "node:assert/strict";
import { test } from "node:test";

import { STATUS } from "../../extension/shared/constants.js";
import { captureStatus, computeGate, effectiveCategories, gateAllows, placeStatus } from "../../extension/shared/gate.js";

const NOW = 1_700_000_000_000;
const live = () => ({
  configured: true, authError: false, pauses: {}, snooze: null, lastContact: NOW - 1000,
  consent: { categories: { clicks: true, typing: true, scroll: false } },
  policy: { categories: ["clicks", "scroll", "navigation"], allowed_origins: ["http://127.0.0.1:8123"] },
});

test("only categories both consented and asked for are captured", () => {
  const s = live();
  assert.deepEqual(effectiveCategories(s.consent, s.policy), ["clicks"]);
  assert.deepEqual(effectiveCategories(null, s.policy), []);
});

test("a live, consented state captures on allow-listed origins only", () => {
  const gate = computeGate(live(), NOW);
  assert.equal(gate.status, STATUS.CAPTURING);
  assert.equal(gateAllows(gate, "http://127.0.0.1:8123", "clicks"), true);
  assert.equal(gateAllows(gate, "http://127.0.0.1:9999", "clicks"), false);
  assert.equal(gateAllows(gate, "http://127.0.0.1:8123", "typing"), false);
});

test("status precedence: configuration, token, admin pause, self pause, contact", () => {
  assert.equal(captureStatus({ ...live(), configured: false }, NOW), STATUS.NOT_CONFIGURED);
  assert.equal(captureStatus({ ...live(), authError: true }, NOW), STATUS.BAD_TOKEN);
  const paused = { ...live(), pauses: { p1: { pause_id: "p1" } }, snooze: { until: null } };
  assert.equal(captureStatus(paused, NOW), STATUS.PAUSED_ADMIN);
  assert.equal(captureStatus({ ...live(), snooze: { until: null } }, NOW), STATUS.PAUSED_SELF);
  assert.equal(captureStatus({ ...live(), snooze: { until: NOW + 1 } }, NOW), STATUS.PAUSED_SELF);
  assert.equal(captureStatus({ ...live(), snooze: { until: NOW - 1 } }, NOW), STATUS.CAPTURING);
  assert.equal(captureStatus({ ...live(), policy: null }, NOW), STATUS.DISCONNECTED);
});

test("capture fails closed once the grace period has passed without contact", () => {
  const s = { ...live(), lastContact: NOW - 301_000 };
  assert.equal(captureStatus(s, NOW), STATUS.DISCONNECTED);
  assert.equal(captureStatus(s, NOW, 400), STATUS.CAPTURING);
  assert.equal(captureStatus({ ...live(), lastContact: null }, NOW), STATUS.DISCONNECTED);
  const gate = computeGate(s, NOW);
  assert.deepEqual([gate.active, gate.categories, gate.origins], [false, [], []]);
});

test("an open socket counts as contact however long it has been quiet", () => {
  assert.equal(captureStatus({ ...live(), lastContact: NOW - 999_000, connected: true }, NOW), STATUS.CAPTURING);
});

test("a tab shows capturing only on a work app with a category on, else why not", () => {
  const gate = { status: "capturing", active: true, categories: ["clicks"], origins: ["https://app.example.com"] };
  assert.equal(placeStatus(gate, "https://app.example.com"), "capturing");
  assert.equal(placeStatus(gate, "https://mail.example.org"), "not_work_app");
  assert.equal(placeStatus({ ...gate, categories: [] }, "https://app.example.com"), "nothing_on");
  assert.equal(placeStatus({ ...gate, status: "paused_admin" }, "https://app.example.com"), "paused_admin");
  assert.equal(placeStatus(null, ""), "disconnected");
  assert.equal(placeStatus(gate, null), "capturing"); // about no site: capture runs on the work apps
  assert.equal(placeStatus({ ...gate, categories: [] }, null), "nothing_on");
});
