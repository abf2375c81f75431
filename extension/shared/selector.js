/**
 * Describe an element without its content: a short stable CSS selector, the tag, the ARIA role and
 * a redacted label. Uses only tagName, id, getAttribute, parentElement, children, labels and
 * innerText/textContent, so Node tests can pass plain objects.
 */
import { ARIA_ROLES, MAX_LABEL, MAX_SELECTOR, MAX_TAG } from "./constants.js";
import { redactLabel, redactText } from "./redact.js";

export const IGNORE_ATTRIBUTE = "data-overt-ignore";
const TEST_ATTRIBUTES = ["data-testid", "data-test", "data-qa", "data-cy", "name"];
const MAX_DEPTH = 5;
/** Longer text is page content, not a label: skip it rather than cut (cutting could unmask). */
const MAX_LABEL_SOURCE = 1000;
const STABLE_ID = /^[A-Za-z][\w-]{0,63}$/;
const STABLE_VALUE = /^[\w.-]{1,64}$/;
const TEXT_CONTROLS = new Set(["input", "textarea", "select", "option"]);

const IMPLICIT_ROLES = {
  a: "link", button: "button", select: "combobox", textarea: "textbox", form: "form",
  nav: "navigation", summary: "button", img: "img", dialog: "dialog", option: "option",
};
const INPUT_ROLES = {
  button: "button", submit: "button", reset: "button", image: "button", checkbox: "checkbox",
  radio: "radio", range: "slider", search: "searchbox", email: "textbox", tel: "textbox",
  text: "textbox", url: "textbox", number: "spinbutton", password: "textbox",
};

const tagOf = (el) => String(el.tagName || "").toLowerCase();
const attr = (el, name) => (typeof el.getAttribute === "function" ? el.getAttribute(name) : null);

/** True when the element or an ancestor carries data-overt-ignore. */
export function isIgnored(el) {
  for (let node = el; node; node = node.parentElement) {
    if (attr(node, IGNORE_ATTRIBUTE) !== null) return true;
  }
  return false;
}

/** Ids that look generated (ember123, :r1:, long digit runs) change between loads: skip them. */
export function isStableId(id) {
  return typeof id === "string" && STABLE_ID.test(id) && !/\d{3,}/.test(id) && redactText(id) === id;
}

function stableAttribute(el) {
  for (const name of TEST_ATTRIBUTES) {
    const value = attr(el, name);
    if (value && STABLE_VALUE.test(value) && !/\d{4,}/.test(value) && redactText(value) === value) {
      return `[${name}="${value}"]`;
    }
  }
  return null;
}

function nthOfType(el) {
  const parent = el.parentElement;
  if (!parent || !parent.children) return "";
  const same = Array.from(parent.children).filter((child) => tagOf(child) === tagOf(el));
  return same.length > 1 ? `:nth-of-type(${same.indexOf(el) + 1})` : "";
}

/** Build a short selector, anchored at the nearest stable id or test attribute. */
export function buildSelector(el) {
  const parts = [];
  for (let node = el, depth = 0; node && depth < MAX_DEPTH; node = node.parentElement, depth++) {
    const tag = tagOf(node);
    if (!tag || tag === "html") break;
    if (isStableId(node.id)) {
      parts.unshift(`#${node.id}`);
      break;
    }
    const stable = stableAttribute(node);
    if (stable) {
      parts.unshift(tag + stable);
      break;
    }
    parts.unshift(tag === "body" ? tag : tag + nthOfType(node));
    if (tag === "body") break;
  }
  return parts.join(" > ").slice(0, MAX_SELECTOR);
}

/** The explicit role attribute when it names an ARIA role, else the implicit role. */
export function roleOf(el) {
  const explicit = String(attr(el, "role") || "").trim().split(/\s+/)[0].toLowerCase();
  if (ARIA_ROLES.has(explicit)) return explicit;
  const tag = tagOf(el);
  if (tag === "a") return attr(el, "href") !== null ? "link" : undefined;
  if (tag === "input") return INPUT_ROLES[(attr(el, "type") || "text").toLowerCase()];
  return IMPLICIT_ROLES[tag];
}

function visibleText(el) {
  const text = typeof el.innerText === "string" ? el.innerText : el.textContent;
  return typeof text === "string" && text.length <= MAX_LABEL_SOURCE ? text : "";
}

/**
 * A human label: aria-label, then a <label> for form controls, then the element's own visible
 * text (never for inputs: their text is what the employee typed), then title or alt.
 * Never value or placeholder (rrweb leaked through placeholders, PR #1912).
 */
export function labelOf(el) {
  const candidates = [attr(el, "aria-label")];
  const tag = tagOf(el);
  if (TEXT_CONTROLS.has(tag)) {
    for (const label of Array.from(el.labels || [])) candidates.push(visibleText(label));
  } else {
    candidates.push(visibleText(el));
  }
  candidates.push(attr(el, "title"), attr(el, "alt"));
  for (const candidate of candidates) {
    if (typeof candidate === "string" && candidate.length <= MAX_LABEL_SOURCE) {
      const label = redactLabel(candidate, MAX_LABEL);
      if (label) return label;
    }
  }
  return undefined;
}

/** TARGET as in DESIGN.md: {selector, tag, role?, label?}. */
export function describeTarget(el) {
  const target = { selector: buildSelector(el) || tagOf(el), tag: tagOf(el).slice(0, MAX_TAG) };
  const role = roleOf(el);
  if (role) target.role = role;
  const label = labelOf(el);
  if (label) target.label = label;
  return target;
}
