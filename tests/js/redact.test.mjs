// Redaction rules (docs/privacy.md): the same cases as the server's backend/core/redact.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { originOf, redactLabel, redactText, redactUrl } from "../../extension/shared/redact.js";

test("e-mail addresses are masked", () => {
  assert.equal(redactText("write to jane.doe+x@example.co.uk now"), "write to [email] now");
});

test("card-like numbers are masked, with or without separators", () => {
  assert.equal(redactText("card 4111 1111 1111 1111 ok"), "card [card] ok");
  assert.equal(redactText("card 4111-1111-1111-1111"), "card [card]");
  assert.equal(redactText("4111111111111111"), "[card]");
});

test("digit runs of six or more are masked, shorter ones kept", () => {
  assert.equal(redactText("order 123456 of 2024"), "order [number] of 2024");
  assert.equal(redactText("12345"), "12345");
});

test("non-strings become empty text", () => {
  assert.equal(redactText(undefined), "");
  assert.equal(redactText(42), "");
});

test("URLs lose query, fragment and credentials", () => {
  assert.equal(
    redactUrl("https://user:pw@app.example.com/a/b?token=SECRET123&x=1#frag"),
    "https://app.example.com/a/b",
  );
});

test("allow-listed query parameters are kept, their values masked", () => {
  assert.equal(
    redactUrl("http://h/p?tab=inbox&q=secret&id=1234567", ["tab", "id"]),
    "http://h/p?tab=inbox&id=%5Bnumber%5D",
  );
});

test("the path is masked, also when percent-encoded", () => {
  assert.equal(redactUrl("http://h:8123/users/jane%40example.com/orders/9876543"), "http://h:8123/users/[email]/orders/[number]");
  assert.equal(redactUrl("http://h/u/jane@example.com"), "http://h/u/[email]");
});

test("a malformed escape does not stop the rest being decoded (as backend/core/redact.py)", () => {
  // A query a page put in its route unencoded: "20%" is no escape, the e-mail is one.
  assert.equal(redactUrl("http://h:8123/users/jane%40example.com/50%"), "http://h:8123/users/[email]/50%25");
  assert.equal(redactUrl("http://h/#/search/caf%C3%A9%20jane%40example.com%2020%"), "http://h/#/search/caf%C3%A9%20[email]%2020%25");
  // Bytes that are not UTF-8 become U+FFFD, as Python's unquote decodes them.
  assert.equal(redactText("50% off for jane%40example.com, caf%C3%A9 %E9t%C3"), "50% off for [email], café \ufffdt\ufffd");
  assert.equal(redactText("a%2 %%41 %25%34%31 %C3%28"), "a%2 %A A \ufffd(");
});

test("invalid and non-web URLs do not leak", () => {
  assert.equal(redactUrl("not a url"), "[invalid-url]");
  assert.equal(redactUrl(""), "");
  assert.equal(redactUrl("data:text/html,jane@example.com"), "data:");
});

test("labels are redacted before they are cut to the limit", () => {
  const label = redactLabel(`  Pay   ${"x".repeat(100)} jane@example.com `, 80);
  assert.equal(label.length, 80);
  assert.ok(label.endsWith("…"));
  assert.equal(redactLabel("Send to jane@example.com", 80), "Send to [email]");
  const atEdge = redactLabel(`${"a".repeat(70)} jane@example.com`, 80);
  assert.ok(!atEdge.includes("jane"), atEdge);
});

test("originOf gives the origin or empty", () => {
  assert.equal(originOf("http://127.0.0.1:8123/x?y"), "http://127.0.0.1:8123");
  assert.equal(originOf("nope"), "");
  assert.equal(originOf("data:text/plain,x"), "");
});

test("normalised before matching: double encoding, full-width at, phones (as workers/redact.py)", () => {
  assert.equal(redactUrl("https://app.example.com/u/jane.doe%2540corp.example/x"), "https://app.example.com/u/[email]/x");
  assert.equal(redactText("mail jane\uff20corp.example"), "mail [email]");
  assert.equal(redactText("jöhn.döe@exämple.com wrote"), "[email] wrote");
  assert.equal(
    redactText("call 555-123-4567, (555) 123 4567 or +1 555.123.4567 by 2024-01-15 (v1.2.3)"),
    "call [phone], [phone] or [phone] by 2024-01-15 (v1.2.3)",
  );
  assert.equal(redactUrl("javascript:alert(document.cookie)"), "javascript:");
});
