"""Every name the README and docs/ give as cxlens' public API exists at that path."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import cxlens

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_DOTTED = re.compile(r"\bcxlens(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_FROM_BLOCK = re.compile(r"^\s*from (cxlens[\w.]*) import \(([^)]*)\)", re.M)
_FROM_LINE = re.compile(r"^\s*from (cxlens[\w.]*) import ([^(\n]+)$", re.M)


def _resolve(path: str) -> object:
    """Import the longest module prefix of ``path`` and walk the rest as attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(path)


def _named_in_docs() -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _DOTTED.finditer(text):
            name = match.group().rstrip(".")
            if name.endswith((".md", ".py", ".duckdb", ".yaml", ".csv", ".html")):
                continue
            found.add((page.name, name))
        for module, names in _FROM_BLOCK.findall(text) + _FROM_LINE.findall(text):
            names = re.sub(r"#.*", "", names)
            for name in re.split(r"[,\s]+", names):
                if name and name.isidentifier():
                    found.add((page.name, f"{module}.{name}"))
    return sorted(found)


NAMED = _named_in_docs()


def test_the_docs_name_some_api():
    assert len(NAMED) > 50


@pytest.mark.parametrize(("page", "name"), NAMED, ids=[f"{p}:{n}" for p, n in NAMED])
def test_each_documented_name_exists(page, name):
    _resolve(name)


def test_import_cxlens_gives_the_capability_packages():
    for package in cxlens.PACKAGES:
        assert getattr(cxlens, package).__name__ == f"cxlens.{package}"


def test_relative_weights_is_public_where_the_issue_named_it():
    from cxlens.analysis.drivers import relative_weights

    assert cxlens.analysis.relative_weights is relative_weights


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        cxlens.nothing_here  # noqa: B018
    with pytest.raises(AttributeError):
        cxlens.analysis.nothing_here  # noqa: B018


#: Files still allowed to use ``DataFrame.attrs``, each with why (none: every result's facts
#: are in documented columns or a result object).
ATTRS_ALLOWED: dict[str, str] = {}


def _attrs_uses(path: Path) -> list[int]:
    """Return the lines of ``path`` that read or write an ``.attrs`` attribute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "attrs"
    )


def test_no_result_facts_hide_in_dataframe_attrs():
    # pandas drops attrs in most operations: a result's facts are columns or fields of a
    # result object (docs/architecture.md, "Results")
    package = ROOT / "src" / "cxlens"
    found = {
        f"{path.relative_to(package).as_posix()}:{line}"
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).as_posix() not in ATTRS_ALLOWED
        for line in _attrs_uses(path)
    }
    assert not found, f".attrs used in src/cxlens at {', '.join(sorted(found))}"


def test_the_attrs_scan_sees_reads_writes_and_updates(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import pandas as pd\n"
        "out = pd.DataFrame()\n"
        "out.attrs['n'] = 3\n"
        "out.attrs.update(r=1)\n"
        "r2 = out.attrs.get('r', 0)\n"
        "attrs = {'not': 'an attribute'}\n"
        "# out.attrs in a comment is not code\n",
        encoding="utf-8",
    )
    assert _attrs_uses(sample) == [3, 4, 5]


def test_every_allowed_attrs_file_still_uses_them():
    # an exception that matches nothing is stale: remove it
    package = ROOT / "src" / "cxlens"
    for name in ATTRS_ALLOWED:
        assert _attrs_uses(package / name), f"{name} no longer uses .attrs; drop its exception"
