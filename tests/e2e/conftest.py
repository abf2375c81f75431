"""Browser fixtures for the end-to-end tests: Debian's Chromium, the unpacked extension, test pages.

The backend side (live_server, admin, queued_events, run_workers) comes from tests/conftest.py.
Without Chromium or Playwright the tests skip with a loud reason, except under CI (then they fail).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.e2e_harness import ExtensionBrowser, PagesServer, find_chromium, prepare_extension
from tests.e2e.events_helpers import capture_everything

ALL_CATEGORIES = ("navigation", "clicks", "forms", "scroll", "focus", "typing")
TODOMVC_VERSION = "0.1.1"


def _cannot_run(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"e2e tests must run in CI: {reason}", pytrace=False)
    pytest.skip(f"E2E TESTS DID NOT RUN: {reason}")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium (never `playwright install`; branded Chrome ignores --load-extension)."""
    path = find_chromium()
    if path is None:
        _cannot_run("no Chromium found (/usr/lib/chromium/chromium or chromium on PATH)")
    return path


@pytest.fixture(scope="session")
def playwright_instance(chromium_executable):
    """One Playwright driver for the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _cannot_run("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def pages():
    """The local test pages (tests/e2e/pages) on 127.0.0.1, port 0."""
    server = PagesServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def other_pages():
    """The same test pages on another port of 127.0.0.1: another origin of the same site."""
    server = PagesServer()
    yield server
    server.close()


@pytest.fixture
def launch_browser(playwright_instance, chromium_executable, tmp_path):
    """Return launch(server, token, bfcache=False, **knobs) -> ExtensionBrowser (`bfcache`: with
    Chromium's back-forward cache on, as outside Playwright); every browser is closed after."""
    browsers: list[ExtensionBrowser] = []

    def launch(
        server: str | None, token: str | None, bfcache: bool = False, **knobs
    ) -> ExtensionBrowser:
        n = len(browsers)
        ext_dir = prepare_extension(tmp_path / f"extension-{n}", server, token, **knobs)
        browser = ExtensionBrowser(
            playwright_instance, chromium_executable, ext_dir, tmp_path / f"profile-{n}", bfcache
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


@pytest.fixture
def enrolled(admin, pages):
    """Return enroll(employee, consent=ALL) -> token, with the test pages as the work-app origin."""
    admin.set_policy(categories=ALL_CATEGORIES, allowed_origins=[pages.origin])

    def enroll(employee: str = "alice", team: str = "support", consent=ALL_CATEGORIES) -> str:
        token = admin.enroll(employee, team)
        if consent:
            admin.set_consent(token, {c: c in consent for c in ALL_CATEGORIES})
        return token

    return enroll


@pytest.fixture
def capturing(live_server, enrolled, launch_browser, pages):
    """A browser whose extension is connected, consented to everything and capturing."""
    token = enrolled()
    browser = launch_browser(live_server.ws_url, token)
    browser.wait_until_capturing(pages.origin, ALL_CATEGORIES)
    browser.token = token
    return browser


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "overt-tests"


def npm_install(name: str, packages: tuple[str, ...], what: str) -> Path:
    """The `node_modules` directory of `packages` (pinned "name@version"), installed once into
    the cache directory `name`; `what` names the tests that need them when npm is missing."""
    modules = _cache_dir() / name / "node_modules"
    if not all((modules / p.rsplit("@", 1)[0] / "package.json").is_file() for p in packages):
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                pytest.fail(f"npm is needed to install {' '.join(packages)}", pytrace=False)
            pytest.skip(f"NPM NOT FOUND: the {what} did not run")
        modules.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(modules.parent), "--no-audit", "--no-fund", *packages],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    return modules


@pytest.fixture(scope="session")
def todomvc_dir() -> Path:
    """The npm `todomvc` package's vanilla-js example (the other frameworks' examples beside it),
    installed once into a cache directory."""
    package = f"todomvc@{TODOMVC_VERSION}"
    modules = npm_install(f"todomvc-{TODOMVC_VERSION}", (package,), "TodoMVC e2e tests")
    return modules / "todomvc" / "examples" / "vanillajs"


# Libraries apps draw their data grids, calendars, editors, pickers, spreadsheets and boards with
# (tests/e2e/test_grid_libraries.py, tests/e2e/test_editor_libraries.py,
# tests/e2e/test_redteam_round4.py, tests/e2e/test_redteam_round5.py,
# tests/e2e/test_redteam_round6.py, tests/e2e/test_redteam_round7.py,
# tests/e2e/test_redteam_round8.py), pinned.
NPM_PACKAGES = (
    "ag-grid-community@32.3.3",
    "tabulator-tables@6.3.1",
    "tinymce@7.6.0",
    "quill@2.0.3",
    "tom-select@2.4.1",
    "fullcalendar@6.1.15",
    # tests/e2e/test_redteam_round4.py (jspreadsheet-ce loads jsuites, pinned here too)
    "easymde@2.21.0",
    "jspreadsheet-ce@5.0.4",
    "jsuites@5.13.5",
    "jkanban@1.3.1",
    "trix@2.1.19",
    "gridjs@6.2.0",
    "choices.js@11.2.4",
    # tests/e2e/test_redteam_round5.py (DataTables, Summernote and Select2 load jQuery, pinned here)
    "ckeditor5@48.5.2",
    "@editorjs/editorjs@2.31.7",
    "handsontable@18.1.1",
    "datatables.net@3.1.5",
    "jquery@3.7.1",
    "summernote@0.9.1",
    "ace-builds@1.45.2",
    "sortablejs@1.15.7",
    "select2@4.1.0",
    "bootstrap-select@1.13.18",
    "bootstrap@4.6.2",
    # tests/e2e/test_redteam_round6.py (Headless UI and Radix on React, bundled by esbuild)
    "@toast-ui/editor@3.2.2",
    "tui-grid@4.21.22",
    "react@18.3.1",
    "react-dom@18.3.1",
    "@headlessui/react@2.2.10",
    "@radix-ui/react-select@2.4.1",
    "esbuild@0.28.2",
    "tributejs@5.1.3",
    # tests/e2e/test_redteam_round7.py (lz-string's share links; Radix's DropdownMenu on React)
    "lz-string@1.5.0",
    "@radix-ui/react-dropdown-menu@2.2.1",
    # tests/e2e/test_redteam_round8.py (Monaco types through the EditContext API; Slate on React;
    # CodeMirror 6, TipTap and Lexical, bundled by esbuild; slugs made by @sindresorhus/slugify;
    # an on-screen keyboard)
    "monaco-editor@0.57.0",
    "slate@0.146.0",
    "slate-dom@0.146.1",
    "slate-react@0.146.1",
    "codemirror@6.0.2",
    "@tiptap/core@3.35.0",
    "@tiptap/pm@3.35.0",
    "@tiptap/starter-kit@3.35.0",
    "lexical@0.52.0",
    "@lexical/plain-text@0.52.0",
    "@sindresorhus/slugify@3.0.1",
    "simple-keyboard@3.8.192",
)


@pytest.fixture(scope="session")
def npm_packages() -> Path:
    """The `node_modules` directory holding NPM_PACKAGES, installed once into a cache directory."""
    name = "npm-" + hashlib.sha256(" ".join(NPM_PACKAGES).encode()).hexdigest()[:12]
    return npm_install(name, NPM_PACKAGES, "grid, calendar, editor and picker e2e tests")


def esbuild_bundle(npm_packages: Path, source: Path, out: Path) -> Path:
    """Bundle the React page `source` (.jsx) with esbuild from NPM_PACKAGES into `out` (one
    IIFE script named after it, as a browser loads it without a module loader); return it."""
    bundle = out / (source.stem + ".js")
    command = [
        str(npm_packages / ".bin" / "esbuild"),
        str(source),
        "--bundle",
        "--format=iife",
        "--jsx=automatic",
        '--define:process.env.NODE_ENV="production"',
        f"--outfile={bundle}",
        "--log-level=warning",
    ]
    env = {**os.environ, "NODE_PATH": str(npm_packages)}  # where esbuild finds the packages
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    return bundle


def serve_bundle(npm_packages: Path, pages, tmp_path: Path, source: Path) -> None:
    """Bundle `source` (esbuild_bundle) and serve it from the pages server under /bundle."""
    out = tmp_path / "bundle"
    esbuild_bundle(npm_packages, source, out)
    pages.mount("/bundle", out)


@pytest.fixture
def npm_capturing(live_server, admin, launch_browser, pages, npm_packages):
    """A capturing browser consented to every category (the rarity gate's k 1), NPM_PACKAGES
    served under /npm."""
    pages.mount("/npm", npm_packages)
    return capture_everything(live_server, admin, launch_browser, pages)
