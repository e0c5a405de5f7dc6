"""The architecture of docs/architecture.md, checked on the source itself.

Imports are read with `ast` (every import, at the top or inside a function):
the graph of the package's modules has no cycle, and its arrows point the way
the document says — the core never imports the documents or the commands.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ramu_cli import rules
from ramu_cli.contract import REASON_LABELS

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ramu_cli"


def _module_name(path: Path) -> str:
    parts = ["ramu_cli", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """The project's modules that `path` imports (a `from pkg import module` counts as that module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ramu_cli"):
            subs = {f"{node.module}.{a.name}" for a in node.names} & set(MODULES)
            found |= subs or {node.module}
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def test_every_import_names_a_module_of_the_package():
    assert all(dep in MODULES for deps in GRAPH.values() for dep in deps)


def test_import_graph_has_no_cycle():
    state: dict[str, int] = {}      # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(GRAPH[node]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep):], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


CORE = ("ramu_cli.errors", "ramu_cli.contract", "ramu_cli.schemas", "ramu_cli.tariffs",
        "ramu_cli.french", "ramu_cli.percent", "ramu_cli.manifest", "ramu_cli.ledger",
        "ramu_cli.validation", "ramu_cli.io", "ramu_cli.rules", "ramu_cli.liquidation",
        "ramu_cli.remittances")
# Where a run's folder is written: the one place the core hands frames to the documents.
OUTPUTS = ("ramu_cli.liquidation.outputs", "ramu_cli.remittances.outputs")


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("name", [n for n in MODULES if _under(n, CORE) and n not in OUTPUTS])
def test_core_imports_neither_documents_nor_commands(name: str):
    assert not [d for d in GRAPH[name] if _under(d, ("ramu_cli.documents", "ramu_cli.commands",
                                                      "ramu_cli.cli", *OUTPUTS))]


@pytest.mark.parametrize("name", [n for n in MODULES if _under(n, ("ramu_cli.rules",))])
def test_rules_read_only_the_contract_and_the_policy(name: str):
    allowed = ("ramu_cli.rules", "ramu_cli.tariffs")
    assert [d for d in GRAPH[name] if not _under(d, allowed)] == []


def test_documents_never_import_commands():
    for name in MODULES:
        if _under(name, ("ramu_cli.documents",)):
            assert not [d for d in GRAPH[name] if _under(d, ("ramu_cli.commands", "ramu_cli.cli"))], name


def test_every_code_is_registered_once_with_its_french_label():
    assert len(rules.CODES) == len(set(rules.CODES))
    assert set(rules.CODES) == set(REASON_LABELS)
    assert rules.EXCLUSIVE in rules.REASONS
    assert all(code.startswith("R") for code in rules.REASONS)
    assert all(code.startswith("A") for code in rules.ADJUSTMENTS)
