"""The shape ARCHITECTURE.md describes, checked on the code as it is.

The layers are an import-linter contract (setup.cfg); import-linter reads
the imports with grimp, which cannot follow setup.py's ``package_dir``, so
``harvesters/`` is read under its folder's name and the imports that name it
``ckanext.plusresilient.harvesters`` are added to the graph here.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.adapters.building import GraphBuilder
from importlinter.application import use_cases
from importlinter.application.app_config import settings
from importlinter.configuration import configure

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ckanext" / "plusresilient"
MAPPED = "ckanext.plusresilient.harvesters"
#: The longest a module may be: past it, a module holds more than one thing.
MAX_LINES = 600


def _module_name(path: Path) -> str:
    if path.is_relative_to(ROOT / "harvesters"):
        parts = ("harvesters",) + path.relative_to(ROOT / "harvesters").with_suffix("").parts
    else:
        parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(part for part in parts if part != "__init__")


def _mapped_imports() -> list[tuple[str, str]]:
    """(importer, imported) for every import of the mapped name, with the
    imported module under the name grimp knows (``harvesters.x``)."""
    edges = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "harvesters").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == MAPPED or name.startswith(MAPPED + "."):
                    edges.append((_module_name(path), "harvesters" + name[len(MAPPED):]))
    return edges


class _WithMappedPackage(GraphBuilder):
    def build(self, root_package_names, cache_dir, include_external_packages=False,
              exclude_type_checking_imports=False):
        graph = grimp.build_graph(*root_package_names, cache_dir=None,
                                  include_external_packages=include_external_packages,
                                  exclude_type_checking_imports=exclude_type_checking_imports)
        return with_mapped_imports(graph)


def with_mapped_imports(graph):
    for importer, imported in _mapped_imports():
        if imported in graph.modules and importer in graph.modules:
            graph.add_import(importer=importer, imported=imported)
    return graph


@pytest.fixture(scope="module")
def importable_harvesters():
    sys.path.insert(0, str(ROOT))
    try:
        yield
    finally:
        sys.path.remove(str(ROOT))


@pytest.fixture(scope="module")
def graph(importable_harvesters):
    return with_mapped_imports(grimp.build_graph("ckanext.plusresilient", "harvesters"))


def test_imports_go_down_the_layers(importable_harvesters, capsys):
    configure()
    settings.configure(GRAPH_BUILDER=_WithMappedPackage())

    kept = use_cases.lint_imports(config_filename=str(ROOT / "setup.cfg"), cache_dir=None,
                                  no_logo=True, is_debug_mode=True)

    assert kept, capsys.readouterr().out


def test_no_import_cycle(graph):
    cycles = sorted({
        tuple(sorted((importer, imported)))
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    })

    assert cycles == []


def test_every_package_of_ours_is_in_a_layer(graph):
    """A new top-level module must be given its place in ARCHITECTURE.md and
    setup.cfg, or the contract would not check it."""
    import configparser

    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    layered = {name.strip() for line in parser["importlinter:contract:layers"]["layers"].split("\n")
               for name in line.split("|") if name.strip()}
    top_level = {".".join(name.split(".")[:3]) if name.startswith("ckanext.") else "harvesters"
                 for name in graph.modules} - {"ckanext.plusresilient"}

    assert top_level - layered == set()


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {str(path.relative_to(ROOT)): length
            for path in [*PACKAGE.rglob("*.py"), *(ROOT / "harvesters").rglob("*.py")]
            if (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}

    assert long == {}
