// The extension's constants agree with the backend's vocabulary (backend/core/vocabulary.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  CATEGORIES, CATEGORY_OF_TYPE, COMMAND_KEYS, MAX_ELEMENTS, MAX_GOAL, MAX_LABEL, MAX_OBSERVATION_BYTES,
  MAX_ROLE, MAX_SELECTOR, MAX_TAG, MAX_TITLE, MAX_URL, MAX_EVENTS_PER_FRAME,
} from "../../extension/shared/constants.js";
import { CATEGORY_TEXT } from "../../extension/shared/labels.js";

const vocabulary = JSON.parse(
  readFileSync(new URL("../../backend/core/vocabulary.json", import.meta.url), "utf8"),
);

test("categories and event types are the backend's", () => {
  assert.deepEqual([...CATEGORIES], vocabulary.categories);
  assert.deepEqual({ ...CATEGORY_OF_TYPE }, vocabulary.category_of);
  assert.deepEqual([...COMMAND_KEYS], vocabulary.command_keys);
});

test("field limits are the backend's", () => {
  const limits = vocabulary.limits;
  assert.deepEqual(
    [MAX_URL, MAX_TITLE, MAX_SELECTOR, MAX_LABEL, MAX_TAG, MAX_ROLE, MAX_GOAL, MAX_ELEMENTS,
      MAX_OBSERVATION_BYTES, MAX_EVENTS_PER_FRAME],
    [limits.max_url, limits.max_title, limits.max_selector, limits.max_label, limits.max_tag,
      limits.max_role, limits.max_goal, limits.max_elements, limits.max_observation_bytes,
      limits.max_events_per_frame],
  );
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
