"""What a queued event becomes in a dataset: redacted, categorised, pseudonymous."""

from __future__ import annotations

from .redact import redact_event


def dataset_record(entry: dict, contributor: str, policy_version: str | None = None) -> dict:
    """Return a queued event exactly as it will appear in a dataset (redacted, pseudonymised).

    The policy version is the one the backend accepted the event under (`p`); `policy_version`
    stands in for entries queued without it.
    """
    return {
        **redact_event(entry["ev"]),
        "category": entry["c"],
        "contributor": contributor,
        "policy_version": entry.get("p") or policy_version,
    }
