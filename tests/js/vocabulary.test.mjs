// The extension's constants and redaction agree with the backend's vocabulary
// (backend/core/vocabulary.json) and with the redaction cases both sides run
// (tests/redaction_cases.json; the Python side is tests/unit/test_vocabulary.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as constants from "../../extension/shared/constants.js";
import { CATEGORY_TEXT } from "../../extension/shared/labels.js";
import { redactText, redactUrl } from "../../extension/shared/redact.js";

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
const vocabulary = read("../../backend/core/vocabulary.json");
const cases = read("../redaction_cases.json");

test("categories and event types are the backend's", () => {
  assert.deepEqual([...constants.CATEGORIES], vocabulary.categories);
  assert.deepEqual({ ...constants.CATEGORY_OF_TYPE }, vocabulary.category_of);
  assert.deepEqual([...constants.COMMAND_KEYS], vocabulary.command_keys);
  assert.deepEqual(JSON.parse(JSON.stringify(constants.CHANGE_TARGETS)), vocabulary.change_targets);
});

test("field limits are the backend's", () => {
  for (const name of ["max_url", "max_title", "max_selector", "max_label", "max_tag", "max_role",
    "max_events_per_frame", "max_goal", "max_elements", "max_observation_bytes"]) {
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

test("the popup describes every category in plain words", () => {
  assert.deepEqual(Object.keys(CATEGORY_TEXT), vocabulary.categories);
  assert.match(CATEGORY_TEXT.page_structure[1], /never what is in them/);
});

test("the /me page describes every category", () => {
  const page = readFileSync(new URL("../../backend/static/me.js", import.meta.url), "utf8");
  const listed = [...page.matchAll(/^\s+\["([a-z_]+)", "/gm)].map((m) => m[1]);
  assert.deepEqual(listed, vocabulary.categories);
});
