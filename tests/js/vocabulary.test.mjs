// The extension's constants and redaction agree with the backend's vocabulary
// (backend/core/vocabulary.json) and with the redaction cases both sides run
// (tests/redaction_cases.json; the Python side is tests/unit/test_vocabulary.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as constants from "../../extension/shared/constants.js";
import { redactText, redactUrl } from "../../extension/shared/redact.js";

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
const vocabulary = read("../../backend/core/vocabulary.json");
const cases = read("../redaction_cases.json");

test("categories and event types are the backend's", () => {
  assert.deepEqual([...constants.CATEGORIES], vocabulary.categories);
  assert.deepEqual({ ...constants.CATEGORY_OF_TYPE }, vocabulary.category_of);
});

test("field limits are the backend's", () => {
  for (const name of ["max_url", "max_title", "max_selector", "max_label", "max_tag", "max_role",
    "max_events_per_frame"]) {
    assert.equal(constants[name.toUpperCase()], vocabulary.limits[name], name);
  }
});

test("text is redacted as the backend redacts it", () => {
  for (const [input, expected] of cases.text) assert.equal(redactText(input), expected, input);
});

test("URLs are redacted as the backend redacts them", () => {
  for (const [input, allowed, expected] of cases.url) {
    assert.equal(redactUrl(input, allowed), expected, input);
  }
});
