// The cleaning of an observation (extension/shared/events.js) with its shortcuts (redactions and
// tags remembered, the size counted without encoding) gives byte for byte what the plain cleaning
// gave; the shared redaction cache (extension/shared/redact.js) stays bounded and keyed by max.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ARIA_ROLES, MAX_ELEMENTS, MAX_LABEL, MAX_OBSERVATION_BYTES, MAX_TAG, MAX_TITLE } from "../../extension/shared/constants.js";
import { observationBytes, sanitizeEvent } from "../../extension/shared/events.js";
import {
  cachedRedactions, cachedRedactLabel, MAX_REDACTED_TEXT, MAX_REDACTIONS, redactLabel,
} from "../../extension/shared/redact.js";
import { TypedWords } from "../../extension/shared/typed-words.js";

// The cleaning as it was before the shortcuts, copied here as the reference.
const BID = /^b[0-9]{1,6}$/;
const STATES = ["checked", "selected", "expanded", "disabled"];

function referenceElement(raw, mask) {
  if (!raw || typeof raw !== "object" || !BID.test(String(raw.bid))) return null;
  const tag = String(raw.tag || "").toLowerCase().replace(/[^a-z0-9-]/g, "").slice(0, MAX_TAG);
  const box = Array.isArray(raw.box) && raw.box.length === 4 && raw.box.every(Number.isInteger) ? raw.box : null;
  if (!/^[a-z]/.test(tag) || /\d{6}/.test(tag) || !box) return null;
  const element = { bid: raw.bid, tag };
  if (typeof raw.role === "string" && ARIA_ROLES.has(raw.role)) element.role = raw.role;
  if (typeof raw.label === "string") {
    const label = redactLabel(mask(raw.label), MAX_LABEL);
    if (label) element.label = label;
  }
  const state = {};
  for (const name of STATES) if (raw.state && typeof raw.state[name] === "boolean") state[name] = raw.state[name];
  element.state = state;
  element.box = box;
  return element;
}

function referenceElements(list, mask) {
  if (!Array.isArray(list) || list.length > MAX_ELEMENTS) return null;
  const elements = list.map((raw) => referenceElement(raw, mask));
  if (elements.includes(null)) return null;
  const bytes = new TextEncoder().encode(JSON.stringify(elements)).length;
  return bytes <= MAX_OBSERVATION_BYTES ? elements : null;
}

/** A small seeded generator (mulberry32): the same cases on every run. */
function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "Save", "Card", "Archive", "Edit", "Customer", "Ltd", "Überweisung", "保存", "🙂", "jane.doe@example.com",
  "jöhn@exämple.com", "4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "555-123-4567",
  "(555) 123 4567", "+1 555.123.4567", "1234567", "12345", "a%40b.com", "%E2%82%AC", "ﬁle", "[content]",
  "column", "secretword", "Hunter2", "  ", "\t", "\n", "\u00a0", '"quoted"', "back\\slash", "\u0007", "\ud800",
];
const TAGS = ["button", "BUTTON", "a", "input", "Select", "x-widget", "my_tag", "123", "h1234567", "-x", "", "b".repeat(40)];
const ROLES = ["button", "link", "checkbox", "tab", "nope", "", "BUTTON"];

function label(rand) {
  const long = rand() < 0.1;
  const count = long ? 20 + Math.floor(rand() * 80) : 1 + Math.floor(rand() * 5);
  const words = [];
  for (let i = 0; i < count; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
  return words.join(rand() < 0.8 ? " " : "  ");
}

function state(rand) {
  const roll = rand();
  if (roll < 0.1) return undefined;
  if (roll < 0.15) return "checked";
  const out = {};
  const names = rand() < 0.5 ? STATES : [...STATES].reverse(); // the builder's order, and not
  for (const name of names) {
    const r = rand();
    if (r < 0.4) out[name] = rand() < 0.5;
    else if (r < 0.5) out[name] = "true";
    else if (r < 0.55) out[name] = 1;
  }
  if (rand() < 0.1) out.hidden = true; // not a state: never kept
  return out;
}

function element(rand, i, faulty) {
  const bad = faulty && rand() < 0.01; // a faulty observation: most have a bad element
  const el = {
    bid: bad && rand() < 0.5 ? `x${i}` : `b${i + 1}`,
    tag: !faulty || rand() < 0.95 ? (rand() < 0.9 ? "button" : "A") : TAGS[Math.floor(rand() * TAGS.length)],
    box: bad ? [1, 2, 3.5, 4] : [8 * Math.floor(rand() * 160), 8 * Math.floor(rand() * 90), 64, 24],
  };
  if (rand() < 0.9) el.role = ROLES[Math.floor(rand() * ROLES.length)];
  if (rand() < 0.95) el.label = label(rand);
  const s = state(rand);
  if (s !== undefined) el.state = s;
  if (rand() < 0.05) el.extra = "dropped";
  return el;
}

function observation(rand) {
  const roll = rand();
  const count = roll < 0.05 ? MAX_ELEMENTS + 1 : roll < 0.5 ? MAX_ELEMENTS : Math.floor(rand() * MAX_ELEMENTS);
  const faulty = rand() < 0.3;
  const elements = [];
  for (let i = 0; i < count; i++) elements.push(element(rand, i, faulty));
  return elements;
}

const base = { type: "observation", ts: 1_700_000_000_000, url: "http://127.0.0.1:8123/dash", page: "p_abcdefgh12" };

function assertSameCleaning(elements, mask, what) {
  const out = sanitizeEvent({ ...base, title: elements.length ? "Dashboard" : "", elements }, "id", mask);
  const expected = referenceElements(elements, mask);
  assert.equal(JSON.stringify(out ? out.elements : null), JSON.stringify(expected), what);
}

test("random observations are cleaned byte for byte as before: masks, secrets, long labels, bad fields", () => {
  const rand = random(20261128);
  const typed = new TypedWords(7);
  typed.addText("secretword Hunter2 Customer");
  const masks = [(t) => t, (t) => typed.mask(t)];
  let kept = 0;
  let refused = 0;
  for (let round = 0; round < 400; round++) {
    const elements = observation(rand);
    const mask = masks[round % 2];
    assertSameCleaning(elements, mask, `round ${round}`);
    if (referenceElements(elements, mask)) kept++;
    else refused++;
    assertSameCleaning(elements, mask, `round ${round}, again (cached)`); // the caches change nothing
  }
  assert.ok(kept > 50 && refused > 50, `both outcomes covered: ${kept} kept, ${refused} refused`);
});

test("lists near the byte budget are kept or refused as before", () => {
  // 200 elements whose labels are 80 characters of 1-, 2- or 3-byte characters: around 32 KiB.
  const outcomes = new Set();
  for (const ch of ["a", "é", "保", '"']) {
    for (let length = 40; length <= 80; length += 4) {
      const elements = Array.from({ length: MAX_ELEMENTS }, (_, i) => ({
        bid: `b${i + 1}`, tag: "button", role: "button", label: `${i} ${ch.repeat(length)}`, state: { expanded: false }, box: [0, 8, 64, 24],
      }));
      const expected = referenceElements(elements, (t) => t);
      assertSameCleaning(elements, (t) => t, `${ch} x ${length}: ${expected ? "kept" : "refused"}`);
      outcomes.add(Boolean(expected));
    }
  }
  assert.equal(outcomes.size, 2, "some lists kept, some refused");
});

test("a title is redacted as before, the same title twice included", () => {
  for (const title of ["Inbox of jane@example.com", "Pay 4111 1111 1111 1111", "x".repeat(400), " a  b ", "Hunter2 report"]) {
    for (let i = 0; i < 2; i++) {
      const out = sanitizeEvent({ ...base, title, elements: [] }, "id");
      const expected = redactLabel(title, MAX_TITLE);
      assert.equal(out.title, expected || undefined, title);
    }
  }
});

test("a hole in the list is refused (it would reach the wire as a null element)", () => {
  const list = [{ bid: "b1", tag: "a", box: [0, 0, 8, 8] }];
  list[2] = { bid: "b3", tag: "a", box: [0, 0, 8, 8] };
  assert.equal(sanitizeEvent({ ...base, elements: list }, "id"), null);
});

test("cachedRedactLabel is redactLabel for every text and max", () => {
  const rand = random(7);
  for (let i = 0; i < 2000; i++) {
    const text = label(rand);
    const max = [10, 40, MAX_LABEL, MAX_TITLE][i % 4];
    assert.equal(cachedRedactLabel(text, max), redactLabel(text, max), `${JSON.stringify(text)} at ${max}`);
    assert.equal(cachedRedactLabel(text, max), redactLabel(text, max), "remembered");
  }
  for (const odd of [undefined, null, 5, { toString: () => "a@b.com" }]) assert.equal(cachedRedactLabel(odd, 20), redactLabel(odd, 20));
});

test("the redaction cache is keyed by max: the same text cut at two lengths", () => {
  const text = "Transfer to jane@example.com from the savings account of the household budget";
  const short = cachedRedactLabel(text, 12);
  const long = cachedRedactLabel(text, MAX_LABEL);
  assert.equal(short, redactLabel(text, 12));
  assert.equal(long, redactLabel(text, MAX_LABEL));
  assert.notEqual(short, long);
  assert.equal(cachedRedactLabel(text, 12), short);
});

test("the redaction cache is bounded: it never holds more than MAX_REDACTIONS labels", () => {
  let most = 0;
  for (let i = 0; i < MAX_REDACTIONS * 2 + 100; i++) {
    const text = `Label ${i} of ${i % 7 ? "a page" : "jane@example.com"}`;
    assert.equal(cachedRedactLabel(text, MAX_LABEL), redactLabel(text, MAX_LABEL));
    most = Math.max(most, cachedRedactions());
  }
  assert.ok(most <= MAX_REDACTIONS && most >= MAX_REDACTIONS - 1, `held at most ${most}`);
  const before = cachedRedactions();
  const long = "word ".repeat(MAX_REDACTED_TEXT);
  assert.equal(cachedRedactLabel(long, MAX_TITLE), redactLabel(long, MAX_TITLE));
  assert.equal(cachedRedactions(), before, "a text longer than MAX_REDACTED_TEXT is not kept");
});

test("observationBytes is the UTF-8 size of the list's JSON, odd shapes included", () => {
  const rand = random(99);
  const texts = ["Save", 'say "hi"', "back\\slash", "tab\there", "\u0001", "Ünïcødé", "保存", "🙂", "lone \ud800", "\u2028", ""];
  const ints = [0, -0, 7, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, -1, -8, -12345, 2 ** 31, 1e21, -1e21, Number.MAX_SAFE_INTEGER];
  const pick = (list) => list[Math.floor(rand() * list.length)];
  for (let round = 0; round < 300; round++) {
    const elements = [];
    const count = Math.floor(rand() * 12);
    for (let i = 0; i < count; i++) {
      const element = { bid: `b${Math.floor(rand() * 1e6)}`, tag: pick(["a", "button", "x-widget"]) };
      if (rand() < 0.7) element.role = pick(["button", "link", "tab"]);
      if (rand() < 0.8) element.label = texts.slice(0, 1 + Math.floor(rand() * texts.length)).join(pick([" ", ""]));
      const state = {};
      for (const name of ["checked", "selected", "expanded", "disabled"]) if (rand() < 0.4) state[name] = rand() < 0.5;
      element.state = state;
      element.box = [pick(ints), pick(ints), pick(ints), pick(ints)];
      elements.push(element);
    }
    assert.equal(observationBytes(elements), new TextEncoder().encode(JSON.stringify(elements)).length, JSON.stringify(elements));
  }
  // Shapes the builder never sends, measured by encoding the JSON.
  const odd = [
    { bid: ["b1"], tag: "a", state: {}, box: [0, 0, 8, 8] },
    { bid: "b1", tag: "a", state: {}, box: Object.assign([0, 0, 8, 8], { toJSON: () => "a much longer stand-in" }) },
    { bid: "b1", tag: "a", state: {}, box: [0, , 8, 8] }, // eslint-disable-line no-sparse-arrays
  ];
  for (const element of odd) {
    const list = [{ bid: "b2", tag: "a", state: { checked: true }, box: [8, 8, 8, 8] }, element];
    assert.equal(observationBytes(list), new TextEncoder().encode(JSON.stringify(list)).length, JSON.stringify(list));
  }
});

test("a list of exactly 32 KiB is kept, one byte more is refused, as before", () => {
  const lengths = Array.from({ length: MAX_ELEMENTS }, () => 40);
  const list = () => lengths.map((n, i) => ({ bid: `b${i + 1}`, tag: "button", role: "button", label: "x".repeat(n), state: { checked: i % 2 === 0 }, box: [i, 8, 64, 24] }));
  const size = () => new TextEncoder().encode(JSON.stringify(list())).length;
  for (let i = 0; size() < MAX_OBSERVATION_BYTES; i = (i + 1) % MAX_ELEMENTS) if (lengths[i] < MAX_LABEL) lengths[i]++;
  assert.equal(size(), MAX_OBSERVATION_BYTES);
  assert.ok(referenceElements(list(), (t) => t));
  assertSameCleaning(list(), (t) => t, "exactly the budget");
  lengths[lengths.findIndex((n) => n < MAX_LABEL)]++;
  assert.equal(referenceElements(list(), (t) => t), null);
  assertSameCleaning(list(), (t) => t, "one byte over");
});
