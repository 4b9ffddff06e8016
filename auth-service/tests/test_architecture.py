"""The shape of the code: slices that import one another without cycles, short modules.

Every import statement counts, wherever it is (inside `if TYPE_CHECKING:` or a function
too): a cycle hidden from the interpreter is still a cycle for the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import auth_service

PACKAGE = Path(auth_service.__file__).parent
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            graph[name] |= {target for target in targets if target in modules} - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _slice(module: str) -> str:
    return ".".join(module.split(".")[:2])  # auth_service.sessions.rotation -> …sessions


def test_no_module_imports_itself_back_through_others() -> None:
    assert _cycles(_imports()) == []


def test_the_slices_import_one_another_without_cycles() -> None:
    slices: dict[str, set[str]] = {}
    for module, targets in _imports().items():
        slices.setdefault(_slice(module), set()).update(_slice(t) for t in targets)
    for name, targets in slices.items():
        targets.discard(name)
        for target in targets:
            slices.setdefault(target, set())
    assert _cycles(slices) == []


def test_no_source_module_passes_300_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
