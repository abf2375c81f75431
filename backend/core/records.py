"""What a queued event becomes in a dataset: redacted, categorised, pseudonymous."""

from __future__ import annotations

from .redact import redact_event


def dataset_record(entry: dict, contributor: str, allowed_origins=None) -> dict:
    """Return a queued event exactly as it will appear in a dataset (redacted, pseudonymised).

    `allowed_origins` are the policy's: a referrer elsewhere keeps its origin at most.
    """
    event = redact_event(entry["ev"], allowed_origins=allowed_origins)
    return {**event, "category": entry["c"], "contributor": contributor}
