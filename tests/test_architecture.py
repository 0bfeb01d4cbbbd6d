"""The import graph of tracker/, read with ``ast`` (STYLE §12, issue 11).

Arrows point one way between packages: no cycle between the packages of
tracker/ (tracker/<name>/ or a top-level module tracker/<name>.py), and no
import inside a function from a package that imports this one back (that
is a cycle hidden from import time, not removed). ``importlib`` calls
with a literal module name count as imports, so they cannot hide one
either. tracker/__init__.py (create_app, which wires every package
together) belongs to no package.

Written independently of /work/shared/tools/house_check.py, and agrees with it.
"""
from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRACKER = ROOT / "tracker"


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str) -> str | None:
    """``tracker.cases.models`` -> ``cases``; ``tracker.extensions`` ->
    ``extensions``; ``tracker`` itself and anything outside -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "tracker" and len(parts) > 1 else None


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(tree: ast.AST, module: str, is_package: bool):
    """(imported module, line, inside a function) for each import in ``tree``."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = _absolute(child, module, is_package)
                found.append((target, child.lineno, inner))
                # ``from tracker import cases`` imports the package ``cases``.
                if target == "tracker":
                    found.extend((f"tracker.{alias.name}", child.lineno, inner) for alias in child.names)
            elif isinstance(child, ast.Call):
                name = getattr(child.func, "attr", None) or getattr(child.func, "id", None)
                if name in ("import_module", "__import__") and child.args and isinstance(child.args[0], ast.Constant):
                    found.append((str(child.args[0].value), child.lineno, inner))
            visit(child, inner)

    visit(tree, False)
    return found


def import_graph():
    """``edges[a][b]``: where package ``a`` imports package ``b`` (file:line,
    and whether inside a function)."""
    edges: dict[str, dict[str, list[tuple[str, bool]]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(TRACKER.rglob("*.py")):
        module = _module_name(path)
        source = _package(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target, line, inner in _imports(tree, module, path.name == "__init__.py"):
            dest = _package(target)
            if dest is not None and dest != source:
                edges[source][dest].append((f"{path.relative_to(ROOT)}:{line} -> {target}", inner))
    return edges


def _cycles(edges) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(set(edges) | {w for targets in edges.values() for w in targets}):
        if v not in index:
            strongconnect(v)
    return found


def test_the_graph_is_read():
    """The reader itself: it sees the arrows every app has (a guard against
    a test that passes because it reads nothing)."""
    edges = import_graph()
    assert "core" in edges["extensions"]  # the db Base, CSRF and rate-limit key
    assert "intake" in edges["cases"]  # cases builds on reports
    assert "cases" in edges["api"]


def test_no_cycle_between_packages():
    edges = import_graph()
    problems = []
    for component in _cycles(edges):
        lines = [f"cycle between packages: {' <-> '.join(component)}"]
        for a in component:
            for b in component:
                for where, _ in edges[a].get(b, []):
                    lines.append(f"    {where}")
        problems.append("\n".join(lines))
    assert not problems, "\n".join(problems)


def test_no_import_inside_a_function_dodges_a_cycle():
    edges = import_graph()
    dodges = [
        where
        for a, targets in edges.items()
        for b, places in targets.items()
        for where, inner in places
        if inner and a in edges.get(b, {})
    ]
    assert not dodges, "imports inside functions from a package that imports this one back:\n" + "\n".join(dodges)


LISTENING = {"listen", "listens_for", "connect", "connect_via", "register_listeners"}


def _module_level_calls(tree: ast.AST):
    """Calls run when the module is imported: outside any function body
    (decorators and default values of a module-level function included)."""
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending.extend(getattr(node, "decorator_list", []))
            pending.extend(node.args.defaults + [d for d in node.args.kw_defaults if d is not None])
            continue
        if isinstance(node, ast.Call):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def test_listeners_are_registered_in_create_app_not_at_import():
    """SQLAlchemy event listeners and signal receivers are connected by
    create_app (STYLE §12): importing a module connects nothing (nor calls
    the rollups' ``register_listeners``, as tracker/metrics/models.py did)."""
    at_import = []
    for path in sorted(TRACKER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for call in _module_level_calls(tree):
            name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
            if name in LISTENING:
                at_import.append(f"{path.relative_to(ROOT)}:{call.lineno} {name}")
    assert not at_import, "connected at import:\n" + "\n".join(at_import)
