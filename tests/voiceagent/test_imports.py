"""Imports run one way: no two modules of ours import each other, directly or round a loop.

Imports inside functions count too: a lazy import that closes a loop is still a loop, only a
hidden one. Send a Celery task by name (`signature("exports.run_export_job")`) rather than
import the module that defines it.
"""

import ast
from pathlib import Path

from tests.packages import our_packages

ROOT = Path(__file__).resolve().parents[2]


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules():
    """{module name: path} of every module of our packages."""
    return {
        module_name(path): path
        for package in our_packages()
        for path in (ROOT / package).rglob("*.py")
    }


def imported_modules(name, path, modules):
    """Our modules that `name` imports, anywhere in it (module level or inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = ".".join(p for p in (base if node.level else "", node.module or "") if p)
            # `from a.b import c` imports the module a.b.c when there is one, else a name of a.b.
            candidates = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for candidate in candidates:
            # `import a.b.c` of a name that is not a module of ours: the closest module that is.
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def import_graph():
    modules = our_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan), as sorted tuples."""
    index, low, stack, on_stack, found = {}, {}, [], set(), set()

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_our_modules():
    assert cycles(import_graph()) == set()


def test_the_walk_finds_a_loop_closed_by_an_import_inside_a_function(tmp_path, monkeypatch):
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "services.py").write_text("def send():\n    from shop.tasks import run\n")
    (package / "tasks.py").write_text("from . import services\n")
    (package / "models.py").write_text("import shop.services\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "our_packages", lambda: ("shop",))

    assert import_graph() == {
        "shop": set(),
        "shop.models": {"shop.services"},
        "shop.services": {"shop.tasks"},
        "shop.tasks": {"shop.services"},
    }
    assert cycles(import_graph()) == {("shop.services", "shop.tasks")}
