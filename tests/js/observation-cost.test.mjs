// The observation builder's shortcuts (extension/shared/observe.js, extension/shared/label-policy.js)
// give exactly what the plain computation gives. Plain objects stand in for DOM elements.
import assert from "node:assert/strict";
import { test } from "node:test";

import { policyLabel } from "../../extension/shared/label-policy.js";
import { buildObservation, jsonBytes, jsonStringBytes, utf8Length, viewportBox } from "../../extension/shared/observe.js";
import { h } from "./stub-dom.mjs";

test("utf8Length counts UTF-8 bytes, ASCII or not", () => {
  for (const text of ["", "Save", '{"label":"Ünïcødé"}', "日本語", "emoji 🙂", "\u007f\u0080"]) {
    assert.equal(utf8Length(text), new TextEncoder().encode(text).length, text);
  }
});

const jsonSize = (value) => new TextEncoder().encode(JSON.stringify(value)).length;

test("jsonStringBytes is the UTF-8 size of a string's JSON: escapes, surrogates, multi-byte", () => {
  const texts = [
    "", "Save", 'say "hi"', "back\\slash", "tab\tnew\nline\r\f\b", "\u0000\u0001\u001f\u007f", "Ünïcødé",
    "日本語", "emoji 🙂 and 👩‍💻", "lone \ud800 high", "lone \udc00 low", "\udbff\udfff", "end \ud83d", "\u2028\u2029",
    "\u0080\u07ff\u0800\uffff", "[content]", "Name column",
  ];
  for (const text of texts) assert.equal(jsonStringBytes(text), jsonSize(text), JSON.stringify(text));
  // Every code unit, alone and before another one.
  for (let c = 0; c < 0x10000; c += c < 0x100 ? 1 : 97) {
    const one = String.fromCharCode(c);
    assert.equal(jsonStringBytes(one), jsonSize(one), c.toString(16));
    assert.equal(jsonStringBytes(`a${one}\udc00z`), jsonSize(`a${one}\udc00z`), c.toString(16));
  }
});

test("jsonBytes is the UTF-8 size of JSON.stringify for elements and any other value", () => {
  const values = [
    { bid: "b1", tag: "button", role: "button", label: "Save", state: {}, box: [0, 8, 64, 24] },
    { bid: "b12", tag: "input", label: "Ünïcødé \"x\"", state: { checked: true, disabled: false }, box: [-8, -0, 1280, 8] },
    { a: undefined, b: () => 1, c: Symbol("s"), d: null, e: [undefined, () => 1, null, Symbol("t")] },
    { 2: "two", 1: "one", z: "last", [Symbol("k")]: 1 },
    [], [[]], [{}], {}, { "": "" }, { 'k"ey': "\n" },
    [0, -0, 1, -1, 9, 10, 99, 100, -1000, 1e15, 1e21, -1e21, 2 ** 53, 0.5, -0.25, 1 / 3, 1e-7, NaN, Infinity, -Infinity],
    true, false, null, "text", 12.5,
    { when: new Date(0), raw: { toJSON: () => "as json" } },
    Object.create(null),
    Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
    new Map([[1, 2]]),
    { nested: { deeper: { list: [1, "two", { three: [3] }] } } },
  ];
  // Only enumerable own members count: an inherited enumerable one does not.
  const proto = { inherited: "x" };
  values.push(Object.assign(Object.create(proto), { own: "y" }));
  for (const value of values) assert.equal(jsonBytes(value), jsonSize(value), JSON.stringify(value));
});

test("an observation's byte count is the UTF-8 size of its JSON", () => {
  const els = ["Enregistrer", "Überweisung", "保存", "Save 🙂"].map((label, i) => ({ label, i }));
  const built = buildObservation(els, {
    describe: (el) => ({ role: "button", tag: "button", label: el.label, state: {} }),
    boxOf: (el) => viewportBox({ left: 0, top: el.i * 20, width: 50, height: 20, right: 50, bottom: el.i * 20 + 20 }, { width: 800, height: 600 }),
    bidOf: (el) => `b${el.i + 1}`,
  });
  assert.equal(built.bytes, new TextEncoder().encode(JSON.stringify(built.elements)).length);
});

/** A table whose header row comes after `before` body rows (or not at all). */
function table(rows, { before = 0, header = true } = {}) {
  const body = (i) => h("tr", {}, h("td", {}, h("input", { type: "checkbox" })), h("td", { colspan: "2" }, h("a", { href: `/c/${i}` }, `Customer ${i}`)), h("td", {}, h("button", {}, "Edit")));
  const head = h("tr", {}, h("th", {}, ""), h("th", { colspan: "2" }, "Name"), h("th", {}, "Actions"));
  const rowsBefore = Array.from({ length: before }, (_, i) => body(i));
  const rowsAfter = Array.from({ length: rows }, (_, i) => body(before + i));
  const t = h("table", {}, h("tbody", {}, ...rowsBefore, ...(header ? [head] : []), ...rowsAfter));
  h("body", {}, t);
  return t;
}

const controls = (t) => t.children[0].children.flatMap((row) => row.children.flatMap((cell) => cell.children));

test("labels with a memo of column names are the labels without it", () => {
  for (const shape of [{}, { before: 3 }, { header: false }]) {
    const els = controls(table(20, shape));
    const memo = new Map();
    const plain = els.map((el) => policyLabel(el));
    const memoised = els.map((el) => policyLabel(el, { memo }));
    assert.deepEqual(memoised, plain, JSON.stringify(shape));
    if (shape.header !== false) assert.ok(plain.includes("Name column") && plain.includes("Actions column"));
  }
});

test("a memo is per table and per column", () => {
  const a = controls(table(2));
  const b = table(2);
  b.children[0].children[0].children[1] = h("th", { colspan: "2" }, "Company");
  b.children[0].children[0].children[1].parentElement = b.children[0].children[0];
  const memo = new Map();
  const first = policyLabel(a[4], { memo });
  const second = policyLabel(controls(b)[4], { memo });
  assert.equal(first, "Name column");
  assert.equal(second, "Company column");
});

test("redacted labels kept in a memo are the labels without it, per mask pass and length", () => {
  const names = ["Save", "Mail ann@example.com", "Save", "Card 4111 1111 1111 1111", "Mail ann@example.com", "  Save  draft  ", "A very long caption of words"];
  const els = names.map((name) => h("button", {}, name));
  h("body", {}, ...els);
  const mask = (text) => text.replace(/draft/g, "[typed]");
  for (const max of [80, 12]) {
    const memo = new Map();
    const plain = els.map((el) => policyLabel(el, { mask, max }));
    const memoised = els.map((el) => policyLabel(el, { mask, max, memo }));
    assert.deepEqual(memoised, plain, String(max));
    // One memo across two lengths (a pass that labels for two purposes) keeps them apart.
    assert.deepEqual(els.map((el) => policyLabel(el, { mask, max: 80, memo })), els.map((el) => policyLabel(el, { mask, max: 80 })));
  }
  assert.ok(els.map((el) => policyLabel(el, { mask })).includes("Mail [email]"));
});

test("a name of more than eight words is content, of eight a name", () => {
  const eight = h("button", {}, "one two three four five six seven eight");
  const nine = h("button", {}, "one two three four five six seven eight nine");
  h("body", {}, eight, nine);
  assert.equal(policyLabel(eight), "one two three four five six seven eight");
  assert.equal(policyLabel(nine), undefined);
});

test("redactions kept across passes follow each pass's mask, and survive a full cache", () => {
  const els = ["Save draft", "Mail ann@example.com", "Draft 4111 1111 1111 1111"].map((name) => h("button", {}, name));
  h("body", {}, ...els);
  const masks = [(t) => t, (t) => t.replace(/draft/gi, "[typed]"), (t) => t];
  for (const mask of masks) {
    const memo = new Map();
    assert.deepEqual(els.map((el) => policyLabel(el, { mask, memo })), els.map((el) => policyLabel(el, { mask })));
  }
  // More distinct labels than the cache keeps: each still its own redaction.
  const many = Array.from({ length: 5000 }, (_, i) => h("button", {}, `Call 555-010-${String(i).padStart(4, "0")} now ${i}`));
  h("body", {}, ...many);
  const memo = new Map();
  const labels = many.map((el) => policyLabel(el, { memo }));
  assert.deepEqual(labels, many.map((el) => policyLabel(el)));
  assert.equal(labels[4999], "Call [phone] now 4999");
});
