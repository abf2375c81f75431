"""Object storage that stops answering fails a request in bounded time, and then works again.

The S3 server is moto's (tests/conftest.py `s3_endpoint`), reached through tests/blackhole.py's
relay: `cut()` makes the link silent both ways (no data, no FIN, no RST), as a stalled server or a
dropped route does. backend/core/dataset_storage.py bounds each request; the test shortens its
read timeout so that the bound is seconds, not the minute of the defaults, and checks that the
number of tries is bounded too (each try is a new connection through the relay).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import BotoCoreError
from s3fs import S3FileSystem

from backend.core import dataset_storage
from backend.core.dataset_storage import Storage
from tests.blackhole import BlackholeProxy

READ_TIMEOUT = 1.0
# What a store that does not answer raises: botocore's timeouts, or fsspec's at the deadline.
STORE_ERRORS = (OSError, BotoCoreError)


@pytest.fixture
def relay(s3_endpoint):
    proxy = BlackholeProxy(urlsplit(s3_endpoint).port).start()
    yield proxy
    proxy.close()


@pytest.fixture
def storage(relay, monkeypatch):
    # fsspec keeps one filesystem per set of options, endpoint or not: each test's relay is new.
    S3FileSystem.clear_instance_cache()
    monkeypatch.setattr(dataset_storage, "READ_TIMEOUT", READ_TIMEOUT)
    for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url("", scheme="http"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"stall-{time.time_ns()}"
    Storage(f"s3://{bucket}").fs.mkdir(bucket)
    yield Storage(f"s3://{bucket}/datasets")
    S3FileSystem.clear_instance_cache()


def test_a_silent_store_fails_each_operation_within_the_deadline(storage, relay, monkeypatch):
    monkeypatch.setattr(dataset_storage, "DEADLINE", 3.0)
    storage.write("data/2026-01-01/b1.parquet", b"first")
    assert storage.read("data/2026-01-01/b1.parquet") == b"first"

    relay.cut()
    # A PUT waits for an answer nothing else times out: only the deadline ends it.
    for call in (
        lambda: storage.write("data/2026-01-01/b2.parquet", b"second"),
        lambda: storage.read("data/2026-01-01/b1.parquet"),
        lambda: storage.exists("data/2026-01-01/b1.parquet"),
    ):
        started = time.monotonic()
        with pytest.raises(STORE_ERRORS) as failed:
            call()
        took = time.monotonic() - started
        assert took < dataset_storage.DEADLINE + 2, f"held {took:.1f} s ({failed.value!r})"

    relay.restore()
    storage.write("data/2026-01-01/b2.parquet", b"second")
    assert storage.read("data/2026-01-01/b2.parquet") == b"second"


def test_a_silent_object_store_is_tried_a_bounded_number_of_times(storage, relay, monkeypatch):
    monkeypatch.setattr(dataset_storage, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(dataset_storage, "DEADLINE", 120.0)  # out of the way
    fresh = Storage(storage.url)  # made with the shorter read timeout
    fresh.write("data/2026-01-01/b1.parquet", b"first")

    relay.cut()
    before, started = relay.accepted, time.monotonic()
    with pytest.raises(STORE_ERRORS):
        fresh.read("data/2026-01-01/b1.parquet")
    took, tries = time.monotonic() - started, relay.accepted - before
    # s3fs's and botocore's defaults try 25 times (12.5 s of read timeouts alone here, before
    # their backoffs); ours 4: 2 s of read timeouts plus botocore's jittered backoff (up to 2 s
    # a retry) and s3fs's, which a loaded machine stretches (8.3 s seen under the full suite).
    assert tries <= 8, tries
    assert took < 12, took


def test_aws_retry_settings_still_choose_botocores_retries(monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    assert "retries" not in dataset_storage.s3_options()["config_kwargs"]
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    retries = dataset_storage.s3_options()["config_kwargs"]["retries"]
    assert retries == {"max_attempts": dataset_storage.BOTO_ATTEMPTS, "mode": "standard"}
