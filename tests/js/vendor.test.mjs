// Third-party code in extension/vendor/ is the package's own file (extension/vendor/README.md).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const VENDOR = new URL("../../extension/vendor/", import.meta.url);
/** What Overt appends to lz-string 1.5.0's libs/lz-string.js (see the README). */
const ADDED = "\n// Added for Overt (extension/vendor/README.md): the extension loads its scripts as ES modules.\nexport default LZString;\n";
/** sha256 of libs/lz-string.js in the npm package lz-string 1.5.0. */
const LZ_STRING_SHA256 = "550034b821027008776cb9bcd1700bb5d31e8b3de224cb130fc966a75dab0e5e";

test("lz-string is the package's file with one export added, its licence beside it", () => {
  const file = readFileSync(new URL("lz-string/lz-string.js", VENDOR), "utf8");
  assert.ok(file.endsWith(ADDED));
  const original = file.slice(0, -ADDED.length);
  assert.equal(createHash("sha256").update(original).digest("hex"), LZ_STRING_SHA256);
  assert.match(readFileSync(new URL("lz-string/LICENSE", VENDOR), "utf8"), /^MIT License/);
  // Manifest V3 forbids evaluating strings as code.
  assert.doesNotMatch(file, /\beval\s*\(|\bnew\s+Function\b|\bFunction\s*\(/);
});
