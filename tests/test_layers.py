"""Imports run one way, down the layers of DESIGN.md, and no module imports itself back.

Every import counts: module level, inside functions (lazy) and under TYPE_CHECKING, because a
lazy import that runs upward still ties a lower layer to a higher one.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cxlens"

#: Lowest first. A module may import from its own layer and the layers before it.
LAYERS: list[set[str]] = [
    {"errors", "palette", "charting", "display", "sample", "safe_export", "money"},  # foundation
    {"schema"},
    {"store"},  # the kernel: engine seam, Catalog, query, lineage, erasure
    {"ingest"},
    {"identity"},
    {"metrics"},
    {"analysis"},
    {"models"},
    {"journey"},
    {"text"},
    {"social"},
    {"collect"},
    {"workspace", "<root>"},  # the facade, and `import cxlens` which exposes it
    {"actions"},  # outputs from here on: they call the facade's namespaces
    {"report"},
    {"api"},
    {"cli", "demo", "__main__"},
]
RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def _module(path: Path) -> str:
    parts = ["cxlens", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "<root>"


def _imports() -> dict[str, set[str]]:
    """Return {module: cxlens modules it imports}, counting every import statement."""
    modules = {_module(p): p for p in SRC.rglob("*.py")}
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("cxlens")}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    base = ".".join(
                        package.split(".")[: len(package.split(".")) - node.level + 1]
                        + ([base] if base else [])
                    )
                if not base.startswith("cxlens"):
                    continue
                for alias in node.names:  # `from cxlens.x import y` may name a module y
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
        found[name] = {t for t in targets if t != name}
    return found


IMPORTS = _imports()


def test_every_part_has_a_layer():
    parts = {_part(m) for m in IMPORTS}
    assert parts - set(RANK) == set()


def test_no_import_runs_up_the_layers():
    upward = sorted(
        f"{source} imports {target}"
        for source, targets in IMPORTS.items()
        for target in targets
        if RANK[_part(target)] > RANK[_part(source)]
    )
    assert upward == []


def test_store_reaches_nothing_above_it():
    above = sorted(
        f"{source} imports {target}"
        for source, targets in IMPORTS.items()
        if _part(source) == "store"
        for target in targets
        if _part(target) not in {"store", "schema", "errors"}
    )
    assert above == []


def test_no_import_cycles():
    try:
        graphlib.TopologicalSorter(IMPORTS).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("cxlens.store.catalog", "cxlens.metrics.namespace"),
        ("cxlens.ingest.load", "cxlens.workspace"),
    ],
)
def test_the_check_catches_an_upward_import(source, target):
    assert RANK[_part(target)] > RANK[_part(source)]
