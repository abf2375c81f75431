"""Replace an employee with a keyed pseudonym (HMAC-SHA256 under OVERT_SECRET)."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret: str, employee: str) -> str:
    """Return the stable pseudonym of `employee`; without the secret it cannot be reversed."""
    digest = hmac.new(secret.encode(), b"employee:" + employee.encode(), hashlib.sha256)
    return "p_" + digest.hexdigest()[:24]
