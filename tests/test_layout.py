"""The package layout holds: no import cycles (imports inside functions count), thin shells that import no RDF
engine, modules of a readable size, and no router that names a worker operation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "kg"
ENGINES = {"rdflib", "pyoxigraph", "pyshacl", "owlrl"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, anywhere in the file, except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
    return found


def _edges() -> dict[str, set[str]]:
    return {n: {m for m in _imports(n, p) if m in MODULES and m != n and not m.startswith(n + ".")
                and not n.startswith(m + ".")} for n, p in MODULES.items()}


def test_no_import_cycles():
    edges = _edges()
    cycles = []
    for start in edges:
        stack, seen = [(m, [start, m]) for m in edges[start]], set()
        while stack:
            node, trail = stack.pop()
            if node == start:
                cycles.append(" -> ".join(trail))
                break
            if node in seen:
                continue
            seen.add(node)
            stack.extend((m, [*trail, m]) for m in edges.get(node, ()))
    assert cycles == []


@pytest.mark.parametrize("name", [n for n in MODULES if n == "kg.cli" or n.startswith("kg.web")])
def test_shells_import_no_rdf_engine(name):
    engines = {m.split(".")[0] for m in _imports(name, MODULES[name])} & ENGINES
    assert engines == set(), f"{name} imports {engines}: shells go through the library or the service"


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("kg.web")])
def test_routers_name_no_worker_operation(name):
    imported = _imports(name, MODULES[name])
    assert not {m for m in imported if m.startswith("kg.workers") and not m.startswith("kg.workers.protocol")}
    assert not {m for m in imported if m.endswith("Task")}, "routers call kg.service, which builds the tasks"


@pytest.mark.parametrize("name", list(MODULES))
def test_module_size(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by concern"


def test_only_the_service_and_the_workers_use_the_pool():
    users = {n for n in MODULES if "kg.workers.pool" in _imports(n, MODULES[n])}
    assert users <= {"kg.service", "kg.workers.pool"}
