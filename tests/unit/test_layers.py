"""One-way layers: backend/core imports no web or worker code; workers import no web code.

Every module's imports are read with `ast` (nothing is imported), so a forbidden import fails
here even on a path no other test runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_LIBRARIES = ("flask", "flask_sock", "werkzeug", "simple_websocket", "gunicorn")

# Imports allowed inside functions, with why:
# - backend/__init__.py create_app: `backend` is the parent package of backend.core, so every
#   worker runs this file; the factory imports Flask and the blueprints itself (as flaskr does)
#   so that a worker never loads Flask.
# - backend/cli.py worker: `overt serve` must not load the RQ worker runtime.
# - backend/production.py load, _json_errors: gunicorn's master must not load redis, ssl or
#   Flask; each gevent worker creates the app after gevent has patched the standard library.
# - backend/gunicorn_conf.py install_json_errors: the same, for `gunicorn -c
#   python:backend.gunicorn_conf` (its master loads that file before forking).
# - backend/metrics_dir.py child_exit: prometheus-client picks its value class when first
#   imported, and gunicorn's workers inherit the master's modules: the master imports it only
#   after on_starting has set PROMETHEUS_MULTIPROC_DIR.
ALLOWED_LOCAL_IMPORTS = {
    ("backend/metrics_dir.py", "child_exit"),
    ("backend/__init__.py", "create_app"),
    ("backend/cli.py", "worker"),
    ("backend/production.py", "load"),
    ("backend/production.py", "_json_errors"),
    ("backend/gunicorn_conf.py", "install_json_errors"),
}


def modules(folder: str) -> list[Path]:
    """Return every Python file under `folder` of the repository."""
    return sorted((ROOT / folder).rglob("*.py"))


def module_name(path: Path) -> str:
    """Return the dotted module name of a file in the repository."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """Return (line, absolute module name) for every import in `path`, relative ones resolved."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in names]
    return found


def under(name: str, *prefixes: str) -> bool:
    """Return whether module `name` is one of `prefixes` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(folder: str, forbidden) -> list[str]:
    """Return "file:line imports module" for every import in `folder` that `forbidden` rejects."""
    out = []
    for path in modules(folder):
        for line, name in imported(path):
            if forbidden(name):
                out.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return out


def test_core_imports_neither_web_nor_workers():
    """backend/core is the domain: no Flask, no web modules of backend, no RQ runtime."""

    def forbidden(name: str) -> bool:
        if under(name, *WEB_LIBRARIES, "workers", "rq"):
            return True
        return under(name, "backend") and not under(name, "backend.core")

    assert violations("backend/core", forbidden) == []


def test_workers_import_no_web_modules():
    """workers/ is the RQ runtime: it calls backend.core, never the web app or Flask."""

    def forbidden(name: str) -> bool:
        if under(name, *WEB_LIBRARIES):
            return True
        return under(name, "backend") and not under(name, "backend.core")

    assert violations("workers", forbidden) == []


def test_web_imports_workers_only_to_enqueue():
    """backend/ reaches workers/ only through workers.queue (to enqueue) and the CLI's runner."""

    def forbidden(name: str) -> bool:
        return under(name, "workers") and not under(name, "workers.queue", "workers.runner")

    assert violations("backend", forbidden) == []


def local_imports(path: Path) -> list[tuple[str, int]]:
    """Return (function name, line) for every import statement inside a function of `path`."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    out.append((node.name, inner.lineno))
    return out


@pytest.mark.parametrize("folder", ["backend", "workers"])
def test_no_function_level_imports(folder):
    """Imports sit at the top of each module, except the few listed (and explained) above."""
    found = [
        f"{path.relative_to(ROOT)}:{line} in {func}()"
        for path in modules(folder)
        for func, line in local_imports(path)
        if (str(path.relative_to(ROOT)), func) not in ALLOWED_LOCAL_IMPORTS
    ]
    assert found == []


def test_the_checks_see_imports():
    """The reader finds relative and absolute imports (a guard against a check that sees none)."""
    core = imported(ROOT / "backend/core/erase.py")
    assert any(name == "backend.core.keys" for _, name in core)
    assert any(name.startswith("redis") for _, name in core)
    cli = dict(local_imports(ROOT / "backend/cli.py"))
    assert "worker" in cli
