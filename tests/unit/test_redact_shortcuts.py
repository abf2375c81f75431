"""The redaction shortcuts give exactly what the full rules give, on any input."""

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from backend.core.redact import (
    CARD,
    CARD_MASK,
    DIGITS,
    DIGITS_MASK,
    EMAIL,
    EMAIL_MASK,
    PATH_SAFE,
    PHONE,
    PHONE_MASK,
    normalise,
    redact_path,
    redact_text,
)

# Characters that matter to the rules and to percent-encoding, plus anything else.
TRICKY = st.sampled_from(list("0123456789@.-_ %/+[]~:;=()é漢\u00b2\u0663\uff20ab"))
TEXT = st.one_of(st.text(), st.lists(TRICKY, max_size=40).map("".join))


def full_text(text: str) -> str:
    text = CARD.sub(CARD_MASK, EMAIL.sub(EMAIL_MASK, normalise(text)))
    return DIGITS.sub(DIGITS_MASK, PHONE.sub(PHONE_MASK, text))


@given(TEXT)
def test_text_without_digit_or_at_is_skipped_only_when_nothing_would_change(text):
    assert redact_text(text) == full_text(text)


@given(st.one_of(TEXT.map(lambda t: "/" + t), st.text(alphabet="abc123/%@4F", max_size=30)))
def test_plain_paths_skip_decoding_only_when_it_changes_nothing(path):
    assert redact_path(path) == quote(full_text(path), safe=PATH_SAFE)
