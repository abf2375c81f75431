"""The words the rarity gate counts and masks (backend/core/words.py)."""

import pytest

from backend.core.words import (
    cut,
    mask_record,
    mask_selector,
    mask_text,
    mask_url,
    record_words,
    selector_words,
    words,
)

COMMON = {"save", "tickets", "edit", "column", "name", "call", "re"}


def keep(word: str) -> bool:
    return word in COMMON


def test_words_are_case_folded_letter_and_digit_runs():
    """Punctuation, dashes and underscores separate words; case does not matter."""
    assert list(words("Save & close: Ticket_42 re-open STRASSE Straße")) == [
        "save",
        "close",
        "ticket",
        "42",
        "re",
        "open",
        "strasse",
        "strasse",
    ]


@pytest.mark.parametrize(
    "placeholder", ["[email]", "[card]", "[number]", "[typed]", "[content]", "[rare]"]
)
def test_placeholders_are_neither_words_nor_masked(placeholder):
    """A placeholder the redaction rules wrote stays as it is and is never counted."""
    assert list(words(f"Mail {placeholder}")) == ["mail"]
    assert mask_text(f"Save {placeholder}", keep) == (f"Save {placeholder}", 0)


def test_words_counted_are_the_words_masked():
    """A word whose case-folding adds a combining mark ("İ") is one word both times."""
    (word,) = words("İstanbul")
    assert mask_text("İstanbul", lambda w: w == word) == ("İstanbul", 0)


def test_other_bracketed_text_is_just_words():
    """Only the known placeholders pass: "[jekyll]" typed by someone is a word like any other."""
    assert mask_text("Save [jekyll]", keep) == ("Save [[rare]]", 1)


def test_rare_words_are_masked_and_neighbours_merge():
    """Each rare word becomes [rare]; rare words next to each other become one."""
    assert mask_text("Call Dr Jekyll re biopsy results", keep) == (
        "Call [rare] re [rare]",
        4,
    )
    assert mask_text("Name column", keep) == ("Name column", 0)


def test_url_paths_mask_by_segment_words_and_keep_the_rest():
    """Scheme, host and query stay; path words split at any non-letter, non-digit."""
    url = "https://app.example.com/tickets/jane-doe_2/edit?tab=1"
    assert mask_url(url, keep) == (
        "https://app.example.com/tickets/[rare]-[rare]_[rare]/edit?tab=1",
        3,
    )
    assert mask_url("https://app.example.com/tickets/edit", keep)[1] == 0
    encoded = "https://app.example.com/tickets/J%C3%A9r%C3%B4me%20Doe/[number]"
    assert mask_url(encoded, keep) == ("https://app.example.com/tickets/[rare]/[number]", 2)
    assert mask_url("[invalid-url]", keep) == ("[invalid-url]", 0)
    assert mask_url("not a url", keep) == ("[rare]", 3), "anything else is all path"


def test_record_words_cover_label_title_url_paths_and_selector_ids_only():
    """Tags and hosts are not gated; label, title, the three URLs' paths and the ids and test
    attributes of a selector are (an app may build an id from a record: `#tab-jane-doe`)."""
    record = {
        "type": "route_change",
        "url": "https://crm.example.com/leads/Ann",
        "from": "https://crm.example.com/leads",
        "referrer": "https://other.example.org/x",
        "title": "Leads [email]",
        "target": {"selector": "#lead-list", "tag": "a", "label": "Open"},
    }
    assert record_words(record) == {"leads", "ann", "x", "open", "lead", "list"}
    masked, n = mask_record(record, lambda w: w in {"leads", "open", "list"})
    assert n == 3
    assert masked["url"] == "https://crm.example.com/leads/[rare]"
    assert masked["referrer"] == "https://other.example.org/[rare]"
    assert masked["target"] == {"selector": '[id="[rare]-list"]', "tag": "a", "label": "Open"}
    assert record["url"].endswith("/Ann"), "the input is not modified"


def test_a_masked_label_stays_within_80_characters():
    """[rare] is longer than a short word; the label is cut without half a placeholder."""
    label = " ".join(["Save", "x"] * 20)  # 120 characters after masking
    masked, _ = mask_record({"target": {"label": label}}, keep)
    assert len(masked["target"]["label"]) <= 80
    assert masked["target"]["label"].endswith(("[rare]", "Save"))
    assert cut("a" * 76 + " [rare]") == "a" * 76


def test_selector_ids_and_test_attributes_are_masked_as_valid_css():
    """An id holding a rare word becomes an `[id="..."]` attribute selector; test attributes keep
    their name; positions, tags and classes are never words."""
    selector = '#tab-hortensia > div:nth-of-type(2) > button[data-testid="call-ambrose"]'
    masked, n = mask_selector(selector, lambda w: w in {"tab", "call"})
    assert n == 2
    assert masked == '[id="tab-[rare]"] > div:nth-of-type(2) > button[data-testid="call-[rare]"]'
    assert mask_selector("main > form > button.save", lambda w: False) == (
        "main > form > button.save",
        0,
    )
    assert selector_words("main > ul > li:nth-of-type(3) > a") == ()
