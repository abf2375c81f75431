// The wire form of events: exactly the fields of docs/protocol.md, redacted, within the backend's limits.
import assert from "node:assert/strict";
import { test } from "node:test";

import { categoryOf, sanitizeEvent } from "../../extension/shared/events.js";

const ID = "00000000-0000-4000-8000-000000000000";
const base = { ts: 1_700_000_000_000, url: "http://127.0.0.1:8123/a?token=s3cret#x", title: "Inbox of jane@example.com" };

test("categories follow backend/core/vocabulary.json", () => {
  assert.equal(categoryOf("page_view"), "navigation");
  assert.equal(categoryOf("input_activity"), "typing");
  assert.equal(categoryOf("toString"), undefined);
  assert.equal(categoryOf("keystroke"), undefined);
});

test("a page view keeps only its fields, redacted", () => {
  const out = sanitizeEvent({ ...base, type: "page_view", referrer: "http://x/?q=1", employee: "mallory", extra: 1 }, ID);
  assert.deepEqual(out, { id: ID, type: "page_view", ts: base.ts, url: "http://127.0.0.1:8123/a", title: "Inbox of [email]", referrer: "http://x/" });
});

test("a click needs a target; the label is redacted", () => {
  const target = { selector: "#pay", tag: "BUTTON", role: "button", label: "Pay 4111111111111111", value: "x" };
  const out = sanitizeEvent({ ...base, type: "click", target }, ID);
  assert.deepEqual(out.target, { selector: "#pay", tag: "button", role: "button", label: "Pay [card]" });
  assert.equal(sanitizeEvent({ ...base, type: "click" }, ID), null);
});

test("type-specific fields are validated", () => {
  const target = { selector: "form", tag: "form" };
  assert.equal(sanitizeEvent({ ...base, type: "submit", target, fields: 3 }, ID).fields, 3);
  assert.equal(sanitizeEvent({ ...base, type: "submit", target, fields: "3" }, ID), null);
  assert.equal(sanitizeEvent({ ...base, type: "scroll", depth: 101 }, ID), null);
  assert.equal(sanitizeEvent({ ...base, type: "scroll", depth: 40 }, ID).depth, 40);
  assert.equal(sanitizeEvent({ ...base, type: "visibility", state: "prerender" }, ID), null);
  assert.equal(sanitizeEvent({ ...base, type: "input_activity", target, count: 0 }, ID), null);
  assert.deepEqual(Object.keys(sanitizeEvent({ ...base, type: "tab_focus", depth: 3 }, ID)), ["id", "type", "ts", "url", "title"]);
});

test("route changes carry a redacted from", () => {
  const out = sanitizeEvent({ ...base, type: "route_change", from: "http://127.0.0.1:8123/u/1234567?x=1" }, ID);
  assert.equal(out.from, "http://127.0.0.1:8123/u/[number]");
});

test("malformed events are refused", () => {
  assert.equal(sanitizeEvent(null, ID), null);
  assert.equal(sanitizeEvent({ ...base, type: "page_view", ts: "now" }, ID), null);
  assert.equal(sanitizeEvent({ ...base, type: "page_view", url: "" }, ID), null);
});
