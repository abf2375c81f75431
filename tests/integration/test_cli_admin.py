"""`overt admin token`, `overt audit` and `overt policy chrome`."""

import json
import re

import pytest
from click.testing import CliRunner

from backend.cli import extension_id, main
from backend.cli_support import default_actor
from backend.core import audit as audit_log
from backend.core.clock import from_iso, now_ms
from backend.rollout import managed_keys


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_admin_tokens_from_the_cli(redis_conn, settings, app):
    """A token created by the CLI signs in to the API; revoking it shuts it out; both audited."""
    created = run("admin", "token", "create", "night-shift")
    assert created.exit_code == 0
    token = created.stdout.strip()
    assert token.startswith("ova_")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/admin/api/status", headers=headers).status_code == 200
    assert "night-shift" in run("admin", "token", "list").output
    assert run("admin", "token", "create", "night-shift").exit_code == 2
    assert run("admin", "token", "create", "bootstrap").exit_code == 2
    assert run("admin", "token", "revoke", "night-shift").exit_code == 0
    assert client.get("/admin/api/status", headers=headers).status_code == 401
    assert run("admin", "token", "revoke", "night-shift").exit_code == 2
    actions = [(e["actor"], e["action"], e["label"]) for e in audit_log.read_audit(redis_conn)]
    assert actions == [
        (default_actor(), "admin_token_revoke", "night-shift"),
        (default_actor(), "admin_token_create", "night-shift"),
    ]
    shown = run("audit", "show", "--limit", "1")
    assert json.loads(shown.output)["action"] == "admin_token_revoke"


def test_token_list_shows_when_each_token_was_made_in_iso_utc(redis_conn, settings):
    """Each label with its creation time as ISO-8601 UTC, not milliseconds since the epoch."""
    before = now_ms()
    assert run("admin", "token", "create", "anna").exit_code == 0
    listed = run("admin", "token", "list")
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.stdout.splitlines() if x.startswith("anna\t"))
    _, created = line.split("\t")
    assert re.fullmatch(r"created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", created), line
    assert from_iso(created.removeprefix("created ")) >= before


def test_cli_pause_is_audited_in_the_chain(redis_conn, settings):
    """The CLI's pause and resume land in the same chain, which verifies."""
    assert run("pause", "--team", "sales", "--reason", "close").exit_code == 0
    assert run("resume", "--team", "sales").exit_code == 0
    assert [e["action"] for e in audit_log.read_audit(redis_conn)] == ["resume", "pause"]
    assert run("audit", "verify").exit_code == 0


def test_policy_chrome_prints_a_force_install_policy():
    """ExtensionSettings force-installs the manifest's id; managed keys match the schema."""
    server = "wss://overt.example.com/ws"
    result = run("policy", "chrome", "--server", server, "--grace-seconds", "90")
    assert result.exit_code == 0
    policy = json.loads(result.output)
    ext = extension_id()
    assert policy["ExtensionSettings"][ext] == {
        "installation_mode": "force_installed",
        "update_url": "https://clients2.google.com/service/update2/crx",
        "toolbar_pin": "force_pinned",
    }
    managed = policy["3rdparty"]["extensions"][ext]
    assert managed == {"server": "wss://overt.example.com/ws", "grace_seconds": 90}
    assert set(managed) <= managed_keys()


def test_policy_chrome_refuses_bad_settings():
    """A non-WebSocket server or a non-positive grace period is a one-line error."""
    assert run("policy", "chrome", "--server", "https://x.example.com").exit_code == 2
    server = "wss://x.example.com/ws"
    bad_grace = run("policy", "chrome", "--server", server, "--grace-seconds", "0")
    assert bad_grace.exit_code == 2 and "grace" in bad_grace.output


def test_policy_chrome_refuses_a_grace_period_no_browser_timer_holds():
    """`--grace-seconds 99999999999999999999` was printed into the policy: the extension's
    grace timer (setTimeout, at most 2^31 - 1 ms) then fired at once, over and over, and never
    failed closed. Past 2,147,483 s it is a one-line error; that value itself is printed."""
    server = "wss://x.example.com/ws"
    for grace in ("2147484", "99999999999999999999"):
        refused = run("policy", "chrome", "--server", server, "--grace-seconds", grace)
        assert refused.exit_code == 2, refused.output
        assert "--grace-seconds must be at most 2,147,483" in refused.output
    longest = run("policy", "chrome", "--server", server, "--grace-seconds", "2147483")
    assert longest.exit_code == 0, longest.output
    managed = json.loads(longest.output)["3rdparty"]["extensions"][extension_id()]
    assert managed["grace_seconds"] == 2147483


@pytest.mark.parametrize(
    "server, says",
    [
        ("wss://h:99999/ws", "port '99999' is not a port: 1-65535"),
        ("wss://h:0/ws", "port '0' is not a port: 1-65535"),
        ("ws://h:8o8o/ws", "port '8o8o' is not a port: 1-65535"),
        ("wss://[::1]:70000/ws", "port '70000' is not a port: 1-65535"),
        ("wss://:8443/ws", "names no host"),
        ("wss://user@/ws", "names no host"),
        ("wss://[::1/ws", "must be a ws:// or wss:// URL"),
        ("ftp://h/ws", "must be a ws:// or wss:// URL"),
    ],
)
def test_policy_chrome_refuses_a_server_url_a_browser_cannot_open(server, says):
    """A bad port, no host or another scheme: one line naming the problem, exit 2, no policy."""
    result = run("policy", "chrome", "--server", server)
    assert result.exit_code == 2 and says in result.stderr, result.output
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("server", ["wss://h:8443/ws", "ws://[::1]:8080/ws", "wss://h/ws"])
def test_policy_chrome_takes_a_server_with_a_port(server):
    """Any port 1-65535, and IPv6 hosts, are fine."""
    result = run("policy", "chrome", "--server", server)
    assert result.exit_code == 0 and server in result.stdout, result.output


def test_policy_chrome_checks_the_extension_id_and_update_url():
    """A malformed --extension-id or a non-http(s) --update-url is refused in one line, exit 2."""
    server = ["policy", "chrome", "--server", "wss://overt.example.com/ws"]
    for extra, says in [
        (["--extension-id", "xyz"], "32 letters a-p"),
        (["--extension-id", "jlgofjddloiiehobneeomgligepmkobq"], "32 letters a-p"),
        (["--update-url", "notaurl"], "http:// or https://"),
        (["--update-url", "file:///etc/updates.xml"], "http:// or https://"),
    ]:
        result = run(*server, *extra)
        assert result.exit_code == 2 and says in result.stderr, (extra, result.output)
        assert len(result.stderr.strip().splitlines()) == 1
    own = "abcdefghijklmnopabcdefghijklmnop"
    done = run(*server, "--extension-id", own, "--update-url", "https://intra.example.com/u.xml")
    assert done.exit_code == 0 and own in json.loads(done.stdout)["ExtensionSettings"]
