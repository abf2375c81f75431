// Stand-in DOM elements for the extension's pure functions (no browser in Node).

const ATTRIBUTE = /^\[([\w-]+)(?:=(['"]?)(.*)\2)?\]$/;

/** `.class`, `[attribute]`, `[attribute=value]` (value quoted or not) or a tag name. */
function matchesOne(selector, tag, attrs) {
  const attribute = ATTRIBUTE.exec(selector);
  if (attribute) {
    const [, name, , value] = attribute;
    return name in attrs && (value === undefined || String(attrs[name]) === value);
  }
  return selector === `.${attrs.class}` || selector === tag;
}

/** h(tag, attrs, ...children): a stand-in Element; string children are text. */
export function h(tag, attrs = {}, ...children) {
  const kids = children.filter((c) => typeof c !== "string");
  const node = {
    tagName: tag.toUpperCase(),
    id: attrs.id || "",
    children: kids,
    parentElement: null,
    getAttribute: (name) => (name in attrs ? String(attrs[name]) : null),
    get previousElementSibling() {
      const siblings = node.parentElement ? node.parentElement.children : [];
      const at = siblings.indexOf(node);
      return at > 0 ? siblings[at - 1] : null;
    },
    get textContent() {
      return children.map((c) => (typeof c === "string" ? c : c.textContent)).join(" ");
    },
    matches: (selector) => selector.split(",").some((s) => matchesOne(s.trim(), tag, attrs)),
    closest(selector) {
      for (let up = node; up; up = up.parentElement) if (up.matches(selector)) return up;
      return null;
    },
    querySelector(selector) {
      for (const kid of kids) {
        const found = kid.matches(selector) ? kid : kid.querySelector(selector);
        if (found) return found;
      }
      return null;
    },
    querySelectorAll(selector) {
      return kids.flatMap((kid) => [...(kid.matches(selector) ? [kid] : []), ...kid.querySelectorAll(selector)]);
    },
  };
  for (const kid of kids) kid.parentElement = node;
  return node;
}
