"""The published OpenAPI description, fuzzed with schemathesis against a live server.

Real admin and device tokens; every operation gets valid and invalid requests. Never a 500, and
every error body is the one JSON error shape.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.helpers import http

pytestmark = pytest.mark.slow

SHAPE = {"code", "status", "message", "errors"}
MAX_EXAMPLES = 40


def test_openapi_json_is_served(live_server):
    """GET /openapi.json describes the admin and /me APIs with their request schemas."""
    status, spec = http("GET", live_server.http_url + "/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    assert "/admin/api/pause" in spec["paths"] and "/me/api/consent" in spec["paths"]
    body = spec["paths"]["/admin/api/policy"]["put"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Policy"}
    assert set(spec["components"]["schemas"]["Error"]["required"]) == SHAPE


def test_openapi_json_lists_every_api_route_as_it_answers(app, live_server):
    """Every route under /admin/api and /me/api is described with each of its methods; the
    audit log's `limit` is 1-500 as the route checks (it said 10000), with its `before` cursor;
    the admin erasure's required `reason` body is described (a client made from the spec sent
    none and got a 400); both erasures answer 202."""
    status, spec = http("GET", live_server.http_url + "/openapi.json")
    assert status == 200
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/admin/api/", "/me/api/")) and "/rq" not in rule.rule:
            path = rule.rule.replace("<", "{").replace(">", "}")
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, m) for path, ops in spec["paths"].items() for m in ops}
    assert routes - described == set()
    assert described - routes == set()
    params = {p["name"]: p for p in spec["paths"]["/admin/api/audit"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 500 and "before" in params
    erase = spec["paths"]["/admin/api/employees/{employee}/data"]["delete"]
    ref = erase["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert body["required"] == ["reason"] and body["properties"]["reason"]["maxLength"] == 500
    assert "202" in erase["responses"]
    assert "202" in spec["paths"]["/me/api/data"]["delete"]["responses"]


def test_api_never_answers_500(live_server, admin):
    """No 500 for any generated request, valid or not; every error is the JSON error shape."""
    from hypothesis import given
    from schemathesis import GenerationMode

    admin.set_policy()
    device = admin.enroll("alice")
    admin.set_consent(device, {"clicks": True})
    spec = schemathesis.openapi.from_url(live_server.http_url + "/openapi.json")
    calls = []

    def run(operation, mode) -> None:
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            token = live_server.admin_token if case.path.startswith("/admin") else device
            response = case.call(
                base_url=live_server.http_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=20,
            )
            calls.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == SHAPE and body["status"] == response.status_code, body

        fuzz()

    # The employee's own API first: an admin operation may revoke or erase them.
    operations = sorted(
        (result.ok() for result in spec.get_all_operations()),
        key=lambda op: (not op.path.startswith("/me"), op.path, op.method),
    )
    assert len(operations) >= 19
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(operation, mode)
    assert len(calls) >= len(operations) * 2 and 500 not in calls
    assert calls.count(200) > len(calls) // 4, "too few valid requests got through"
