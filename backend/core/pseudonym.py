"""Replace an employee with a keyed pseudonym (HMAC-SHA256 under OVERT_SECRET)."""

from __future__ import annotations

import functools
import hashlib
import hmac


# A worker stages the events of the same few employees over and over.
@functools.lru_cache(maxsize=65536)
def pseudonym(secret: str, employee: str) -> str:
    """Return the stable pseudonym of `employee`; without the secret it cannot be reversed."""
    digest = hmac.new(secret.encode(), b"employee:" + employee.encode(), hashlib.sha256)
    return "p_" + digest.hexdigest()[:24]
