"""Whether a policy's mask selector is a CSS selector a browser matches elements with.

The extension drops a selector its browser refuses (extension/content/capture.js,
validSelectors), so an admin who saved one would believe a region masked that is not. The
syntax is checked by cssselect; pseudo-classes against the standard ones browsers know (a browser
refuses a selector naming any other); a pseudo-element matches no element.
"""

from __future__ import annotations

import cssselect
from cssselect.parser import (
    CombinedSelector,
    Function,
    Matching,
    Negation,
    Pseudo,
    Relation,
    Selector,
    SpecificityAdjustment,
)

PSEUDO_CLASSES = frozenset(
    """active any-link autofill checked default defined disabled empty enabled first-child
    first-of-type focus focus-visible focus-within fullscreen hover in-range indeterminate invalid
    last-child last-of-type link modal only-child only-of-type open optional out-of-range paused
    picture-in-picture placeholder-shown playing popover-open read-only read-write required root
    scope target target-within user-invalid user-valid valid visited""".split()  # noqa: SIM905 - a word list
)
PSEUDO_FUNCTIONS = frozenset(
    ("nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type", "lang", "dir", "state")
)


def selector_problem(text: str) -> str | None:
    """Why `text` is not a selector of elements a browser accepts, or None when it is one."""
    try:
        selectors = cssselect.parse(text)
    except cssselect.SelectorSyntaxError as err:
        return f"not a CSS selector ({err})"
    for selector in selectors:
        if selector.pseudo_element:
            return f"::{selector.pseudo_element} is a pseudo-element: it matches no element"
        unknown = _unknown_pseudo(selector.parsed_tree)
        if unknown:
            return f"{unknown} is not a pseudo-class browsers know"
    return None


def _unknown_pseudo(node) -> str | None:
    """The first pseudo-class in the tree under `node` that browsers do not know, or None."""
    if isinstance(node, Selector):
        return _unknown_pseudo(node.parsed_tree)
    if isinstance(node, Pseudo) and node.ident.lower() not in PSEUDO_CLASSES:
        return f":{node.ident}"
    if isinstance(node, Function) and node.name.lower() not in PSEUDO_FUNCTIONS:
        return f":{node.name}()"
    children = [getattr(node, "selector", None)]  # what it qualifies (None under Element)
    if isinstance(node, (CombinedSelector, Negation)):
        children.append(node.subselector)
    elif isinstance(node, (Matching, SpecificityAdjustment)):
        children += node.selector_list
    elif isinstance(node, Relation):  # :has(> img): (combinator, selector) pairs
        children += [selector for _, selector in node.arguments]
    for child in children:
        if child is not None and (found := _unknown_pseudo(child)):
            return found
    return None
