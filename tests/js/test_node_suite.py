"""Run the extension's Node test suite (tests/js/*.test.mjs) as part of pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = Path(__file__).resolve().parent


def test_node_suite_passes() -> None:
    """`node --test` over tests/js exits 0 (skipped loudly without Node, failed in CI).

    The files are listed explicitly: Node 18-20 take a directory, Node 21+ take glob patterns,
    and both take file paths.
    """
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed, and CI must run the extension's JS tests")
        pytest.skip(
            "NODE NOT FOUND: the extension's JS tests (tests/js) did not run; install Node 18+"
        )
    files = sorted(str(p.relative_to(ROOT)) for p in JS_TESTS.glob("*.test.mjs"))
    assert files, "no tests/js/*.test.mjs found"
    result = subprocess.run(
        [node, "--test", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
