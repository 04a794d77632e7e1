"""The seam, checked on the code itself: one-way imports with no cycle, and chat adapters that see only the facade."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bots", "core", "safety")
LAYER = {"bots": 0, "core": 1, "safety": 2}  # a module may import its own layer or a lower one (higher number)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in the file (function-level imports count: they are still edges)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycle(_graph()) is None


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_imports_go_one_way_bots_core_safety() -> None:
    upward = [(a, b) for a, targets in _graph().items() for b in targets
              if LAYER[b.split(".")[0]] < LAYER[a.split(".")[0]]]
    assert upward == []


def test_nothing_under_bots_touches_storage_sessions_repositories_or_the_clock() -> None:
    graph = _graph()
    assert [(a, b) for a, targets in graph.items() if a.startswith("bots.") for b in targets
            if b.startswith("core.storage")] == []
    reaches = []
    for path in (REPO / "bots").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("repo", "sessions", "clock", "engine"):
                reaches.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
    assert reaches == []


def test_moderation_services_depend_on_ports_not_on_storage() -> None:
    """Each moderation service names the ports it uses; the SQL that implements them stays out of sight."""
    assert [(a, b) for a, targets in _graph().items() if a.startswith("core.moderation") for b in targets
            if b.startswith("core.storage")] == []


def test_the_shipped_code_never_imports_the_tests() -> None:
    """Test doubles live in tests/: a fake that core could import is a fake production could end up running."""
    reaches = []
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
                reaches += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names
                            if n == "tests" or n.startswith("tests.")]
    assert reaches == []
