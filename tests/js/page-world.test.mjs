// The match patterns the page-world script is registered with (extension/background/page-world.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { matchPatternOf } from "../../extension/background/page-world.js";

test("a work app's origin becomes the match pattern of exactly that origin", () => {
  assert.equal(matchPatternOf("https://crm.example.com"), "https://crm.example.com/*");
  assert.equal(matchPatternOf("http://127.0.0.1:8765"), "http://127.0.0.1:8765/*");
  assert.equal(matchPatternOf("https://[::1]:8443"), "https://[::1]:8443/*");
  assert.equal(matchPatternOf("https://crm.example.com:443"), "https://crm.example.com/*");
});

test("what is not an http(s) origin registers nothing", () => {
  for (const origin of ["", "not a url", "file:///etc", "chrome-extension://abc", null]) {
    assert.equal(matchPatternOf(origin), null, String(origin));
  }
});
