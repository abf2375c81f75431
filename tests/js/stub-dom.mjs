// Stand-in DOM elements for the extension's pure functions (no browser in Node).

/** h(tag, attrs, ...children): a stand-in Element; string children are text. */
export function h(tag, attrs = {}, ...children) {
  const kids = children.filter((c) => typeof c !== "string");
  const node = {
    tagName: tag.toUpperCase(),
    id: attrs.id || "",
    children: kids,
    parentElement: null,
    getAttribute: (name) => (name in attrs ? String(attrs[name]) : null),
    get textContent() {
      return children.map((c) => (typeof c === "string" ? c : c.textContent)).join(" ");
    },
    matches: (selector) => selector.split(",").some((s) => s.trim() === `.${attrs.class}` || s.trim() === tag),
  };
  for (const kid of kids) kid.parentElement = node;
  return node;
}
