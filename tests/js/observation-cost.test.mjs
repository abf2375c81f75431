// The observation builder's shortcuts (extension/shared/observe.js, extension/shared/label-policy.js)
// give exactly what the plain computation gives. Plain objects stand in for DOM elements.
import assert from "node:assert/strict";
import { test } from "node:test";

import { policyLabel } from "../../extension/shared/label-policy.js";
import { bidAllocator, buildObservation, jsonStringBytes, utf8Length, viewportBox } from "../../extension/shared/observe.js";
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

test("an observation's byte count is the UTF-8 size of its JSON", () => {
  const els = ["Enregistrer", "Überweisung", "保存", "Save 🙂"].map((label, i) => ({ label, i }));
  const built = buildObservation(els, {
    describe: (el) => ({ role: "button", tag: "button", label: el.label, state: {} }),
    boxOf: (el) => viewportBox({ left: 0, top: el.i * 20, width: 50, height: 20, right: 50, bottom: el.i * 20 + 20 }, { width: 800, height: 600 }),
    bidOf: (el) => `b${el.i + 1}`,
  });
  assert.equal(built.bytes, new TextEncoder().encode(JSON.stringify(built.elements)).length);
});

/** The observation builder as first written: each element stringified and counted in turn. */
function referenceObservation(candidates, { describe, boxOf, bidOf }, { maxElements, maxBytes }) {
  const elements = [];
  let bytes = 2;
  let truncated = false;
  for (const el of candidates) {
    const box = boxOf(el);
    if (!box) continue;
    const described = describe(el);
    if (!described) continue;
    if (elements.length >= maxElements) {
      truncated = true;
      break;
    }
    const element = { bid: bidOf(el), ...described, box };
    const size = new TextEncoder().encode(JSON.stringify(element)).length + (elements.length ? 1 : 0);
    if (bytes + size > maxBytes) {
      truncated = true;
      break;
    }
    bytes += size;
    elements.push(element);
  }
  return { elements, truncated, bytes };
}

test("one stringify per observation gives the elements, bids and budget cut of one per element", () => {
  let seed = 7;
  const random = () => { // mulberry32: the same sequence every run
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = ["Save", "Card", "Überweisung", "保存", "🙂", 'say "hi"', "a\\b", "tab\there", "\ud800"];
  const pick = (list) => list[Math.floor(random() * list.length)];
  for (let round = 0; round < 300; round++) {
    const count = Math.floor(random() * 260);
    const els = Array.from({ length: count }, (_, i) => ({
      i,
      label: Array.from({ length: 1 + Math.floor(random() * 30) }, () => pick(words)).join(" "),
      hidden: random() < 0.1,
      ignored: random() < 0.05,
    }));
    const limits = { maxElements: pick([200, 50, 5]), maxBytes: pick([32768, 8000, 2000, 300, 40, 0]) };
    const hooks = (alloc) => ({
      describe: (el) => (el.ignored ? null : { role: "button", tag: "button", label: el.label, state: el.i % 3 ? {} : { checked: true } }),
      boxOf: (el) => (el.hidden ? null : [0, el.i * 8, 64, 24]),
      bidOf: alloc.bidOf,
    });
    if (!limits.maxBytes) { // just under what the whole list needs: the bids decide the cut
      const whole = referenceObservation(els, hooks(bidAllocator()), { maxElements: limits.maxElements, maxBytes: Infinity });
      limits.maxBytes = whole.bytes - Math.floor(random() * 4 * (whole.elements.length + 1));
    }
    const [mine, theirs] = [bidAllocator(), bidAllocator()];
    for (const pass of [els, els.slice().reverse(), els]) { // bids carried from pass to pass
      const built = buildObservation(pass, hooks(mine), limits);
      const expected = referenceObservation(pass, hooks(theirs), limits);
      assert.deepEqual(built.elements, expected.elements);
      assert.deepEqual(built.elements.map((e) => Object.keys(e).join()), expected.elements.map((e) => Object.keys(e).join()));
      assert.equal(built.truncated, expected.truncated);
      assert.equal(built.bytes, expected.bytes);
      assert.equal(built.nodes.length, built.elements.length);
    }
    const fresh = {}; // the next new element gets the same bid: no bid was given to one left out
    assert.equal(mine.bidOf(fresh), theirs.bidOf(fresh));
  }
});

/**
 * A table whose header row comes after `before` body rows (or not at all). Its th say scope=col: a
 * row of only th below body rows is otherwise a row group's header, i.e. data (docs/privacy.md).
 */
function table(rows, { before = 0, header = true } = {}) {
  const body = (i) => h("tr", {}, h("td", {}, h("input", { type: "checkbox" })), h("td", { colspan: "2" }, h("a", { href: `/c/${i}` }, `Customer ${i}`)), h("td", {}, h("button", {}, "Edit")));
  const col = { scope: "col" };
  const head = h("tr", {}, h("th", col, ""), h("th", { ...col, colspan: "2" }, "Name"), h("th", col, "Actions"));
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

test("regions remembered for shared ancestors in one pass are the regions found alone", () => {
  const cellList = h("td", {}, h("ul", {}, h("li", {}, h("a", { href: "/x" }, "Item in cell"))));
  const page = h("body", {},
    h("nav", {}, h("ul", {}, h("li", {}, h("a", { href: "/" }, "Home")), h("li", {}, h("a", { href: "/q" }, "Quotes")))),
    h("div", { class: "secret" }, h("div", {}, h("button", {}, "Hidden by policy"), h("span", {}, h("button", {}, "Deeper")))),
    h("div", { contenteditable: "true" }, h("p", {}, h("a", { href: "/in-editor" }, "Link in editor"))),
    h("div", { role: "feed" }, h("div", { role: "article" }, h("button", {}, "Like")), h("button", {}, "More")),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, h("button", {}, "Sort by name")), h("th", {}, "Items"))),
      h("tbody", {}, h("tr", {}, h("td", {}, h("input", { type: "checkbox" })), cellList)),
      h("tbody", {}, h("tr", {}, h("td", {}, h("a", { href: "/c" }, "Customer")), h("td", {}, "x")))),
    h("div", { role: "row" }, h("span", {}, h("button", {}, "Row action"))),
    h("div", { role: "toolbar" }, h("div", { role: "listitem" }, h("button", {}, "Bold"))),
    h("ul", {}, h("li", {}, h("div", { role: "button" }, "Outer", h("a", { href: "/inner" }, "Inner")))),
    h("div", {}, h("div", {}, h("div", {}, h("button", {}, "Plain"), h("a", { href: "/deep" }, "Deep link")))),
  );
  const all = [];
  const walk = (node) => {
    all.push(node);
    node.children.forEach(walk);
  };
  walk(page);
  for (const maskSelectors of [[], [".secret"]]) {
    const alone = all.map((el) => policyLabel(el, { maskSelectors }));
    for (const order of [all, all.slice().reverse()]) {
      const memo = new Map();
      const labels = order.map((el) => policyLabel(el, { maskSelectors, memo }));
      assert.deepEqual(order === all ? labels : labels.reverse(), alone, JSON.stringify(maskSelectors));
    }
    assert.ok(alone.includes("[content]") && alone.includes("Home"), String(alone));
  }
});

test("on random trees, labels with one memo per pass are the labels without it", () => {
  let seed = 11;
  const random = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(random() * list.length)];
  const tags = ["div", "span", "ul", "ol", "li", "table", "thead", "tbody", "tr", "td", "th", "nav", "menu", "a", "button", "input", "label"];
  const roles = [null, null, null, "row", "cell", "gridcell", "list", "listitem", "feed", "log", "article", "toolbar", "textbox", "columnheader", "button", "grid"];
  function tree(depth) {
    const attrs = {};
    const role = pick(roles);
    if (role) attrs.role = role;
    if (random() < 0.04) attrs.contenteditable = pick(["true", "false", ""]);
    if (random() < 0.05) attrs.class = "secret";
    const tag = pick(tags);
    if (tag === "a") attrs.href = "/x";
    const kids = depth > 0 ? Array.from({ length: Math.floor(random() * 4) }, () => tree(depth - 1)) : [];
    return h(tag, attrs, pick(["Save", "Name", "Open item", "Customer 12"]), ...kids);
  }
  for (let round = 0; round < 60; round++) {
    const root = h("body", {}, tree(7));
    const all = [];
    const walk = (node) => {
      all.push(node);
      node.children.forEach(walk);
    };
    walk(root);
    for (const maskSelectors of [[], [".secret"]]) {
      const alone = new Map(all.map((el) => [el, policyLabel(el, { maskSelectors })]));
      for (const order of [all, all.slice().reverse(), all.slice().sort(() => random() - 0.5)]) {
        const memo = new Map();
        for (const el of order) assert.equal(policyLabel(el, { maskSelectors, memo }), alone.get(el));
      }
    }
  }
});
