"""The shape of the source tree, measured with ``ast``: no function over :data:`MAX_FUNCTION_LINES` lines and
no module over :data:`MAX_MODULE_LINES` lines under ``src/``, and the import rules between the packages:

* no module of a stage package (:data:`STAGES`) imports ``cinealert.cli``, ``cinealert.service`` or
  ``cinealert.pipeline`` (the stages do not know who drives them), lazy imports inside functions included;
* ``render/`` imports nothing from ``prompting/`` (the pipeline hands the renderer's inpainter its prompts).

``python tests/test_structure.py`` prints the longest functions and modules (the measure behind the limits).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "cinealert"

MAX_FUNCTION_LINES = 120
MAX_MODULE_LINES = 900
STAGES = ("alerts", "prompting", "imaging", "scene", "motion", "render", "deliver", "evaluate", "training")
DRIVERS = ("cinealert.cli", "cinealert.service", "cinealert.pipeline")

#: Files over the limits while another branch splits them; removed when cli/service split lands.
def module_name(path: Path) -> str:
    """``src/cinealert/render/layers.py`` → ``cinealert.render.layers`` (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """Every function or method (nested ones too) longer than ``limit`` lines, from ``def`` to its last
    line: (qualified name, first line, length)."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    length = child.end_lineno - child.lineno + 1
                    if length > limit:
                        found.append((name, child.lineno, length))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the module ``module``) imports, anywhere in it, relative imports resolved;
    ``from a import b`` counts as ``a`` and as ``a.b``."""
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _size_params():
    for path in _sources():
        yield pytest.param(path, id=_rel(path))


@pytest.mark.parametrize("path", list(_size_params()))
def test_functions_and_modules_are_short(path):
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_rel(path)} has {lines} lines (at most {MAX_MODULE_LINES}): split it"
    long = long_functions(source)
    assert not long, f"{_rel(path)}: functions over {MAX_FUNCTION_LINES} lines: " + ", ".join(
        f"{name} (line {first}, {length} lines)" for name, first, length in long)


def _import_violations(packages, forbidden) -> list[str]:
    """``path imports name, ...`` for every module of ``packages`` that imports within ``forbidden``."""
    broken = []
    for package in packages:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            imports = imported_modules(path.read_text(encoding="utf-8"), module_name(path),
                                       is_package=path.name == "__init__.py")
            bad = sorted(n for n in imports if any(_is_within(n, f) for f in forbidden))
            if bad:
                broken.append(f"{_rel(path)} imports {', '.join(bad)}")
    return broken


def test_stages_do_not_import_their_drivers():
    broken = _import_violations(STAGES, DRIVERS)
    assert not broken, "a stage imports the code that drives it: " + "; ".join(broken)


def test_render_does_not_import_prompting():
    broken = _import_violations(["render"], ["cinealert.prompting"])
    assert not broken, "render/ imports prompting/ (hand it the prompts instead): " + "; ".join(broken)


def test_every_stage_package_exists():
    assert [s for s in STAGES if not (PACKAGE / s / "__init__.py").is_file()] == []


# -- the measures themselves ------------------------------------------------------------------------------

def test_long_functions_counts_from_def_to_the_last_line_and_finds_methods_and_nested_ones():
    body = "\n".join(f"    x{i} = {i}" for i in range(119))
    short = f"def f():\n{body}\n"                                       # 120 lines
    assert long_functions(short) == []
    assert long_functions(short + "    return 1\n") == [("f", 1, 121)]
    nested = "class C:\n    def m(self):\n        def inner():\n" + "\n".join(
        f"            y{i} = {i}" for i in range(130)) + "\n"
    assert [(n, length) for n, _, length in long_functions(nested)] == [("C.m", 132), ("C.m.inner", 131)]
    assert long_functions("async def g():\n" + "    pass\n" * 125)[0][:2] == ("g", 1)


def test_imported_modules_resolves_relative_and_lazy_imports():
    source = ("import os\nfrom . import camera\nfrom ..prompting.metadata import NEGATIVE_PROMPT\n"
              "def f():\n    from cinealert import pipeline\n    import cinealert.service.app\n")
    names = imported_modules(source, "cinealert.render.layers")
    assert {"os", "cinealert.render.camera", "cinealert.prompting.metadata",
            "cinealert.prompting.metadata.NEGATIVE_PROMPT", "cinealert.pipeline",
            "cinealert.service.app"} <= names
    assert "cinealert.render" in imported_modules("from . import x\n", "cinealert.render", is_package=True)
    assert any(_is_within(n, "cinealert.pipeline") for n in names)
    assert not _is_within("cinealert.pipelines", "cinealert.pipeline")


def main() -> None:
    """Print every module over 500 lines and every function over 60, longest first."""
    modules, functions = [], []
    for path in _sources():
        source = path.read_text(encoding="utf-8")
        modules.append((len(source.splitlines()), _rel(path)))
        functions += [(length, f"{_rel(path)}:{first} {name}") for name, first, length in long_functions(source, 60)]
    print(f"modules over 500 lines (limit {MAX_MODULE_LINES}):")
    for lines, rel in sorted(modules, reverse=True):
        if lines > 500:
            print(f"  {lines:5d}  {rel}")
    print(f"functions over 60 lines (limit {MAX_FUNCTION_LINES}):")
    for length, where in sorted(functions, reverse=True):
        print(f"  {length:5d}  {where}")


if __name__ == "__main__":
    main()
    sys.exit(0)
