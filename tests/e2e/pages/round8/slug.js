// @sindresorhus/slugify (npm), bundled by esbuild when the test starts (tests/e2e/conftest.py,
// esbuild_bundle), as an app makes a record's address from its name: it transliterates what
// Unicode does not decompose ("ø", "ł", "æ") and German umlauts ("ü" is "ue").
import slugify from "@sindresorhus/slugify";

window.slugify = slugify;
