// Pure parts of trajectories: observation limits, the key filter, the step counter, event cleaning.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_ELEMENTS, MAX_OBSERVATION_BYTES } from "../../extension/shared/constants.js";
import { closeTab, newEpisodes, nextStep, randomToken } from "../../extension/shared/episode.js";
import { sanitizeEvent, TOKEN } from "../../extension/shared/events.js";
import { commandKey } from "../../extension/shared/keys.js";
import { bidAllocator, buildObservation, snap, viewportBox } from "../../extension/shared/observe.js";
import { emptyOutbox, enqueue, nextFrame } from "../../extension/shared/outbox.js";

const VIEW = { width: 1280, height: 800 };
const rect = (left, top, width, height) => ({ left, top, width, height, right: left + width, bottom: top + height });

function page(n, label = "Open") {
  return Array.from({ length: n }, (_, i) => ({ i, label: `${label} ${i}`, rect: rect(10, 10 + i * 3, 100, 20) }));
}

const hooks = (alloc = bidAllocator()) => ({
  describe: (el) => (el.ignored ? null : { role: "button", tag: "button", label: el.label, state: {} }),
  boxOf: (el) => viewportBox(el.rect, VIEW),
  bidOf: alloc.bidOf,
});

test("an observation keeps at most MAX_ELEMENTS elements", () => {
  const built = buildObservation(page(500), hooks());
  assert.equal(built.elements.length, MAX_ELEMENTS);
  assert.equal(built.truncated, true);
});

test("an observation stays under MAX_OBSERVATION_BYTES", () => {
  const built = buildObservation(page(200, "x".repeat(300)), hooks());
  const bytes = new TextEncoder().encode(JSON.stringify(built.elements)).length;
  assert.ok(bytes <= MAX_OBSERVATION_BYTES, `${bytes} bytes`);
  assert.equal(bytes, built.bytes);
  assert.ok(built.elements.length < 200 && built.truncated);
});

test("elements outside the viewport, hidden or ignored are left out; boxes snap to 8 px", () => {
  const els = [
    { label: "in", rect: rect(13, 21, 99, 30) },
    { label: "below", rect: rect(10, 900, 100, 20) },
    { label: "empty", rect: rect(10, 10, 0, 0) },
    { label: "ignored", ignored: true, rect: rect(10, 10, 50, 20) },
  ];
  const { elements } = buildObservation(els, hooks());
  assert.deepEqual(elements.map((e) => e.label), ["in"]);
  assert.deepEqual(elements[0].box, [16, 24, 96, 32]);
  assert.equal(snap(3), 0);
});

test("bids are stable within a page visit and start again after it", () => {
  const alloc = bidAllocator();
  const els = page(3);
  const first = buildObservation(els, hooks(alloc)).elements.map((e) => e.bid);
  const again = buildObservation([els[2], els[0]], hooks(alloc)).elements.map((e) => e.bid);
  assert.deepEqual(first, ["b1", "b2", "b3"]);
  assert.deepEqual(again, ["b3", "b1"]);
  alloc.reset();
  assert.equal(alloc.bidOf(els[2]), "b1");
});

test("the key filter keeps commands and shortcuts, never text", () => {
  const key = (k, mods = {}) => commandKey({ key: k, ...mods });
  assert.deepEqual(key("Enter"), { key: "Enter", mods: [] });
  assert.deepEqual(key("ArrowDown", { shiftKey: true }), { key: "ArrowDown", mods: ["shift"] });
  assert.deepEqual(key("s", { ctrlKey: true }), { key: "s", mods: ["ctrl"] });
  assert.deepEqual(key("S", { metaKey: true, shiftKey: true }), { key: "S", mods: ["meta", "shift"] });
  for (const text of ["a", "A", "1", " ", "é", "Backspace", "Dead", "Unidentified"]) assert.equal(key(text), null, text);
  assert.equal(key("a", { shiftKey: true }), null);
  assert.equal(key("a", { altKey: true }), null, "Alt+letter types characters on many layouts");
  assert.equal(key("Enter", { repeat: true }), null);
  assert.equal(key("Enter", { isComposing: true }), null);
});

test("the step counter numbers each tab on its own and survives a round trip through storage", () => {
  const eps = newEpisodes();
  assert.match(eps.session, TOKEN);
  const a0 = nextStep(eps, 11);
  const b0 = nextStep(eps, 12);
  const a1 = nextStep(eps, 11);
  assert.deepEqual([a0.step, a1.step, b0.step], [0, 1, 0]);
  assert.equal(a0.tab, a1.tab);
  assert.notEqual(a0.tab, b0.tab);
  const restored = structuredClone(eps); // what a restarted worker reads back
  assert.equal(nextStep(restored, 11).step, 2);
  closeTab(restored, 11);
  assert.equal(nextStep(restored, 11).step, 0);
  assert.match(randomToken("t_"), TOKEN);
});

const base = { ts: 1, url: "https://app.example.com/x", page: "p_abcdefgh12" };

test("change keeps an option's label or the checked state, never both", () => {
  const target = { selector: "#k", tag: "select", bid: "b4" };
  const box = { selector: "#u", tag: "input", role: "checkbox" };
  assert.equal(sanitizeEvent({ ...base, type: "change", target, value: "Mail jo@x.com" }, "i").value, "Mail [email]");
  assert.equal(sanitizeEvent({ ...base, type: "change", target: box, checked: false }, "i").checked, false);
  assert.equal(sanitizeEvent({ ...base, type: "change", target }, "i"), null);
  assert.equal(sanitizeEvent({ ...base, type: "click", target }, "i").target.bid, "b4");
});

test("change is sent only for a select (value) or a checkbox, radio or switch (checked)", () => {
  const change = (target, choice) => sanitizeEvent({ ...base, type: "change", target, ...choice }, "i");
  const value = { value: "my secret diary note" };
  for (const target of [
    { selector: "#notes", tag: "input", role: "textbox" },
    { selector: "#q", tag: "input", role: "combobox" },
    { selector: "#q", tag: "input" },
    { selector: "#body", tag: "textarea", role: "textbox" },
    { selector: "#body", tag: "div", role: "textbox" },
    { selector: "#k", tag: "select", role: "textbox" },
    { selector: "#k", tag: "div", role: "listbox" },
  ]) {
    assert.equal(change(target, value), null, JSON.stringify(target));
    assert.equal(change(target, { checked: true }), null, JSON.stringify(target));
  }
  assert.equal(change({ selector: "#k", tag: "select", role: "combobox" }, { value: "Customer" }).value, "Customer");
  assert.equal(change({ selector: "#k", tag: "select", role: "combobox" }, { checked: true }), null);
  for (const role of ["checkbox", "radio", "switch"]) {
    assert.equal(change({ selector: "#u", tag: "input", role }, { checked: true }).checked, true, role);
    assert.equal(change({ selector: "#u", tag: "input", role }, value), null, role);
  }
});

test("key events with printable characters are refused even if a content script sends them", () => {
  assert.equal(sanitizeEvent({ ...base, type: "key", key: "a", mods: [] }, "i"), null);
  assert.deepEqual(sanitizeEvent({ ...base, type: "key", key: "Enter", mods: ["bogus"] }, "i").mods, []);
});

test("observation elements are cleaned and labels redacted", () => {
  const elements = [{ bid: "b1", tag: "BUTTON", label: "Call 0612345678", box: [0, 0, 8, 8], state: { checked: "yes", disabled: true } }];
  const event = sanitizeEvent({ ...base, type: "observation", elements }, "i");
  assert.deepEqual(event.elements, [{ bid: "b1", tag: "button", label: "Call [number]", state: { disabled: true }, box: [0, 0, 8, 8] }]);
  assert.equal(sanitizeEvent({ ...base, type: "observation", elements: [{ ...elements[0], bid: "x" }] }, "i"), null);
});

test("frames stay under the server's message limit", () => {
  const box = emptyOutbox();
  const big = { id: "x", type: "observation", ts: 1, url: base.url, elements: [], pad: "x".repeat(30_000) };
  enqueue(box, Array.from({ length: 60 }, () => ({ ...big })));
  const frame = nextFrame(box);
  assert.ok(frame.events.length < 60 && frame.events.length >= 1);
  assert.ok(JSON.stringify(frame).length < 1_000_000);
});
