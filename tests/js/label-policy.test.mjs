// The label policy (docs/privacy.md, "Labels"): accessible names of controls, structural labels in
// data regions, typed words masked. Plain objects stand in for DOM elements.
import assert from "node:assert/strict";
import { test } from "node:test";

import { accessibleName, choiceKey, columnHeaderOf, dataRegionOf, isRecordHref, looksLikeVocabulary, policyLabel, submitLabel } from "../../extension/shared/label-policy.js";
import { buildSelector, describeSubmit, describeTarget } from "../../extension/shared/selector.js";
import { TypedWords } from "../../extension/shared/typed-words.js";
import { h } from "./stub-dom.mjs";

function documentOf(root) {
  const byId = (node, id) => (node.id === id ? node : node.children.map((c) => byId(c, id)).find(Boolean));
  const doc = {
    getElementById: (id) => byId(root, id) || null,
    querySelectorAll: (selector) => [...(root.matches(selector) ? [root] : []), ...root.querySelectorAll(selector)],
  };
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

test("a td in a thead heads its column, as a th does", () => {
  // jspreadsheet: column titles (and letters) in td cells of the thead.
  const header = h("td", {}, "Owner");
  const person = h("td", {}, "Ottilie Brackwater"); // a header that names someone is not used
  const owner = h("td", {}, "Jane Doe");
  const table = h(
    "table",
    {},
    h("thead", {}, h("tr", {}, header, person)),
    h("tbody", {}, h("tr", {}, owner, h("td", {}, "Leopold Fairweather"))),
  );
  h("body", {}, table);
  assert.equal(policyLabel(header), "Owner");
  assert.equal(policyLabel(owner), "Owner column");
  assert.equal(policyLabel(table.children[1].children[0].children[1]), "column 2");
  assert.equal(policyLabel(person), "column 2 header");
  assert.equal(dataRegionOf(header), null);
  assert.equal(dataRegionOf(owner).kind, "cell");
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

// --- Data regions: group headers, column headers, containers, masked parts, trees ---------------

test("a row group's header is data: a cell of the column it starts in", () => {
  const toggle = h("button", { type: "button" }, "Hortensia");
  const plain = h("th", { colspan: "3" }, "Ambrose");
  const link = h("a", { href: "#inv-1" }, "INV-1");
  const head = h("th", {}, "Invoice");
  h("body", {}, h("table", {},
    h("thead", {}, h("tr", {}, head, h("th", {}, "Amount"), h("th", {}, "Status"))),
    h("tbody", {}, h("tr", {}, h("th", { colspan: "3", scope: "rowgroup" }, toggle)), h("tr", {}, h("td", {}, link))),
    h("tbody", {}, h("tr", {}, plain))));
  // One-word names: the group rule itself, not the shape of the name, keeps them out.
  assert.equal(policyLabel(toggle), "Invoice column");
  assert.equal(policyLabel(plain), "Invoice column");
  assert.equal(policyLabel(link), "Invoice column");
  assert.equal(policyLabel(head), "Invoice");
});

test("a table headed by a row group's title has no column headers", () => {
  const order = h("a", { href: "#ord-7" }, "ORD-7");
  const title = h("th", { colspan: "2" }, "Fairweather");
  h("body", {}, h("table", {}, h("tbody", {},
    h("tr", {}, title),
    h("tr", {}, h("td", {}, order), h("td", {}, h("button", {}, "Ship"))))));
  assert.equal(policyLabel(order), "[content]");
  assert.equal(policyLabel(title), "[content]");
  assert.equal(columnHeaderOf(order.parentElement), null);
});

test("only a table's first row of th heads its columns without a thead, or scope=col anywhere", () => {
  const first = h("a", { href: "#1" }, "Jane");
  const later = h("a", { href: "#2" }, "John");
  const table = h("table", {}, h("tbody", {},
    h("tr", {}, h("td", {}, first)),
    h("tr", {}, h("th", {}, "Kittering")),
    h("tr", {}, h("td", {}, later))));
  h("body", {}, table);
  assert.equal(policyLabel(first), "[content]");
  assert.equal(policyLabel(later), "[content]");
  assert.equal(policyLabel(table.children[0].children[1].children[0]), "[content]");
  const declared = h("a", { href: "#3" }, "Ada");
  h("body", {}, h("table", {}, h("tbody", {},
    h("tr", {}, h("td", {}, "x")),
    h("tr", {}, h("th", { scope: "col" }, "Owner")),
    h("tr", {}, h("td", {}, declared)))));
  assert.equal(policyLabel(declared), "Owner column");
  const total = h("td", {}, "10");
  h("body", {}, h("table", {}, h("tfoot", {}, h("tr", {}, h("th", {}, "Total"))), h("tbody", {}, h("tr", {}, total))));
  assert.equal(policyLabel(total), "[content]");
});

test("UI vocabulary has a shape: one word, words in sentence case, or header words", () => {
  for (const name of ["Name", "Actions", "Due date", "Week 12", "Name ▲", "SLA status", "E-mail",
    "Due Date", "Order ID", "CLOSE DATE", "Account Name", "Last Login IP", "Created By"]) {
    assert.ok(looksLikeVocabulary(name), name);
  }
  for (const name of ["Ottilie Brackwater", "ACME CORP", "Customer: Leopold Fairweather", "ottilie brackwater",
    "Amount (EUR)", "Ottilie van Brackwater", "Account Ottilie", "Ottilie Price", "OTTILIE BRACKWATER", "山田 太郎", "[content]", ""]) {
    assert.ok(!looksLikeVocabulary(name), name);
  }
});

test("a column headed by a person's name is numbered, and so is its header", () => {
  const swap = h("button", {}, "Swap");
  const sort = h("button", { id: "sort-a" }, "Ottilie Brackwater");
  const person = h("th", {}, "Severin Ashcombe");
  const day = h("th", { scope: "row" }, "Monday");
  const table = h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Day"), h("th", {}, sort), person)),
    h("tbody", {}, h("tr", {}, day, h("td", {}, swap), h("td", {}, "Off"))));
  h("body", {}, table);
  assert.equal(policyLabel(swap), "column 2");
  assert.equal(policyLabel(table.children[1].children[0].children[2]), "column 3");
  assert.equal(policyLabel(sort), "column 2 header");
  assert.equal(policyLabel(person), "column 3 header");
  assert.equal(policyLabel(day), "Day column");
  // A header is still the table's interface: its controls keep their ids in selectors.
  assert.equal(dataRegionOf(sort), null);
  assert.equal(buildSelector(sort), "#sort-a");
  const memo = new Map();
  assert.equal(policyLabel(swap, { memo }), "column 2");
  assert.equal(policyLabel(sort, { memo }), "column 2 header");
});

test("a header named like UI vocabulary keeps its name, and its controls theirs", () => {
  const sort = h("button", { "aria-label": "Sort" }, "Due date");
  const cell = h("td", {}, "2024-05-01");
  h("body", {}, h("div", { role: "grid" },
    h("div", { role: "row" }, h("div", { role: "columnheader" }, sort)),
    h("div", { role: "row" }, cell)));
  assert.equal(policyLabel(sort), "Sort");
  assert.equal(policyLabel(cell), "Due date column");
});

test("aria-labelledby an element holding a data region is content", () => {
  const row = h("tbody", { id: "selected-row" }, h("tr", {}, h("td", {}, "Marmaduke"), h("td", {}, "Gold")));
  const card = h("div", { id: "card" }, h("table", {}, h("tr", {}, h("td", {}, "Clementine"))));
  const tree = h("div", { id: "tree", role: "tree" }, h("div", { role: "treeitem" }, "Gwendolyn"));
  const people = h("ul", { id: "people" }, h("li", {}, "Peregrine"));
  const grid = h("div", { id: "grid", role: "grid" }, h("div", { role: "row" }, h("div", {}, "Soames")));
  const heading = h("h2", { id: "heading" }, "Selected");
  const header = h("th", { id: "person" }, "Ottilie Brackwater");
  const buttons = ["selected-row", "card", "tree", "people", "grid", "heading", "person"]
    .map((id) => h("button", { "aria-labelledby": id }, "Act"));
  documentOf(h("body", {}, h("table", {}, h("thead", {}, h("tr", {}, header)), row), card, tree, people, grid,
    heading, ...buttons));
  assert.deepEqual(buttons.map((button) => policyLabel(button)),
    ["[content]", "[content]", "[content]", "[content]", "[content]", "Selected", "[content]"]);
});

test("a control's own text holding a data region is content", () => {
  const card = h("a", { href: "/c/1" }, h("ul", {}, h("li", {}, "Jane Doe")));
  h("body", {}, card);
  assert.equal(policyLabel(card), "[content]");
});

test("an element matching mask_selectors inside a control makes its name content", () => {
  const masked = () => h("span", { class: "customer-name" }, "Lucinda Marchmont");
  const call = h("button", {}, "Call ", masked());
  const profile = h("a", { href: "#profile" }, "Profile of ", masked());
  const notify = h("input", { type: "checkbox" });
  notify.labels = [h("label", {}, "Notify ", masked())];
  const visit = h("button", { "aria-labelledby": "who" }, "Visit");
  const photo = h("button", {}, h("img", { class: "customer-name", alt: "Lucinda Marchmont" }));
  const ignored = h("button", {}, h("img", { "data-overt-ignore": "", alt: "Lucinda Marchmont" }));
  const inner = masked();
  const plain = h("button", {}, "Plain ", inner);
  documentOf(h("body", {}, call, profile, notify, h("p", { id: "who" }, "Visit ", masked()), visit, photo, ignored, plain));
  const options = { maskSelectors: [".customer-name"] };
  for (const control of [call, profile, notify, visit, photo, plain, inner]) {
    assert.equal(policyLabel(control, options), "[content]");
  }
  assert.equal(policyLabel(ignored, options), undefined);
  // Without the policy's selector, the same text is the control's name: the mask does the work.
  assert.equal(policyLabel(call), "Call Lucinda Marchmont");
});

test("tree items are records, unless the tree is navigation; treegrid cells are cells", () => {
  const account = h("a", { href: "#a1" }, "Gwendolyn Ashdown");
  const item = h("div", { role: "treeitem" }, account);
  h("body", {}, h("div", { role: "tree", "aria-label": "Accounts" }, item));
  assert.equal(policyLabel(account), "[content]");
  assert.equal(policyLabel(item), "[content]");
  assert.equal(dataRegionOf(account).kind, "content");
  const folder = h("a", { href: "/settings" }, "Settings");
  h("body", {}, h("nav", {}, h("div", { role: "tree" }, h("div", { role: "treeitem" }, folder))));
  assert.equal(policyLabel(folder), "Settings");
  const cell = h("div", { role: "gridcell" }, h("a", { href: "#t1" }, "Peregrine Soames"));
  h("body", {}, h("div", { role: "treegrid" },
    h("div", { role: "row" }, h("div", { role: "columnheader" }, "Owner")),
    h("div", { role: "row" }, cell)));
  assert.equal(policyLabel(cell.children[0]), "Owner column");
});

test("a link to one record keeps its name only when that has the shape of UI vocabulary", () => {
  for (const href of ["/customers/4821", "/browse/PROJ-1234", "#/contacts/9b2f1c3e-1d2a-4c3b-8e9f-0a1b2c3d4e5f",
    "/customer?id=4821", "https://crm.example.com/accounts/a8f3k2j9", "/people/hortensia-blackwood-77"]) {
    assert.equal(isRecordHref(href), true, href);
    assert.equal(policyLabel(h("a", { href }, "Hortensia Blackwood")), "[content]", href);
    assert.equal(policyLabel(h("a", { href, "aria-label": "Open Hortensia Blackwood" }, "x")), "[content]", href);
    // Vocabulary stays: what a link to a record does, not whom it names.
    assert.equal(policyLabel(h("a", { href }, "View")), "View", href);
    assert.equal(policyLabel(h("a", { href }, "Open invoice")), "Open invoice", href);
  }
  for (const href of ["/privacy-policy", "/settings", "/page/2", "/docs/v2", "/section-3", "#", "javascript:void(0)", "/%ZZ"]) {
    assert.equal(isRecordHref(href), false, href);
    assert.equal(policyLabel(h("a", { href }, "Privacy Policy")), "Privacy Policy", href);
  }
  // Not a link: a button named after someone is the documented limit (docs/privacy.md).
  assert.equal(policyLabel(h("button", { "data-href": "/customers/4821" }, "Call Ambrose")), "Call Ambrose");
});

test("the options of a choice list inside a label, a button or a header never name anything", () => {
  const owner = h("select", { id: "owner" }, h("option", {}, "Unassigned"), h("option", {}, "Severin Ashcombe"));
  const label = h("label", {}, "Owner ", owner);
  owner.labels = [label];
  assert.equal(policyLabel(owner), "Owner");
  const notes = h("textarea", {}, "Call Barnaby Quillfeather");
  const notesLabel = h("label", {}, "Notes ", notes);
  notes.labels = [notesLabel];
  assert.equal(policyLabel(notes), "Notes");
  // A list whose text is not found whole (another layout) is taken out option by option.
  const odd = h("select", {}, h("option", {}, "Severin Ashcombe"), h("option", {}, "Ottilie Brackwater"));
  Object.defineProperty(odd, "textContent", { get: () => "Severin Ashcombe|Ottilie Brackwater" });
  const oddLabel = h("label", {}, "Reviewer ", odd);
  Object.defineProperty(oddLabel, "textContent", { get: () => "Reviewer Severin Ashcombe Ottilie Brackwater" });
  odd.labels = [oddLabel];
  assert.equal(policyLabel(odd), "Reviewer");
  const filter = h("select", { "aria-label": "Filter" }, h("option", {}, "Everyone"), h("option", {}, "Perpetua Holloway"));
  const header = h("th", {}, "Assignee ", filter);
  const cell = h("td", {}, "Perpetua Holloway");
  h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Subject"), header)), h("tbody", {}, h("tr", {}, h("td", {}, "Printer jam"), cell)));
  assert.equal(policyLabel(cell), "Assignee column");
});

test("a field in a column header without a name of its own takes the header's name", () => {
  const filter = h("input", { type: "search" });
  const named = h("input", { type: "search", "aria-label": "Search names" });
  const sort = h("span", {}, "▲");
  const person = h("input", { type: "search" });
  h("body", {}, h("div", { role: "grid" },
    h("div", { role: "row" },
      h("div", { role: "columnheader" }, h("span", {}, "Name"), filter),
      h("div", { role: "columnheader" }, "Team", named, sort),
      h("div", { role: "columnheader" }, "Ottilie Brackwater", person)),
    h("div", { role: "row" }, h("div", { role: "gridcell" }, "Marisol Thackeray"))));
  assert.equal(policyLabel(filter), "Name");
  assert.equal(policyLabel(named), "Search names");
  assert.equal(policyLabel(sort), undefined); // not a field: no name of its own, none lent
  // A header named like a person lends no name: the field is its column's, by number.
  assert.equal(policyLabel(person), "column 3 header");
});

test("a control inside an option is content: a chosen colleague's chip and its remove button", () => {
  const remove = h("button", { "aria-label": "Remove item: Perpetua Holloway" }, "Remove item");
  const chip = h("div", { role: "option", "aria-selected": "true" }, "Perpetua Holloway", remove);
  const inner = h("span", { title: "Thaddeus Wrexham" });
  const option = h("option", {}, inner);
  const search = h("input", { type: "search", "aria-label": "Watchers" });
  h("body", {}, h("div", { role: "combobox" }, h("div", { role: "listbox" }, chip), search), h("select", {}, option));
  assert.equal(policyLabel(remove), "[content]");
  assert.equal(policyLabel(inner), "[content]");
  // The option itself has no name of its own (options are never named by their text).
  assert.equal(policyLabel(chip), undefined);
  assert.equal(policyLabel(search), "Watchers");
});

test("a control showing a chosen value is named by it only when that looks like UI vocabulary", () => {
  // bootstrap-select: a button (role=combobox) showing the chosen colleague in its text and title.
  const picker = h("button", { role: "combobox", "aria-haspopup": "listbox", title: "Thaddeus Wrexham" }, h("div", {}, "Thaddeus Wrexham"));
  const priority = h("button", { role: "combobox", title: "High" }, h("div", {}, "High"));
  // Headless UI: a button opening a listbox, labelled by its label and by itself.
  const label = h("label", { id: "owner-label" }, "Owner");
  const trigger = h("button", { id: "owner", "aria-haspopup": "listbox", "aria-labelledby": "owner-label owner" }, "Ottilie Brackwater");
  const titled = h("div", { role: "combobox", title: "Ottilie Brackwater" });
  documentOf(h("body", {}, picker, priority, label, trigger, titled));
  assert.equal(policyLabel(picker), "[content]");
  assert.equal(policyLabel(priority), "High");
  assert.equal(policyLabel(trigger), "[content]");
  assert.equal(policyLabel(titled), "[content]");
  // Its own aria-label names it as usual; a menu button's text is held to the same shape.
  const named = h("button", { role: "combobox", "aria-label": "Assignee" }, "Thaddeus Wrexham");
  const menu = h("button", { "aria-haspopup": "menu" }, "Bulk actions");
  h("body", {}, named, menu);
  assert.equal(policyLabel(named), "Assignee");
  assert.equal(policyLabel(menu), "Bulk actions");
  // The same trigger whose value is a word keeps it, borrowed or its own.
  const status = h("button", { id: "status", "aria-haspopup": "listbox", "aria-labelledby": "status-label status" }, "Open");
  documentOf(h("body", {}, h("span", { id: "status-label" }, "Status"), status));
  assert.equal(policyLabel(status), "Status Open");
});

test("a picker built from a menu: its toggle, its menu's items and options are named by vocabulary only", () => {
  // A Bootstrap dropdown: the toggle's text set to the chosen colleague, the menu just after it.
  const toggle = h("button", { class: "dropdown-toggle", "aria-haspopup": "true", "aria-expanded": "true" }, "Thaddeus Wrexham");
  const person = h("a", { class: "dropdown-item", href: "#" }, "Perpetua Holloway");
  const word = h("a", { class: "dropdown-item", href: "#" }, "In progress");
  h("div", { class: "dropdown" }, toggle, h("div", { class: "dropdown-menu" }, person, word));
  assert.equal(policyLabel(toggle), "[content]");
  assert.equal(policyLabel(person), "[content]");
  assert.equal(policyLabel(word), "In progress");
  // Bootstrap 5's toggle (aria-expanded only), an accordion's heading: the same.
  const expanded = h("button", { "aria-expanded": "false" }, "Ottoline Marchbank");
  const section = h("button", { "aria-expanded": "false" }, "Shipping details");
  const closed = h("button", { "aria-expanded": "false" }, "Menu");
  const after = h("button", {}, "Leofric Dunmore");
  h("body", {}, expanded, section, h("div", {}, closed, h("div", {}, after)));
  assert.equal(policyLabel(expanded), "[content]");
  assert.equal(policyLabel(section), "Shipping details");
  // Only an open disclosure's (or a popup's) next sibling is its popup.
  assert.equal(policyLabel(after), "Leofric Dunmore");
  // Headless UI's Menu: its items in a portal, the menu labelled by its button.
  const button = h("button", { id: "menu-button", "aria-haspopup": "menu", "aria-expanded": "true" }, "Perpetua Holloway");
  const entry = h("button", { role: "menuitem" }, "Ottoline Marchbank");
  const state = h("button", { role: "menuitem" }, "In review");
  const unrelated = h("button", {}, "Thaddeus Wrexham");
  documentOf(h("body", {}, h("div", {}, button), h("p", { id: "note" }, "Notes"), h("div", { role: "menu", "aria-labelledby": "menu-button" }, entry, state), h("div", { "aria-labelledby": "note" }, unrelated)));
  assert.equal(policyLabel(button), "[content]");
  assert.equal(policyLabel(entry), "[content]");
  assert.equal(policyLabel(state), "In review");
  assert.equal(policyLabel(unrelated), "Thaddeus Wrexham");
  // Radix's items: role=option, aria-labelledby their text.
  const text = h("span", { id: "item-text" }, "Thaddeus Wrexham");
  const item = h("div", { role: "option", "aria-labelledby": "item-text" }, text);
  const high = h("span", { id: "high-text" }, "High");
  const highItem = h("div", { role: "option", "aria-labelledby": "high-text" }, high);
  documentOf(h("body", {}, h("div", { role: "listbox" }, item, highItem)));
  assert.equal(policyLabel(item), "[content]");
  assert.equal(policyLabel(highItem), "High");
  // Its own aria-label still names it.
  const named = h("button", { "aria-haspopup": "menu", "aria-label": "Assignee" }, "Thaddeus Wrexham");
  h("body", {}, named);
  assert.equal(policyLabel(named), "Assignee");
});

test("a menu in a portal tied to its open trigger by aria-controls or aria-owns is its popup", () => {
  // Radix's DropdownMenu: the trigger names the menu in aria-controls while it is open; the menu
  // is aria-labelledby an id the app's own id on the trigger replaced.
  const trigger = h("button", { id: "owner", "aria-haspopup": "menu", "aria-expanded": "true", "aria-controls": "menu-1" }, "Nobody");
  const person = h("div", { role: "menuitem" }, "Thaddeus Wrexham");
  const word = h("div", { role: "menuitem" }, "In progress");
  const menu = h("div", { id: "menu-1", role: "menu", "aria-labelledby": "radix-1" }, person, word);
  // A menu of links owned by its trigger (aria-owns), two levels down.
  const owner = h("button", { "aria-haspopup": "true", "aria-expanded": "true", "aria-owns": "reviewers" }, "Nobody");
  const link = h("a", { href: "#" }, "Perpetua Holloway");
  const owned = h("div", { id: "reviewers" }, h("div", { class: "group" }, link));
  // An accordion's open panel (aria-controls, no popup), and a closed menu's trigger.
  const section = h("button", { "aria-expanded": "true", "aria-controls": "panel" }, "More actions");
  const command = h("button", {}, "Export As CSV");
  const closed = h("button", { "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": "later" }, "Status");
  const later = h("div", { role: "menuitem" }, "Ottoline Marchbank");
  documentOf(h("body", {}, h("div", {}, trigger, owner, section, closed), h("div", { id: "panel" }, command),
    h("div", { id: "portal" }, menu, owned, h("div", { id: "later", role: "menu" }, later))));
  for (const memo of [null, new Map()]) {
    assert.equal(policyLabel(person, { memo }), "[content]");
    assert.equal(policyLabel(word, { memo }), "In progress");
    assert.equal(policyLabel(link, { memo }), "[content]");
    assert.equal(policyLabel(command, { memo }), "Export As CSV");
    assert.equal(policyLabel(later, { memo }), "Ottoline Marchbank");
  }
});

test("a chip or a button holding a colleague offered as a choice elsewhere on the page is content", () => {
  const keys = new Set();
  const choices = { add: (key) => keys.add(key.toLowerCase()), has: (key) => keys.has(key.toLowerCase()), get size() { return keys.size; } };
  const trigger = h("button", { "aria-haspopup": "true", "aria-expanded": "true" }, "Nobody");
  const person = h("a", { href: "#" }, "Thaddeus Wrexham");
  const word = h("a", { href: "#" }, "In progress");
  const chip = h("div", { role: "button" }, "Thaddeus  Wrexham");
  const card = h("button", {}, h("span", {}, "TW"), h("span", {}, "thaddeus wrexham"), "×");
  const status = h("div", { role: "button" }, "In progress");
  const signOut = h("div", { role: "button" }, "Sign Out");
  const other = h("button", {}, "Call Perpetua Holloway");
  h("body", {}, h("div", {}, trigger, h("div", {}, person, word)), chip, card, status, signOut, other);
  // Before the colleague was offered in the picker, the chip is named by its text.
  assert.equal(policyLabel(chip, { choices }), "Thaddeus Wrexham");
  assert.equal(policyLabel(person, { choices }), "[content]");
  assert.equal(policyLabel(word, { choices }), "In progress");
  assert.deepEqual([...keys], ["thaddeus wrexham"]);
  assert.equal(policyLabel(chip, { choices }), "[content]");
  assert.equal(policyLabel(card, { choices }), "[content]");
  assert.equal(policyLabel(status, { choices }), "In progress");
  assert.equal(policyLabel(signOut, { choices }), "Sign Out");
  assert.equal(policyLabel(other, { choices }), "Call Perpetua Holloway");
  assert.equal(policyLabel(chip), "Thaddeus Wrexham"); // without choices, as before
  assert.equal(choiceKey("  O'Brien-Smith, Zoë "), "O Brien Smith Zoë");
});
