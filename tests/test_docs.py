"""The README and the docstrings name only paths that exist, and the command modules layer.

A path written in the README or in a docstring (``docs/benchmarks.md``, ``tests/shapes/``) is
a promise to a reader; each must exist in the repository. Files the commands make at run time
are listed below as such.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATH = re.compile(
    r"(?<![\w./-])((?:\.ci|bench|docs|graph|ontology|queries|scripts|shapes|src|tests)"
    r"/[\w./-]*[\w/])"
)
MADE_AT_RUN_TIME = {"graph/.clusterkg.lock"}  # the lock `add`, `import` and `remove` take


def docstrings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node)
            if text:
                found.append(text)
    return found


def named_paths() -> set[tuple[str, str]]:
    texts = [("README.md", (ROOT / "README.md").read_text(encoding="utf-8"))]
    for folder in ("src", "tests", "bench", "docs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            texts += [(str(path.relative_to(ROOT)), t) for t in docstrings(path)]
    found = set()
    for where, text in texts:
        for match in PATH.finditer(text):
            name = match.group(1).rstrip(".")
            if "*" not in name and "<" not in name:
                found.add((where, name))
    return found


def test_every_path_named_in_readme_and_docstrings_exists() -> None:
    paths = named_paths()
    assert len(paths) > 20
    missing = sorted((where, name) for where, name in paths
                     if name not in MADE_AT_RUN_TIME and not (ROOT / name).exists())
    assert missing == []


def test_readme_has_no_leftover_markers() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!--" not in text
    assert "\n\n\n" not in text


def test_command_modules_depend_downward_only() -> None:
    """cli.py imports the *_cli modules; none of them imports cli.py (shared state: state.py)."""
    for path in sorted((ROOT / "src" / "clusterkg").glob("*_cli.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert "clusterkg.cli" not in imported, path.name
        assert not {m for m in imported if m.endswith("_cli")}, path.name
