// A page's title without the record its main heading names (extension/shared/title-policy.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { titleWithoutRecords } from "../../extension/shared/title-policy.js";

test("a record's name in the main heading is [content] wherever the title repeats it", () => {
  assert.equal(
    titleWithoutRecords("Hortensia Blackwood · Contacts · Acme CRM", ["Hortensia Blackwood"]),
    "[content] · Contacts · Acme CRM",
  );
  // Any case, any run of white space, more than once, inside a longer segment.
  assert.equal(
    titleWithoutRecords("Edit HORTENSIA   blackwood - hortensia blackwood's profile", ["Hortensia\n  Blackwood"]),
    "Edit [content] - [content]'s profile",
  );
  // The longest first: a deal named after its company, the company a heading too.
  assert.equal(
    titleWithoutRecords("Quenby Larkspur Renewal | Quenby Larkspur | Deals", ["Quenby Larkspur", "Quenby Larkspur Renewal"]),
    "[content] | [content] | Deals",
  );
  // Characters that mean something in a pattern are plain text here.
  assert.equal(titleWithoutRecords("O'Brien (Ltd.) + Co * | CRM", ["O'Brien (Ltd.) + Co *"]), "[content] | CRM");
});

test("headings with the shape of UI vocabulary, or not in the title, change nothing", () => {
  for (const [title, headings] of [
    ["Contacts · Acme CRM", ["Contacts"]],
    ["Open invoices - Billing", ["Open invoices"]],
    ["Due Date settings", ["Due Date"]],
    ["Inbox", ["Hortensia Blackwood"]],
    ["Inbox", []],
    ["Tickets · Helpdesk", ["Tickets"]], // one word naming a page, in any case or number
    ["todos - TodoMVC", ["todos"]],
    ["Inbox (3) - Mail", ["INBOX"]],
    ["Ticket #4411 · Helpdesk", ["Ticket"]],
    ["Activities · CRM", ["Activities"]],
    ["#general | Chat", ["#general"]],
    ["Draft: x - Reply", ["Reply"]],
    ["Query - SQL console", ["Query"]],
    ["A | B", [" ", "", "x"]],
  ]) {
    assert.equal(titleWithoutRecords(title, headings), title, title);
  }
});

test("a one-word heading that is no page's name is a record's", () => {
  assert.equal(titleWithoutRecords("Initech · Accounts · Acme CRM", ["Initech"]), "[content] · Accounts · Acme CRM");
  assert.equal(titleWithoutRecords("Hortensia - Contacts", ["Hortensia"]), "[content] - Contacts");
  assert.equal(titleWithoutRecords("Project Phoenix | Phoenix", ["Phoenix"]), "Project [content] | [content]");
  assert.equal(titleWithoutRecords("O'Hara · People", ["O'Hara"]), "[content] · People");
  // Whole words only.
  assert.equal(titleWithoutRecords("Calendar · Cal", ["Cal"]), "Calendar · [content]");
});

test("a very long heading is not looked for", () => {
  const long = "Ottilie Brackwater ".repeat(20).trim();
  assert.equal(titleWithoutRecords(`${long} - CRM`, [long]), `${long} - CRM`);
  assert.equal(titleWithoutRecords("Ottilie Brackwater - CRM", [long, "Ottilie Brackwater"]), "[content] - CRM");
});
