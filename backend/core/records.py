"""What a queued event becomes in a dataset: redacted, categorised, pseudonymous."""

from __future__ import annotations

from .redact import redact_event


def dataset_record(entry: dict, contributor: str) -> dict:
    """Return a queued event exactly as it will appear in a dataset (redacted, pseudonymised)."""
    return {**redact_event(entry["ev"]), "category": entry["c"], "contributor": contributor}
