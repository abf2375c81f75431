"""Enrollment (`POST /admin/api/employees`, `overt enroll`): names, teams, devices."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("field", ["employee", "team"])
def test_a_name_too_long_says_the_limit(admin, field):
    """A 129-character name is refused with a message that says names have at most 128."""
    body = {"employee": "carol", "team": "sales", field: "a" * 129}
    err = admin.call("POST", "/admin/api/employees", body, expect=(422,))
    assert err["code"] == "invalid_request" and "1-128 characters" in err["errors"][field][0]
    assert admin.call("POST", "/admin/api/employees", {**body, field: "a" * 128}, expect=(201,))
