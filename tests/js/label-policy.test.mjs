// The label policy (docs/privacy.md, "Labels"): accessible names of controls, structural labels in
// data regions, typed words masked. Plain objects stand in for DOM elements.
import assert from "node:assert/strict";
import { test } from "node:test";

import { accessibleName, columnHeaderOf, dataRegionOf, policyLabel, submitLabel } from "../../extension/shared/label-policy.js";
import { buildSelector, describeSubmit, describeTarget } from "../../extension/shared/selector.js";
import { TypedWords } from "../../extension/shared/typed-words.js";
import { h } from "./stub-dom.mjs";

function documentOf(root) {
  const byId = (node, id) => (node.id === id ? node : node.children.map((c) => byId(c, id)).find(Boolean));
  const doc = { getElementById: (id) => byId(root, id) || null };
  const walk = (node) => {
    node.ownerDocument = doc;
    node.children.forEach(walk);
  };
  walk(root);
  return root;
}

const TODO = "Call Dr Jekyll re biopsy results";

test("a to-do item's text is never its label: list items are content", () => {
  const label = h("label", {}, TODO);
  const item = h("li", { id: "call-dr-jekyll-re-biopsy" }, h("div", { class: "view" }, h("input", { type: "checkbox" }), label));
  h("body", {}, h("section", {}, h("ul", { id: "todo-list" }, item)));
  assert.equal(policyLabel(label), "[content]");
  assert.equal(buildSelector(label), "#todo-list > li > div > label");
});

test("a generic container never lends its text", () => {
  const span = h("span", {}, "Jane Doe");
  const row = h("div", { role: "group", tabindex: "0" }, span, "Acme Corp, renewal due");
  h("body", {}, row);
  assert.equal(policyLabel(row), undefined);
  assert.equal(policyLabel(span), undefined);
});

test("controls are named by aria-labelledby, aria-label, label, own short text, title, alt", () => {
  const root = documentOf(h("body", {}, h("span", { id: "t" }, "Archive"), h("button", { "aria-labelledby": "t" }, "x")));
  assert.equal(accessibleName(root.children[1]), "Archive");
  assert.equal(accessibleName(h("button", { "aria-label": "Close" }, "×")), "Close");
  const field = h("input", { value: "typed secret", placeholder: "jane@example.com" });
  field.labels = [h("label", {}, "Your e-mail")];
  assert.equal(accessibleName(field), "Your e-mail");
  assert.equal(accessibleName(h("input", { value: "typed secret" })), "");
  assert.equal(accessibleName(h("a", { href: "/x" }, "Reports")), "Reports");
  assert.equal(accessibleName(h("div", { role: "menuitem" }, "Rename")), "Rename");
  assert.equal(accessibleName(h("div", { role: "tab" }, "Details")), "Details");
  assert.equal(accessibleName(h("span", { title: "Refresh" })), "Refresh");
  assert.equal(accessibleName(h("button", {}, h("img", { alt: "Print" }))), "Print");
  assert.equal(accessibleName(h("input", { type: "submit", value: "Save lead" })), "Save lead");
});

test("a name borrowed from a data region, a masked or an ignored element is never used", () => {
  const cell = h("td", { id: "name-2" }, "Philippa Quenneville");
  const table = h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"))), h("tbody", {}, h("tr", {}, cell)));
  const email = h("button", { "aria-labelledby": "verb name-2" }, "Email");
  const call = h("button", { "aria-labelledby": "note" }, "Call");
  const visit = h("button", { "aria-labelledby": "ignored" }, "Visit");
  const follow = h("input", { type: "checkbox" });
  follow.labels = [h("label", {}, h("span", { "data-overt-ignore": "" }, "Barnaby Wolstenholme"))];
  const holding = h("button", {}, "Email ", h("span", { "data-overt-ignore": "" }, "Barnaby"));
  documentOf(h("body", {}, table, h("span", { id: "verb" }, "Email"), email, call, visit, follow, holding,
    h("p", { id: "note", class: "private" }, "Ottoline Marchbanks"),
    h("p", { id: "ignored", "data-overt-ignore": "" }, "Barnaby Wolstenholme")));
  assert.equal(policyLabel(email), "[content]");
  assert.equal(policyLabel(call, { maskSelectors: [".private"] }), "[content]");
  assert.equal(policyLabel(visit), "Visit");
  assert.equal(policyLabel(follow), undefined);
  assert.equal(policyLabel(holding), undefined);
});

test("long text is content: dropped, not cut", () => {
  assert.equal(policyLabel(h("button", {}, "word ".repeat(20))), undefined);
  assert.equal(policyLabel(h("a", { href: "/" }, "x".repeat(61))), undefined);
});

test("a table cell is labelled by its column header, never its text", () => {
  const name = h("a", { href: "/c/1" }, "Jane Doe");
  const table = h(
    "table",
    { id: "customers" },
    h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Company"))),
    h("tbody", {}, h("tr", { id: "jane-doe" }, h("td", {}, name), h("td", {}, "Acme"))),
  );
  h("body", {}, table);
  assert.equal(policyLabel(name), "Name column");
  assert.equal(policyLabel(table.children[1].children[0].children[1]), "Company column");
  assert.equal(columnHeaderOf(table.children[1].children[0].children[0]).textContent, "Name");
  assert.ok(!buildSelector(name).includes("jane"), buildSelector(name));
  // The header itself is UI vocabulary.
  assert.equal(policyLabel(table.children[0].children[0].children[0]), "Name");
});

test("ARIA grids, row headers and cells without a header", () => {
  const cell = h("div", { role: "gridcell" }, "Jane Doe");
  const grid = h("div", { role: "grid" },
    h("div", { role: "row" }, h("div", { role: "columnheader" }, "Owner")),
    h("div", { role: "row" }, cell));
  h("body", {}, grid);
  assert.equal(policyLabel(cell), "Owner column");
  const rowHeader = h("th", { scope: "row" }, "Jane Doe");
  h("body", {}, h("table", {}, h("tr", {}, rowHeader, h("td", {}, "x"))));
  assert.equal(policyLabel(rowHeader), "[content]");
});

test("chat logs, feeds and editable text are content", () => {
  const line = h("p", {}, "see you at the clinic");
  h("body", {}, h("div", { role: "log" }, h("div", {}, line)));
  assert.equal(policyLabel(line), "[content]");
  const composer = h("div", { contenteditable: "true", "aria-label": "Message" });
  h("body", {}, composer);
  assert.equal(policyLabel(composer), "[content]");
  assert.deepEqual(dataRegionOf(h("div", { role: "textbox" })).kind, "content");
});

test("menus and navigation lists keep their names", () => {
  const link = h("a", { href: "/settings" }, "Settings");
  h("body", {}, h("nav", {}, h("ul", {}, h("li", {}, link))));
  assert.equal(policyLabel(link), "Settings");
});

test("the policy's mask_selectors make anything content", () => {
  const button = h("button", {}, "Jane's notes");
  h("body", {}, h("div", { class: "note" }, button));
  assert.equal(policyLabel(button), "Jane's notes");
  assert.equal(policyLabel(button, { maskSelectors: [".note"] }), "[content]");
});

test("a submit is named by its button or the form's own name, never the form's text", () => {
  const save = h("button", { type: "submit" }, "Save lead");
  const form = h("form", { id: "lead" }, h("label", {}, "Name"), h("input", {}), h("label", {}, "Notes"), save);
  h("body", {}, form);
  assert.equal(submitLabel(form, save), "Save lead");
  assert.equal(submitLabel(form, null), undefined);
  assert.equal(submitLabel(h("form", { "aria-label": "New lead" }), null), "New lead");
  assert.deepEqual(describeSubmit(form, save), { selector: "#lead", tag: "form", role: "form", label: "Save lead" });
});

test("typed words are masked in labels, and ids holding them are not used", () => {
  const typed = new TypedWords(42);
  typed.addText(TODO);
  const mask = (t) => typed.mask(t);
  const button = h("button", { id: "open-biopsy" }, "Open biopsy");
  h("body", {}, h("div", { id: "bar" }, button));
  const target = describeTarget(button, { mask });
  assert.equal(target.label, "Open [typed]");
  assert.equal(target.selector, "#bar > button");
});

test("content-like ids are not used in selectors", () => {
  const button = h("button", { id: "customer-jane-doe-acme" }, "Open");
  h("body", {}, h("div", { id: "toolbar" }, button));
  assert.equal(buildSelector(button), "#toolbar > button");
});

test("editable text and mask_selectors win over a nearer table cell", () => {
  const cell = h("td", {}, "Q3 plan");
  h("body", {}, h("div", { contenteditable: "true" }, h("table", {},
    h("tr", {}, h("th", {}, "Owner")), h("tr", {}, cell))));
  assert.equal(policyLabel(cell), "[content]");
  const other = h("td", {}, "Jane");
  h("body", {}, h("section", { class: "private" }, h("table", {},
    h("tr", {}, h("th", {}, "Name")), h("tr", {}, other))));
  assert.equal(policyLabel(other), "Name column");
  assert.equal(policyLabel(other, { maskSelectors: [".private"] }), "[content]");
});
