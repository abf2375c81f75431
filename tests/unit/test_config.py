"""Settings from the environment: defaults, generated secrets, clear errors."""

import pytest

from backend.cli import extension_id
from backend.core.config import ConfigError, load_settings


def test_generated_secrets_are_kept(tmp_path):
    """Admin token and HMAC secret are generated once, kept 0600, and reused."""
    env = {"OVERT_DATA_DIR": str(tmp_path)}
    first, second = load_settings(env), load_settings(env)
    assert first.admin_token == second.admin_token and first.secret == second.secret
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert first.redis_url is None and first.batch_size == 1000 and first.batch_max_age == 60


def test_environment_wins(tmp_path):
    """Values given in the environment are used as they are."""
    env = {
        "OVERT_DATA_DIR": str(tmp_path),
        "OVERT_ADMIN_TOKEN": "a",
        "OVERT_SECRET": "s",
        "OVERT_REDIS_URL": "redis://x:6379/0",
        "OVERT_ALLOWED_ORIGINS": "chrome-extension://abc/, chrome-extension://def",
        "OVERT_BATCH_SIZE": "50",
        "OVERT_BATCH_MAX_AGE": "2.5",
    }
    s = load_settings(env)
    assert (s.admin_token, s.secret, s.redis_url) == ("a", "s", "redis://x:6379/0")
    assert s.allowed_origins == ("chrome-extension://abc", "chrome-extension://def")
    assert (s.batch_size, s.batch_max_age) == (50, 2.5)
    assert not (tmp_path / "secret").exists()


@pytest.mark.parametrize(
    "name, value",
    [
        ("OVERT_BATCH_SIZE", "0"),
        ("OVERT_BATCH_SIZE", "x"),
        ("OVERT_BATCH_MAX_AGE", "-1"),
        # float() reads these, but no partial batch would ever come of age
        ("OVERT_BATCH_MAX_AGE", "nan"),
        ("OVERT_BATCH_MAX_AGE", "NaN"),
        ("OVERT_BATCH_MAX_AGE", "inf"),
        ("OVERT_BATCH_MAX_AGE", "Infinity"),
        ("OVERT_BATCH_MAX_AGE", "1e999"),
    ],
)
def test_bad_numbers(tmp_path, name, value):
    """Malformed numbers are a ConfigError naming the variable."""
    with pytest.raises(ConfigError, match=name):
        load_settings({"OVERT_DATA_DIR": str(tmp_path), name: value})


def test_extension_id_comes_from_the_manifest_key():
    """The id `overt up` prints is the one Chromium derives from the manifest's fixed key."""
    assert extension_id() == "jlgofjddloiiehobneeomgligepmkobc"


@pytest.mark.parametrize(
    "url, problem",
    [
        ("notaurl", "schemes"),
        ("alice:hunter2@redis.internal", "schemes"),
        ("http://redis.internal:6379", "schemes"),
        ("redis://:hunter2@redis.internal:port/0", "Port"),
        ("redis://redis.internal:99999/0", "Port"),
        ("redis://redis.internal/0?max_connections=many", "max_connections"),
    ],
)
def test_malformed_redis_url(tmp_path, url, problem):
    """A URL redis-py cannot use is a ConfigError naming OVERT_REDIS_URL, without the password."""
    with pytest.raises(ConfigError) as info:
        load_settings({"OVERT_DATA_DIR": str(tmp_path), "OVERT_REDIS_URL": url})
    message = str(info.value)
    assert "(from OVERT_REDIS_URL)" in message and problem in message
    assert "hunter2" not in message


def test_redis_urls_that_work(tmp_path):
    """redis://, rediss:// and unix:// URLs with options are taken as they are."""
    for url in ("redis://h:6379/0?max_connections=8", "rediss://:pw@h:6380/1", "unix:///tmp/r.s"):
        env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_REDIS_URL": url}
        assert load_settings(env).redis_url == url


@pytest.mark.parametrize(
    "url", ["ftp://files.internal/datasets", "gs://bucket/x", "s3://", "s3:///x"]
)
def test_datasets_url_must_be_a_folder_or_s3(tmp_path, url):
    """OVERT_DATASETS_URL is a folder, file:// or s3://bucket/prefix: fsspec would open other
    schemes too (an FTP server, a Google bucket) and every command failed differently there."""
    with pytest.raises(ConfigError, match="OVERT_DATASETS_URL") as caught:
        load_settings({"OVERT_DATA_DIR": str(tmp_path), "OVERT_DATASETS_URL": url})
    assert url in str(caught.value) and "s3://bucket/prefix" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["s3://bucket", "s3://bucket/prefix/", "file:///srv/datasets", "/srv/datasets", "ds"]
)
def test_datasets_url_accepted(tmp_path, url):
    """A folder, a file:// URL and an s3:// bucket with or without a prefix are kept as given."""
    env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_DATASETS_URL": url}
    assert load_settings(env).datasets_location == url


@pytest.mark.parametrize(
    "value, problem",
    [
        (",", "names no origin"),
        (" , ,", "names no origin"),
        ("jlgofjddloiiehobneeomgligepmkobc", "is not an origin"),
        ("chrome-extension://jlgofjddloiiehobneeomgligepmkobc/options.html", "is not an origin"),
        ("chrome-extension://a, *", "is not an origin"),
        ("Chrome-Extension://JLGOFJDDLOIIEHOBNEEOMGLIGEPMKOBC", "lower case"),
    ],
)
def test_allowed_origins_must_name_origins(tmp_path, value, problem):
    """OVERT_ALLOWED_ORIGINS set to commas allowed every origin (as if unset); an extension id
    alone, a path or upper case matched no browser's Origin, so every extension was refused
    with nothing saying why. Each is a ConfigError naming the variable."""
    with pytest.raises(ConfigError, match="OVERT_ALLOWED_ORIGINS") as caught:
        load_settings({"OVERT_DATA_DIR": str(tmp_path), "OVERT_ALLOWED_ORIGINS": value})
    assert problem in str(caught.value)


@pytest.mark.parametrize("value", ["", " "])
def test_allowed_origins_empty_is_unset(tmp_path, value):
    """An empty OVERT_ALLOWED_ORIGINS is unset: any origin (development)."""
    env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_ALLOWED_ORIGINS": value}
    assert load_settings(env).allowed_origins == ()


def test_a_data_dir_that_cannot_hold_the_generated_secrets(tmp_path):
    """OVERT_DATA_DIR naming a file (or a folder that cannot be made) ended every command with
    a NotADirectoryError traceback when a secret had to be generated; a ConfigError names it."""
    a_file = tmp_path / "overt-data"
    a_file.write_text("")
    with pytest.raises(ConfigError, match="OVERT_DATA_DIR") as caught:
        load_settings({"OVERT_DATA_DIR": str(a_file)})
    assert str(a_file) in str(caught.value) and "Errno" not in str(caught.value)
    given = {"OVERT_DATA_DIR": str(a_file), "OVERT_ADMIN_TOKEN": "a", "OVERT_SECRET": "s"}
    assert load_settings(given).admin_token == "a"  # nothing to keep there: fine


def test_a_secret_being_written_by_another_process_is_waited_for(tmp_path):
    """Two processes starting at once on a fresh data dir: the one that lost the O_EXCL create
    read the file before the winner wrote it, and ran with an empty OVERT_SECRET (another HMAC
    key for pseudonyms, an empty key signing sessions). It now waits for the winner's value."""
    import threading

    secret = tmp_path / "secret"
    secret.touch(mode=0o600)  # created, not yet written: where the winner is between the two
    writer = threading.Timer(0.3, lambda: secret.write_text("the-winners-secret\n"))
    writer.start()
    try:
        assert load_settings({"OVERT_DATA_DIR": str(tmp_path)}).secret == "the-winners-secret"
    finally:
        writer.join()


def test_an_empty_secret_file_is_refused(tmp_path):
    """A secret file left empty (a crash between create and write) is never used as the key."""
    (tmp_path / "admin-token").touch(mode=0o600)
    with pytest.raises(ConfigError, match="admin-token") as caught:
        load_settings({"OVERT_DATA_DIR": str(tmp_path)})
    assert "empty" in str(caught.value)


@pytest.mark.parametrize("value", ["s3cret-admin\n", "  s3cret-admin  ", "\ts3cret-admin\r\n"])
def test_admin_token_from_the_environment_is_stripped(tmp_path, value):
    """A token read from a secret file keeps its newline (`OVERT_ADMIN_TOKEN="$(cat f)"` drops
    it, a Kubernetes secret or an env file does not): no `Authorization: Bearer` header can carry
    it, so every admin request was 401. The generated token is stripped the same way."""
    env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_ADMIN_TOKEN": value}
    assert load_settings(env).admin_token == "s3cret-admin"


def test_a_blank_admin_token_in_the_environment_is_unset(tmp_path):
    """OVERT_ADMIN_TOKEN of spaces is unset: the token is generated and kept in the data dir."""
    env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_ADMIN_TOKEN": "  \n"}
    token = load_settings(env).admin_token
    assert token.strip() == token and len(token) > 20
    assert (tmp_path / "admin-token").read_text().strip() == token


@pytest.mark.parametrize("value", ["s3cret\n", "  s3cret  ", "\ts3cret\r\n"])
def test_secret_from_the_environment_is_stripped(tmp_path, value):
    """OVERT_SECRET is stripped as OVERT_ADMIN_TOKEN is: backends and workers share it, and one
    given it with a secret file's newline must pseudonymise as one given it without."""
    assert (
        load_settings({"OVERT_DATA_DIR": str(tmp_path), "OVERT_SECRET": value}).secret == "s3cret"
    )


def test_a_blank_secret_in_the_environment_is_unset(tmp_path):
    """OVERT_SECRET of spaces is unset (it was an HMAC key of spaces): generated and kept."""
    secret = load_settings({"OVERT_DATA_DIR": str(tmp_path), "OVERT_SECRET": " \n"}).secret
    assert secret == (tmp_path / "secret").read_text().strip() and len(secret) > 20


@pytest.mark.parametrize("value", ["1000001", str(10**20)])
def test_a_batch_size_over_a_million_is_refused(tmp_path, value):
    """OVERT_BATCH_SIZE is at most 1,000,000 events (the staging script's LRANGE refused a count
    past 64 bits, failing every seal); 1,000,000 itself is taken."""
    with pytest.raises(ConfigError, match="OVERT_BATCH_SIZE must be at most 1,000,000"):
        load_settings({"OVERT_DATA_DIR": str(tmp_path), "OVERT_BATCH_SIZE": value})
    env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_BATCH_SIZE": "1000000"}
    assert load_settings(env).batch_size == 1_000_000


def test_paths_and_urls_are_read_stripped(tmp_path):
    """OVERT_DATA_DIR, OVERT_REDIS_URL and OVERT_DATASETS_URL lose surrounding spaces and
    newlines (an env file's, a secret file's); blank is unset."""
    env = {
        "OVERT_DATA_DIR": f" {tmp_path} \n",
        "OVERT_REDIS_URL": "redis://x:6379/0\n",
        "OVERT_DATASETS_URL": " s3://bucket/prefix\n",
    }
    s = load_settings(env)
    assert (s.data_dir, s.redis_url, s.datasets_url) == (
        tmp_path,
        "redis://x:6379/0",
        env["OVERT_DATASETS_URL"].strip(),
    )
    blank = load_settings(
        {"OVERT_DATA_DIR": str(tmp_path), "OVERT_REDIS_URL": " ", "OVERT_DATASETS_URL": "\n"}
    )
    assert (blank.redis_url, blank.datasets_url) == (None, None)


def test_blank_batch_settings_are_unset(tmp_path):
    """OVERT_BATCH_SIZE or OVERT_BATCH_MAX_AGE of spaces takes the default, as every blank
    variable does (it was "must be a number, got '  '"); ` 50 ` is 50."""
    env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_BATCH_SIZE": "  ", "OVERT_BATCH_MAX_AGE": "\n"}
    assert (load_settings(env).batch_size, load_settings(env).batch_max_age) == (1000, 60)
    env = {"OVERT_DATA_DIR": str(tmp_path), "OVERT_BATCH_SIZE": " 50 \n"}
    assert load_settings(env).batch_size == 50


@pytest.mark.parametrize("value", ["2.5", "1e3"])
def test_a_batch_size_that_is_no_whole_number_says_so(tmp_path, value):
    """OVERT_BATCH_SIZE=2.5 said only "must be a number", which 2.5 is."""
    with pytest.raises(ConfigError, match=r"must be a number \(a whole one: events\)"):
        load_settings({"OVERT_DATA_DIR": str(tmp_path), "OVERT_BATCH_SIZE": value})
