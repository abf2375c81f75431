/**
 * Describe an element without its content: a short stable CSS selector, the tag, the ARIA role and
 * a label under the label policy (extension/shared/label-policy.js). Uses only tagName, id,
 * getAttribute, parentElement and children, so Node tests can pass plain objects.
 */
import { ARIA_ROLES, MAX_LABEL, MAX_SELECTOR, MAX_TAG } from "./constants.js";
import { dataRegionOf, IGNORE_ATTRIBUTE, policyLabel, roleAttr, submitLabel, tagOf } from "./label-policy.js";
import { redactText } from "./redact.js";

const TEST_ATTRIBUTES = ["data-testid", "data-test", "data-qa", "data-cy", "name"];
const MAX_DEPTH = 5;
const STABLE_ID = /^[A-Za-z][\w-]{0,63}$/;
const STABLE_VALUE = /^[\w.-]{1,64}$/;
/** Identifiers are a few short words ("save-button"); more reads like content ("call-dr-jekyll"). */
const MAX_ID_PARTS = 3;
const MAX_ID_PART = 16;

const IMPLICIT_ROLES = {
  a: "link", button: "button", select: "combobox", textarea: "textbox", form: "form",
  nav: "navigation", summary: "button", img: "img", dialog: "dialog", option: "option",
};
const INPUT_ROLES = {
  button: "button", submit: "button", reset: "button", image: "button", checkbox: "checkbox",
  radio: "radio", range: "slider", search: "searchbox", email: "textbox", tel: "textbox",
  text: "textbox", url: "textbox", number: "spinbutton", password: "textbox",
};

const attr = (el, name) => (typeof el.getAttribute === "function" ? el.getAttribute(name) : null);

const IGNORED = `[${IGNORE_ATTRIBUTE}]`;

/** True when the element or an ancestor carries data-overt-ignore. */
export function isIgnored(el) {
  if (el && typeof el.closest === "function") return el.closest(IGNORED) !== null; // one native walk
  for (let node = el; node; node = node.parentElement) {
    if (attr(node, IGNORE_ATTRIBUTE) !== null) return true;
  }
  return false;
}

/** An identifier that reads like content: many or long words, or a word typed in this session. */
export function looksLikeContent(value, mask = (t) => t) {
  const parts = value.replace(/([a-z])([A-Z])/g, "$1-$2").split(/[-_.:]+/).filter(Boolean);
  return parts.length > MAX_ID_PARTS || parts.some((p) => p.length > MAX_ID_PART) || mask(value) !== value;
}

/** Ids that look generated (ember123, :r1:, long digit runs) change between loads: skip them. */
export function isStableId(id, mask = (t) => t) {
  return typeof id === "string" && STABLE_ID.test(id) && !/\d{3,}/.test(id) && redactText(id) === id &&
    !looksLikeContent(id, mask);
}

function stableAttribute(el, mask) {
  for (const name of TEST_ATTRIBUTES) {
    const value = attr(el, name);
    if (value && STABLE_VALUE.test(value) && !/\d{4,}/.test(value) && redactText(value) === value &&
      !looksLikeContent(value, mask)) {
      return `[${name}="${value}"]`;
    }
  }
  return null;
}

const CONTAINER_TAGS = new Set(["table", "ul", "ol"]);
const CONTAINER_ROLES = new Set(["table", "grid", "treegrid", "list", "feed", "log"]);

const RECORD_TAGS = new Set(["li", "td", "th", "tr"]);
const RECORD_ROLES = new Set(["listitem", "article", "cell", "gridcell", "rowheader", "row"]);

/** A list item or a table cell: its id and its row's are record ids (content), not UI. */
function isRecord(node) {
  return RECORD_TAGS.has(tagOf(node)) || RECORD_ROLES.has(String(attr(node, "role") || "").toLowerCase());
}

/** The table or list holding a record (rows and items carry record ids), else its parent. */
function regionContainer(node) {
  for (let up = node.parentElement; up; up = up.parentElement) {
    if (CONTAINER_TAGS.has(tagOf(up)) || CONTAINER_ROLES.has(String(attr(up, "role") || "").toLowerCase())) return up;
  }
  return node.parentElement;
}

function nthOfType(el) {
  const parent = el.parentElement;
  if (!parent || !parent.children) return "";
  const same = Array.from(parent.children).filter((child) => tagOf(child) === tagOf(el));
  return same.length > 1 ? `:nth-of-type(${same.indexOf(el) + 1})` : "";
}

/**
 * Build a short selector, anchored at the nearest stable id or test attribute. Inside a data region
 * (extension/shared/label-policy.js) only positions are used: record ids there carry content.
 */
export function buildSelector(el, { maskSelectors = [], mask = (t) => t } = {}) {
  const region = dataRegionOf(el, maskSelectors);
  const container = region ? (isRecord(region.node) ? regionContainer(region.node) : region.node) : null;
  let positional = Boolean(region);
  const parts = [];
  for (let node = el, depth = 0; node && depth < MAX_DEPTH; node = node.parentElement, depth++) {
    const tag = tagOf(node);
    if (!tag || tag === "html") break;
    if (node === container) positional = false; // the table or list itself is UI again
    if (!positional && isStableId(node.id, mask)) {
      parts.unshift(`#${node.id}`);
      break;
    }
    const stable = positional ? null : stableAttribute(node, mask);
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
  const explicit = roleAttr(el);
  if (ARIA_ROLES.has(explicit)) return explicit;
  const tag = tagOf(el);
  if (tag === "a") return attr(el, "href") !== null ? "link" : undefined;
  if (tag === "input") return INPUT_ROLES[(attr(el, "type") || "text").toLowerCase()];
  return IMPLICIT_ROLES[tag];
}

/** The label of `el` under the label policy (see extension/shared/label-policy.js). */
export function labelOf(el, options = {}) {
  return policyLabel(el, options, MAX_LABEL); // no copy of the options per element
}

/**
 * TARGET as in docs/protocol.md: {selector, tag, role?, label?}. `options`: maskSelectors (the policy's
 * mask_selectors) and mask (hides words typed in this session).
 */
export function describeTarget(el, options = {}) {
  return { selector: buildSelector(el, options) || tagOf(el), ...describeElement(el, options) };
}

/** An element's tag, role and label: what a TARGET and an observation's element both say. */
export function describeElement(el, options = {}) {
  const described = { tag: tagOf(el).slice(0, MAX_TAG) };
  const role = roleOf(el);
  if (role) described.role = role;
  const label = labelOf(el, options);
  if (label) described.label = label;
  return described;
}

/** A submitted form's TARGET: labelled by its submit button's name or the form's own name. */
export function describeSubmit(form, submitter, options = {}) {
  const target = describeTarget(form, options);
  delete target.label;
  const label = submitLabel(form, submitter, { ...options, max: MAX_LABEL });
  if (label) target.label = label;
  return target;
}
