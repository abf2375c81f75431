/**
 * Words typed in this browser session, kept only as salted hashes, so that text the employee typed
 * never leaves even after the page shows it back (a to-do item, a ticket title, a chat line).
 *
 * The salt is random per browser session and lives in chrome.storage.session with the hashes; the
 * text itself is never stored or sent. Pure functions: the content script and the service worker
 * hold a TypedWords each and share hashes through storage (extension/shared/storage.js).
 */
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
 * The normalised form a word is hashed in: case, width and accents folded, so that "Zoë" typed
 * is masked where a slug shows "zoe" (and "Straße" where it shows "STRASSE").
 */
export function normalizeWord(word) {
  return word.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss");
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
  }

  /** True once a salt is known (before that nothing may be emitted). */
  get ready() {
    return Number.isInteger(this.salt);
  }

  hashOf(word) {
    return cyrb53(normalizeWord(word), this.salt);
  }

  /** Hash the words of `text` (read from a field); return the hashes that were new. */
  addText(text) {
    if (!this.ready) return [];
    const added = [];
    for (const word of wordsOf(text)) {
      const hash = this.hashOf(word);
      if (!this.hashes.has(hash)) {
        this.hashes.add(hash);
        added.push(hash);
      }
    }
    this.trim();
    return added;
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
    }
    for (const hash of hashes || []) this.hashes.add(hash);
    this.trim();
  }

  trim() {
    // A Set iterates in insertion order: drop the oldest hashes first.
    for (const hash of this.hashes) {
      if (this.hashes.size <= MAX_TYPED_HASHES) break;
      this.hashes.delete(hash);
    }
  }

  /** True when `word` was typed in this session. */
  has(word) {
    return this.ready && word.length >= MIN_WORD && this.hashes.has(this.hashOf(word));
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
   * that an encoded "Jane%20Doe" is matched as the "Jane Doe" it turns into when redacted.
   */
  mask(text) {
    if (typeof text !== "string" || !this.hashes.size) return text;
    const plain = UNNORMALISED.test(text) ? normalise(text) : text;
    const masked = plain.replace(TOKEN, (word) => (word[0] !== "[" && this.hides(word) ? TYPED_MASK : word));
    return masked.replace(MASK_RUN, TYPED_MASK);
  }
}
