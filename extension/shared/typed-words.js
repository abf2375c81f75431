/**
 * Words typed in this browser session, kept only as salted hashes, so that text the employee typed
 * never leaves even after the page shows it back (a to-do item, a ticket title, a chat line).
 *
 * The salt is random per browser session and lives in chrome.storage.session with the hashes; the
 * text itself is never stored or sent. Pure functions: the content script and the service worker
 * hold a TypedWords each and share hashes through storage (extension/shared/storage.js).
 */
import LZString from "../vendor/lz-string/lz-string.js";
import { normalise } from "./redact.js";

export const TYPED_MASK = "[typed]";
/** Hashes kept per session; the oldest are forgotten first. */
export const MAX_TYPED_HASHES = 20_000;
/** One-letter words are not content ("a", "I"); masking them would garble every label. */
const MIN_WORD = 2;
/** Words are runs of letters, digits and their accents; our own masks like [email] are left alone. */
const TOKEN = /\[[a-z]+\]|[\p{L}\p{N}\p{M}]+/gu;
/** Where a word joins others without a space: camelCase, "HTMLParser", "Room42b". */
const JOINS = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u;
/** Text the redaction rules would change by normalising it (percent-encoding, non-ASCII). */
const UNNORMALISED = /[%\u0080-\uffff]/;
const MASK_RUN = /\[typed\](?:[\s\p{P}\p{S}]*\[typed\])+/gu;
/** A number written with group separators: "88,433", "1.250.000", "12 500" (one word typed). */
const GROUPED = /(?<![\p{L}\p{N}])\p{N}{1,3}(?:[,.'\u00A0\u202F ]\p{N}{3})+(?![\p{L}\p{N}])/gu;
/** A word with an apostrophe inside ("O'Brien"), which a slug or a search may show joined ("obrien"). */
const APOSTROPHED = /[\p{L}\p{N}\p{M}]+(?:['\u2019][\p{L}\p{N}\p{M}]+)+/gu;
/**
 * Letters of scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
 * Burmese): a run of them is one token, and a page may show any part of it alone (a search that
 * cuts "<name>の請求書" into its terms). Such text is learnt and matched by pairs of letters.
 */
const SPACELESS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const SPACELESS_RUN = new RegExp(`${SPACELESS.source}{2,}`, "gu");
/**
 * A run that may be text encoded in base64, standard or URL-safe (an app keeping a draft in its
 * address: `#/share/eyJ0aXRsZSI6…`), or compressed by lz-string (its share links:
 * `compressToEncodedURIComponent`, whose alphabet adds "$", and `compressToBase64`): at least 8
 * characters, "/" included (a path's separator, or base64's own).
 */
// Up to three "=": lz-string's compressToBase64 pads so (base64 itself needs two at most).
const ENCODED_RUN = /[A-Za-z0-9+/_$-]{8,}={0,3}/g;
const MIN_BASE64 = 8;
/**
 * A run of hex digits that may be the UTF-8 bytes of text (`7a71…`): two bytes or more, the
 * shortest that holds a word, standing alone (not the end of a longer word or number).
 */
const HEX_RUN = /(?<![\p{L}\p{N}])(?:[0-9a-f]{2}){2,}(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])(?:[0-9A-F]{2}){2,}(?![\p{L}\p{N}])/gu;
/**
 * lz-string runs longer than this are not decompressed: decompression can grow a short run
 * into a text of about the square of its length (a run of repeats), and it runs for every label.
 */
export const MAX_LZ_RUN = 4096;
const LZ_URI = /^[A-Za-z0-9+$-]+$/;
const LZ_BASE64 = /^[A-Za-z0-9+/]+={0,3}$/;
/**
 * Runs that decoded to no text by any way (most: ordinary words), so as not to try them again:
 * hashes, with a seed random per load, never the runs (one may be a word typed).
 */
const NOT_ENCODED = new Set();
const MAX_NOT_ENCODED = 4096;
const NOT_ENCODED_SEED = Math.floor(Math.random() * 0x7fffffff) + 1;
/** A run of more parts between slashes than this is decoded part by part (maskEncoded). */
const MAX_SPAN_PARTS = 8;
/** Control characters but whitespace: bytes that are no text. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const UTF8 = typeof TextDecoder === "function" ? new TextDecoder("utf-8", { fatal: true }) : null;

/**
 * The text `run` encodes in base64 (standard or URL-safe, padded or not), or "" when it is not
 * base64 of text (UTF-8 without control characters): a word such as "Settings" decodes to bytes
 * that are no text.
 */
export function decodeBase64Text(run) {
  const b64 = String(run).replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (b64.length < MIN_BASE64 || b64.length % 4 === 1 || !UTF8 || typeof atob !== "function") return "";
  let text;
  try {
    text = UTF8.decode(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
  } catch {
    return ""; // not base64, or bytes that are not UTF-8
  }
  return CONTROL.test(text) ? "" : text;
}

/**
 * The text `run` is the hex of (its UTF-8 bytes, in either case), or "" when it is not hex of
 * text: a colour, a commit's hash or a number decodes to bytes that are no text.
 */
export function decodeHexText(run) {
  const hex = String(run);
  if (hex.length < 4 || hex.length % 2 || !/^[0-9a-f]+$/i.test(hex) || !UTF8) return "";
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  let text;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return ""; // bytes that are not UTF-8
  }
  return CONTROL.test(text) ? "" : text;
}

/**
 * The text lz-string compressed into `run` (`compressToEncodedURIComponent`, or
 * `compressToBase64`), or "" when it is no such run of text: most words decompress to nothing,
 * the others to code points that are no text (controls, lone surrogates). Decompressed by the
 * library itself (extension/vendor/lz-string/), only for runs of MIN_BASE64 to MAX_LZ_RUN
 * characters.
 */
export function decodeLzText(run) {
  const code = String(run);
  if (code.length < MIN_BASE64 || code.length > MAX_LZ_RUN) return "";
  const ways = [];
  if (LZ_URI.test(code)) ways.push(LZString.decompressFromEncodedURIComponent);
  if (LZ_BASE64.test(code)) ways.push(LZString.decompressFromBase64);
  for (const decompress of ways) {
    let text;
    try {
      text = decompress(code);
    } catch {
      continue; // not lz-string
    }
    if (typeof text === "string" && text && !CONTROL.test(text) && text.isWellFormed()) return text;
  }
  return "";
}

/** Pair hashes are hashed apart from words' (a pair is never confused with a two-letter word). */
const PAIR = "\u0002";
/** A word cut short and marked so: "Quarterly rev…", "Quarterly rev..." */
const CUT = /^(?:…|\.\.\.)/;
/**
 * Prefixes of the words typed are told apart from whole words: as typed (a page may show a query
 * as it was a moment ago, after the employee typed on), and as a page cuts them ("Quarterly
 * rev…"). Shorter ones would hide too many interface words.
 */
const MIN_PREFIX = 4;
/** A prefix typed letter by letter is masked this long after it was typed. */
export const PREFIX_MS = 120_000;
/** Prefixes remembered at most, of each kind; the oldest are forgotten first. */
export const MAX_PREFIXES = 20_000;

/**
 * A text field narrower or lower than this (in CSS px) as it shows on screen, or transparent,
 * cannot show what is typed in it: an editor's hidden input (CodeMirror 5, Ace, Monaco), whose
 * text the editor draws in its own elements. A search field that grows with its text is one
 * character wide when empty (Choices.js: about 7 px), and is not one.
 */
export const HIDDEN_FIELD_PX = 4;
/** Where such an editor draws its text: the nearest ancestor at least this wide and high. */
export const EDITOR_MIN_WIDTH = 40;
export const EDITOR_MIN_HEIGHT = 16;

const tiny = (box) => box.width < HIDDEN_FIELD_PX || box.height < HIDDEN_FIELD_PX;

/**
 * Where an editor draws the text of a field it hides. `chain` is the field's box, then its
 * ancestors' nearest first, each {width, height, opacity, clips, offPage} (clips: its overflow is
 * not visible; offPage: left of or above the page, where no scrolling shows it). The field is
 * hidden when it, or an ancestor clipping it, is smaller than HIDDEN_FIELD_PX either way
 * (CodeMirror 5's textarea is 1000 px wide in a 3 by 0 px box), when it or an ancestor is
 * transparent, or when it is off the page; the editor is the first ancestor above that at least
 * EDITOR_MIN_WIDTH by EDITOR_MIN_HEIGHT. Returns its index in `chain`; -1 for a field that shows
 * its own text, or a hidden one with no such ancestor in `chain`.
 */
export function editorDrawing(chain) {
  let hidden = false;
  for (let i = 0; i < chain.length; i++) {
    const box = chain[i];
    if (hidden && box.width >= EDITOR_MIN_WIDTH && box.height >= EDITOR_MIN_HEIGHT) return i;
    if (((i === 0 || box.clips) && tiny(box)) || Number(box.opacity) === 0 || (i === 0 && box.offPage)) hidden = true;
  }
  return -1;
}

/** At most this much of a text pasted or dropped is read (the rest is not learnt). */
export const MAX_TRANSFER_CHARS = 100_000;
const TAGS = /<[^>]*>/g;

/**
 * The text a paste or a drop brings into the page (`data`: the event's clipboardData or
 * dataTransfer, or null): its plain text, else its links (`text/uri-list`), else its HTML without
 * tags; "" when it holds none (files only: see their names). An editor that inserts it itself
 * (CKEditor 5) fires no input event and no key, and may show it at once.
 */
export function transferredText(data) {
  if (!data || typeof data.getData !== "function") return "";
  const read = (type) => {
    try {
      return String(data.getData(type) || "");
    } catch {
      return ""; // a type the browser refuses to read
    }
  };
  const text = read("text/plain") || read("text/uri-list") || read("text/html").replace(TAGS, " ");
  return text.slice(0, MAX_TRANSFER_CHARS);
}

/** cyrb53: a fast 53-bit string hash (not cryptographic; the salt keeps it per session). */
function cyrb53(text, seed) {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * Latin letters Unicode does not decompose into a letter and a mark (a stroke, a ligature), as
 * slugs spell them: "Søren" is "soren" in an address, "Łukasz" "lukasz", "Æsa" "aesa".
 */
const UNDECOMPOSED = { ß: "ss", ł: "l", ø: "o", đ: "d", ð: "d", þ: "th", æ: "ae", œ: "oe", ħ: "h", ı: "i", ŧ: "t" };
const UNDECOMPOSED_LETTER = /[ßłøđðþæœħıŧ]/g;

/**
 * The normalised form a word is hashed in: case, width and accents folded, so that "Zoë" typed
 * is masked where a slug shows "zoe" (and "Straße" where it shows "STRASSE", "Søren" "soren").
 */
export function normalizeWord(word) {
  return word.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(UNDECOMPOSED_LETTER, (ch) => UNDECOMPOSED[ch]);
}

/** German umlauts, which slugs spell with an "e" as often as without ("Müller": "mueller"). */
const UMLAUT = /[äöü]/;
const UMLAUTS = /[äöü]/g;
const UMLAUT_E = { ä: "ae", ö: "oe", ü: "ue" };

/**
 * The spellings of a typed `word` a page may show, each hashed (normalizeWord): the word, and
 * with its German umlauts spelt with an "e" ("Müller": "Mueller", as @sindresorhus/slugify
 * writes it), which no folding of the shown word could undo.
 */
export function spellingsOf(word) {
  const lower = word.normalize("NFC").toLowerCase();
  return UMLAUT.test(lower) ? [word, lower.replace(UMLAUTS, (ch) => UMLAUT_E[ch])] : [word];
}

/** The words of `text` worth hashing. */
export function wordsOf(text) {
  if (typeof text !== "string") return [];
  return (text.match(TOKEN) || []).filter((w) => w[0] !== "[" && w.length >= MIN_WORD);
}

/** A new random salt for a browser session. */
export function newSalt() {
  return Math.floor(Math.random() * 0x7fffffff) + 1;
}

/** A set of salted word hashes with the operations capture needs. */
export class TypedWords {
  constructor(salt = null, hashes = []) {
    this.salt = salt;
    this.hashes = new Set(hashes);
    /** Hashes of prefixes of words being typed -> when (see PREFIX_MS); this document's only. */
    this.typing = new Map();
    /** Hashes of the prefixes of words learnt here, matched only where a page cuts a word. */
    this.cuts = new Set();
  }

  /** True once a salt is known (before that nothing may be emitted). */
  get ready() {
    return Number.isInteger(this.salt);
  }

  hashOf(word) {
    return cyrb53(normalizeWord(word), this.salt);
  }

  /** The hashes of `word`'s spellings (spellingsOf), the word's own first. */
  hashesOf(word) {
    return spellingsOf(word).map((form) => this.hashOf(form));
  }

  /**
   * Hash the words of `text` (read from a field); return the hashes that were new. A grouped
   * number ("88,433") counts as its digits too, as a page may show them either way; and each
   * new word's prefixes are kept for where a page shows it cut ("Quarterly rev…").
   */
  addText(text) {
    if (!this.ready) return [];
    const added = [];
    const source = typeof text === "string" ? text : "";
    const grouped = (source.match(GROUPED) || []).map((n) => n.replace(/[^\p{N}]/gu, ""));
    const joined = (source.match(APOSTROPHED) || []).map((w) => w.replace(/['\u2019]/g, ""));
    for (const run of source.match(SPACELESS_RUN) || []) {
      const letters = [...run];
      for (let i = 0; i + 1 < letters.length; i++) {
        const hash = this.hashOf(PAIR + letters[i] + letters[i + 1]);
        if (!this.hashes.has(hash)) {
          this.hashes.add(hash);
          added.push(hash);
        }
      }
    }
    for (const word of [...wordsOf(text), ...grouped, ...joined]) {
      for (const form of spellingsOf(word)) {
        const hash = this.hashOf(form);
        if (!this.hashes.has(hash)) {
          this.hashes.add(hash);
          added.push(hash);
          // Once per word: a field's finished words are read again at every input.
          this.addCuts(form);
        }
      }
    }
    this.trim();
    return added;
  }

  /** Keep the hashes of `word`'s prefixes (MIN_PREFIX letters or more, the word itself not). */
  addCuts(word) {
    for (let n = MIN_PREFIX; n < word.length; n++) this.cuts.add(this.hashOf(word.slice(0, n)));
    trimOldest(this.cuts, MAX_PREFIXES);
  }

  /**
   * Note `hash`, the hash of the word being typed at a field's end (typed-fields.js): masked
   * like a typed word for PREFIX_MS, since a page may show the query as it was a moment ago.
   * Only if it is MIN_PREFIX letters or more (`length`).
   */
  addTyping(hash, length, now = Date.now()) {
    if (!this.ready || length < MIN_PREFIX) return;
    this.typing.delete(hash); // re-inserted: the Map stays oldest first
    this.typing.set(hash, now);
    trimOldest(this.typing, MAX_PREFIXES);
  }

  /** Keep the hash of a word seen earlier (see hashOf); return [hash] when it is new, else []. */
  addHash(hash) {
    if (!this.ready || typeof hash !== "string" || this.hashes.has(hash)) return [];
    this.hashes.add(hash);
    this.trim();
    return [hash];
  }

  /** Merge hashes learnt elsewhere (another tab, the service worker). */
  merge(salt, hashes) {
    if (Number.isInteger(salt) && salt !== this.salt) {
      this.salt = salt;
      this.hashes = new Set();
      this.typing = new Map();
      this.cuts = new Set();
    }
    for (const hash of hashes || []) this.hashes.add(hash);
    this.trim();
  }

  trim() {
    trimOldest(this.hashes, MAX_TYPED_HASHES);
  }

  /** True when `word` was typed in this session (or was being typed here a moment ago). */
  has(word) {
    if (!this.ready || word.length < MIN_WORD) return false;
    const hash = this.hashOf(word);
    if (this.hashes.has(hash)) return true;
    const at = this.typing.get(hash);
    return at !== undefined && Date.now() - at <= PREFIX_MS;
  }

  /**
   * `word` with every stretch of letters of a script without spaces whose every pair was typed
   * replaced by [typed]; `word` itself when there is none.
   */
  maskSpaceless(word) {
    const letters = [...word];
    const typed = new Array(letters.length).fill(false);
    let any = false;
    for (let i = 0; i + 1 < letters.length; i++) {
      if (!SPACELESS.test(letters[i]) || !SPACELESS.test(letters[i + 1])) continue;
      if (this.hashes.has(this.hashOf(PAIR + letters[i] + letters[i + 1]))) typed[i] = typed[i + 1] = any = true;
    }
    if (!any) return word;
    let out = "";
    for (let i = 0; i < letters.length; i++) {
      if (!typed[i]) out += letters[i];
      else if (i === 0 || !typed[i - 1]) out += TYPED_MASK;
    }
    return out;
  }

  /**
   * `run` (ENCODED_RUN, HEX_RUN) with [typed] for what is base64, hex or lz-string of text
   * holding a typed word: the whole run, else the longest spans of its parts between slashes
   * (a path: `share/eyJ0aXRsZSI6…`, where base64's own "/" may split the code too: `share/N4Ig…
   * /WF1j…`); else as it is.
   */
  maskEncoded(run) {
    const hides = (part) => {
      const key = cyrb53(part, NOT_ENCODED_SEED);
      if (NOT_ENCODED.has(key)) return false;
      let any = false;
      for (const decode of DECODERS) {
        const text = decode(part);
        if (!text) continue;
        if (this.mask(text, false) !== text) return true;
        any = true;
      }
      if (!any) {
        if (NOT_ENCODED.size >= MAX_NOT_ENCODED) NOT_ENCODED.clear();
        NOT_ENCODED.add(key);
      }
      return false;
    };
    if (hides(run)) return TYPED_MASK;
    if (!run.includes("/")) return run;
    const parts = run.split("/");
    // Each span of parts from the longest (a path rarely has many: past MAX_SPAN_PARTS, each
    // part alone), so that a code holding "/" is decoded whole.
    const widest = parts.length > MAX_SPAN_PARTS ? 1 : parts.length;
    const out = [];
    for (let from = 0; from < parts.length; ) {
      let to = Math.min(parts.length - (from === 0 ? 1 : 0), from + widest); // the whole: tried
      while (to > from + 1 && !hides(parts.slice(from, to).join("/"))) to--;
      const span = parts.slice(from, to).join("/");
      out.push(to > from + 1 || hides(span) ? TYPED_MASK : span);
      from = to;
    }
    return out.join("/");
  }

  /**
   * `text` with [typed] for each run of it that encodes text holding a typed word (maskEncoded:
   * base64, hex of UTF-8, lz-string); `text` itself when there is none. Percent-encoding is
   * undone first, as the redaction rules undo it. A URL's path is masked so before it is
   * redacted (extension/shared/redact.js, redactUrl), since the rules cut a hex run's digits
   * into `[number]`s.
   */
  maskEncodedRuns(text) {
    if (typeof text !== "string" || !(this.hashes.size || this.typing.size)) return text;
    const plain = UNNORMALISED.test(text) ? normalise(text) : text;
    const masked = plain.replace(HEX_RUN, (run) => this.maskEncoded(run)).replace(ENCODED_RUN, (run) => this.maskEncoded(run));
    return masked === plain ? text : masked;
  }

  /** True when `word`, shown cut short, is the start of a word typed here. */
  cutFrom(word) {
    return word.length >= MIN_PREFIX && this.cuts.has(this.hashOf(word));
  }

  /** True when `word`, or a word joined into it ("archiveBuyMilk", "milk42"), was typed. */
  hides(word) {
    if (this.has(word)) return true;
    const parts = word.split(JOINS);
    return parts.length > 1 && parts.some((part) => this.has(part));
  }

  /**
   * Replace every typed word in `text` by [typed]; runs of them become one [typed]. The text is
   * first normalised as the redaction rules will normalise it (extension/shared/redact.js), so
   * that an encoded "Jane%20Doe" is matched as the "Jane Doe" it turns into when redacted. With
   * `decode`, runs of base64, hex or lz-string of text holding a typed word are [typed] too
   * (maskEncoded).
   */
  mask(text, decode = true) {
    if (typeof text !== "string" || !(this.hashes.size || this.typing.size)) return text;
    let plain = UNNORMALISED.test(text) ? normalise(text) : text;
    if (decode) plain = plain.replace(HEX_RUN, (run) => this.maskEncoded(run)).replace(ENCODED_RUN, (run) => this.maskEncoded(run));
    plain = plain.replace(GROUPED, (n) => (this.has(n.replace(/[^\p{N}]/gu, "")) ? TYPED_MASK : n));
    const masked = plain.replace(TOKEN, (word, at, whole) => {
      if (word[0] === "[") return word;
      if (this.hides(word)) return TYPED_MASK;
      if (CUT.test(whole.slice(at + word.length, at + word.length + 3)) && this.cutFrom(word)) return TYPED_MASK;
      return SPACELESS.test(word) ? this.maskSpaceless(word) : word;
    });
    return masked.replace(MASK_RUN, TYPED_MASK);
  }
}

/** The ways a run may encode text, cheapest first (maskEncoded). */
const DECODERS = [decodeBase64Text, decodeHexText, decodeLzText];

/** Drop the oldest entries of a Set or Map (they iterate in insertion order) beyond `max`. */
function trimOldest(collection, max) {
  for (const key of collection.keys()) {
    if (collection.size <= max) break;
    collection.delete(key);
  }
}
