"""The shape of the code: slices that import one another without cycles, short modules.

Every import statement counts, wherever it is (inside `if TYPE_CHECKING:` or a function
too): a cycle hidden from the interpreter is still a cycle for the reader. The auth
service's slices are checked here, and so is every other package of the workspace.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import auth_service
import pytest

PACKAGE = Path(auth_service.__file__).parent
MAX_LINES = 300
WORKSPACE = ["auth_service", "auth_client", "service_kit", "resource_service", "devstack"]


def _folder(package: str) -> Path:
    return Path(importlib.import_module(package).__file__ or "").parent


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = _modules(package)
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


@pytest.mark.parametrize("package", WORKSPACE)
def test_no_module_imports_itself_back_through_others(package: str) -> None:
    assert _cycles(_imports(_folder(package))) == []


def test_the_slices_import_one_another_without_cycles() -> None:
    slices: dict[str, set[str]] = {}
    for module, targets in _imports().items():
        slices.setdefault(_slice(module), set()).update(_slice(t) for t in targets)
    for name, targets in slices.items():
        targets.discard(name)
        for target in targets:
            slices.setdefault(target, set())
    assert _cycles(slices) == []


@pytest.mark.parametrize("package", WORKSPACE)
def test_no_source_module_passes_300_lines(package: str) -> None:
    folder = _folder(package)
    long = {
        str(path.relative_to(folder)): lines
        for path in folder.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
