"""Hash routes (`#/path`) kept by redaction are gated by the rarity gate like paths."""

from backend.core.words import mask_url, record_words


def test_hash_route_words_are_counted_and_masked():
    """A rare word in a hash route becomes [rare]; the query and common words stay."""
    keep = {"contacts", "app"}.__contains__
    url = "https://app.example.com/app?page=2#/contacts/jane%20doe"
    assert mask_url(url, keep) == ("https://app.example.com/app?page=2#/contacts/[rare]", 2)
    assert mask_url("https://app.example.com/app#/contacts", keep)[1] == 0
    words = record_words({"url": "https://app.example.com/app#!/contacts/quist"})
    assert words == {"app", "contacts", "quist"}
