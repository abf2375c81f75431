// Selector building and target descriptions, on plain objects standing in for DOM elements.
import assert from "node:assert/strict";
import { test } from "node:test";

import { buildSelector, describeTarget, isIgnored, isStableId, labelOf, roleOf } from "../../extension/shared/selector.js";

/** A tiny stand-in for an Element: tagName, id, attributes, children, parentElement. */
function el(tag, attrs = {}, children = [], extra = {}) {
  const node = {
    tagName: tag.toUpperCase(),
    id: attrs.id || "",
    attrs,
    children,
    parentElement: null,
    getAttribute: (name) => (name in attrs ? String(attrs[name]) : null),
    ...extra,
  };
  for (const child of children) child.parentElement = node;
  return node;
}

test("a stable id anchors the selector", () => {
  const button = el("button");
  el("div", { id: "toolbar" }, [button]);
  assert.equal(buildSelector(button), "#toolbar > button");
});

test("generated ids and ids with personal data are not used", () => {
  assert.equal(isStableId("ember1234"), false);
  assert.equal(isStableId(":r1:"), false);
  assert.equal(isStableId("user-jane@example.com"), false);
  assert.equal(isStableId("save-button"), true);
});

test("test attributes are preferred over positions", () => {
  const button = el("button", { "data-testid": "save" });
  el("body", {}, [el("div", {}, [button])]);
  assert.equal(buildSelector(button), 'button[data-testid="save"]');
});

test("siblings of the same tag get nth-of-type, up to body", () => {
  const second = el("li");
  const list = el("ul", {}, [el("li"), second, el("li")]);
  el("body", {}, [el("header"), list]);
  assert.equal(buildSelector(second), "body > ul > li:nth-of-type(2)");
});

test("the selector is short even for deep trees", () => {
  let node = el("span");
  const leaf = node;
  for (let i = 0; i < 20; i++) node = el("div", {}, [node]);
  assert.equal(buildSelector(leaf).split(" > ").length, 5);
});

test("data-overt-ignore on any ancestor is honoured", () => {
  const input = el("input");
  el("section", { "data-overt-ignore": "" }, [el("div", {}, [input])]);
  assert.equal(isIgnored(input), true);
  assert.equal(isIgnored(el("input")), false);
});

test("roles: explicit first, then implicit", () => {
  assert.equal(roleOf(el("div", { role: "tab extra" })), "tab");
  assert.equal(roleOf(el("div", { role: "jane@corp.example" })), undefined, "free text is no role");
  assert.equal(roleOf(el("button", { role: "my-widget" })), "button", "unknown: the implicit role");
  assert.equal(roleOf(el("a", { href: "/x" })), "link");
  assert.equal(roleOf(el("a")), undefined);
  assert.equal(roleOf(el("input", { type: "checkbox" })), "checkbox");
  assert.equal(roleOf(el("button")), "button");
});

test("labels never come from an input's value or placeholder", () => {
  const input = el("input", { placeholder: "jane@example.com", value: "secret" }, [], { value: "secret", labels: [] });
  assert.equal(labelOf(input), undefined);
  const labelled = el("input", {}, [], { labels: [{ innerText: "Your e-mail jane@example.com" }] });
  assert.equal(labelOf(labelled), "Your e-mail [email]");
});

test("button labels come from visible text, redacted and capped", () => {
  assert.equal(labelOf(el("button", {}, [], { innerText: "Pay 4111 1111 1111 1111" })), "Pay [card]");
  assert.equal(labelOf(el("button", { "aria-label": "Close" }, [], { innerText: "X" })), "Close");
  assert.equal(labelOf(el("div", {}, [], { innerText: "y".repeat(5000) })), undefined);
  assert.equal(labelOf(el("button", {}, [], { innerText: "z".repeat(300) })), undefined);
});

test("describeTarget has exactly selector, tag, role and label", () => {
  const button = el("button", { id: "save" }, [], { innerText: "Save" });
  assert.deepEqual(describeTarget(button), { selector: "#save", tag: "button", role: "button", label: "Save" });
  assert.deepEqual(Object.keys(describeTarget(el("div"))), ["selector", "tag"]);
});
