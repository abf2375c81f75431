"""Examples in docs/ show values as Overt writes them."""

import re
from pathlib import Path

from backend.core.pseudonym import pseudonym

DOCS = Path(__file__).resolve().parents[2] / "docs"
# A contributor as backend/core/pseudonym.py writes it: "p_" and 24 hex digits.
PSEUDONYM = re.compile(r"p_[0-9a-f]{24}")


def test_contributors_in_examples_are_pseudonyms():
    """Every `"contributor": "..."` in the docs looks like a real pseudonym."""
    assert PSEUDONYM.fullmatch(pseudonym("secret", "alice"))
    found = {
        (doc.name, value)
        for doc in sorted(DOCS.glob("*.md"))
        for value in re.findall(r'"contributor":\s*"([^"]*)"', doc.read_text())
    }
    assert found, "the docs show a contributor somewhere"
    assert {f for f in found if not PSEUDONYM.fullmatch(f[1])} == set()


def test_protocol_states_the_scroll_position_cap():
    """docs/protocol.md gives `y` the bounds backend/core/events.py enforces."""
    from marshmallow import validate

    from backend.core.events import ScrollSchema

    (bounds,) = [v for v in ScrollSchema().fields["y"].validators if isinstance(v, validate.Range)]
    text = (DOCS / "protocol.md").read_text()
    sentence = text[text.index("`scroll` may also carry `y`") :].split(".")[0]
    assert f"{bounds.min}\N{EN DASH}{bounds.max:,}" in sentence, sentence
