"""The shape of the xero_sandbox package itself: its modules import one another without a circle.

A circle, even one hidden under `if TYPE_CHECKING:` or inside a function, means two modules cannot be read,
tested or changed apart. The graph counts every explicit import statement anywhere in a module (module
level, TYPE_CHECKING blocks, function bodies), absolute or relative. It does not count the implicit import
of a parent package's `__init__` that Python performs before a submodule: every submodule would otherwise
"import" `xero_sandbox/__init__.py`, which imports the public API, and every package would be a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

from xero_sandbox.host import ApiHost, ControlHost, IdentityHost, ReportsHost

PACKAGE = "xero_sandbox"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE


def module_files(root: Path = PACKAGE_DIR, package: str = PACKAGE) -> Dict[str, Path]:
    """{dotted module name: file} for every .py file under the package (a package is its __init__)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([package, *parts])] = path
    return modules


def _is_package(name: str, modules: Dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _base_of(node: ast.ImportFrom, importer: str, modules: Dict[str, Path]) -> Optional[str]:
    """The module a `from ... import` statement reads from, made absolute."""
    if node.level == 0:
        return node.module
    package = importer if _is_package(importer, modules) else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(importer: str, modules: Dict[str, Path]) -> Set[str]:
    """The package modules `importer` names in any import statement, wherever it sits in the file."""
    tree = ast.parse(modules[importer].read_text(encoding="utf-8"), filename=str(modules[importer]))
    found: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base_of(node, importer, modules)
            if base is None:
                continue
            for alias in node.names:  # `from . import api` names the module api; `from .app import App` names app
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {name for name in found if name in modules and name != importer}


def import_graph(modules: Dict[str, Path]) -> Dict[str, List[str]]:
    return {name: sorted(imports_of(name, modules)) for name in modules}


def find_cycle(graph: Dict[str, List[str]]) -> Optional[List[str]]:
    """One import circle as [a, b, ..., a], or None: a depth-first search for an edge back into the path."""
    done: Set[str] = set()
    path: List[str] = []
    on_path: Set[str] = set()

    def visit(node: str) -> Optional[List[str]]:
        path.append(node)
        on_path.add(node)
        for target in graph[node]:
            if target in on_path:
                return path[path.index(target):] + [target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_sees_a_circle_through_a_type_checking_import(tmp_path):
    """The check below is only worth something if it can fail: a package whose two modules import each other,
    one of them only for type checking, is reported as a circle."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import Thing\n")
    (package / "c.py").write_text("def f():\n    from .b import x\n")
    modules = module_files(package, "pkg")
    graph = import_graph(modules)
    assert graph == {"pkg": [], "pkg.a": ["pkg.b"], "pkg.b": ["pkg.a"], "pkg.c": ["pkg.b"]}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]


def test_the_sandbox_modules_import_one_another_without_a_circle():
    graph = import_graph(module_files())
    assert "xero_sandbox.app" in graph and graph["xero_sandbox.app"], "the graph was not built"
    cycle = find_cycle(graph)
    assert cycle is None, "import circle in xero_sandbox: " + " -> ".join(cycle)


@pytest.mark.parametrize("protocol", [ReportsHost, ApiHost, IdentityHost, ControlHost], ids=lambda p: p.__name__)
def test_the_app_offers_every_member_its_handlers_protocols_name(shared_sb, protocol):
    """The handlers see the App only through these protocols: an App member renamed or removed must show
    here, not as an AttributeError on some rarely taken path of a handler."""
    assert isinstance(shared_sb, protocol)
