"""A hash of the code a workflow script runs, so that Snakemake reruns what a code edit changes.

Every rule that writes a result passes ``code_version(its script)`` as a param; Snakemake's
params rerun trigger then reruns the rule's jobs (and everything downstream) when that code
changes. The code of a script is the script itself plus every alcore module it imports,
directly or not: the transitive closure of its ``import`` statements, read from the syntax
trees, function bodies included (they run too), ``if TYPE_CHECKING:`` blocks not (they never
run). There is no hand-written map to fall out of date.

The hash is taken over each syntax tree without docstrings, so comments, docstrings and
formatting never trigger reruns, while any change to what the code does does.

Resolution follows Python's import system for what alcore uses: ``import alcore.a.b`` runs the
packages ``alcore`` and ``alcore.a`` and the module ``alcore.a.b``; ``from alcore.a import x``
runs ``alcore.a`` and, when ``x`` is a submodule, ``alcore.a.x``; relative imports resolve from
the importing module. A package that imports its exports on first use declares them in a
module-level ``_EXPORTS = {"name": "alcore.module"}`` dict (see ``alcore.stages``); ``from
package import name`` then runs that module only.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGE = "alcore"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/alcore (or the installed copy)


def code_version(script: str | Path, package_dir: str | Path = _PACKAGE_DIR) -> str:
    """16 hex digits identifying the behaviour of ``script`` and the alcore code it runs.

    script: a workflow script (a Python file). package_dir: the ``alcore`` package folder whose
    modules the script imports (the running one unless a test points elsewhere).
    """
    script, package_dir = Path(script), Path(package_dir)
    if not script.is_file():
        raise ValueError(f"no script {script}: code versions are taken of existing scripts")
    files = _module_files(package_dir)
    digest = hashlib.sha256()
    digest.update(_analysed(script.read_text()).digest.encode())
    for name in sorted(_closure(script, files)):
        digest.update(name.encode())
        digest.update(_analysed(files[name].read_text()).digest.encode())
    return digest.hexdigest()[:16]


def imported_modules(script: str | Path, package_dir: str | Path = _PACKAGE_DIR) -> set[str]:
    """The dotted names of every alcore module ``script`` imports, directly or not."""
    return _closure(Path(script), _module_files(Path(package_dir)))


def _module_files(package_dir: Path) -> dict[str, Path]:
    """{dotted module name: its file} of every module of the package (a package: __init__)."""
    files = {}
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        files[".".join((PACKAGE, *parts))] = path
    return files


def _closure(script: Path, files: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    pending = list(_imports_of(_analysed(script.read_text()), None, files))
    while pending:
        name = pending.pop()
        if name in found:
            continue
        if name not in files:
            raise ValueError(f"alcore code imports {name}, which has no file in the package")
        found.add(name)
        pending.extend(_imports_of(_analysed(files[name].read_text()), name, files))
    return found


@dataclass(frozen=True)
class _Import:
    """One imported module: ``from <module> import <names>`` or ``import <module>``."""

    module: str  # dotted, relative ones with their leading dots resolved later
    level: int  # 0 absolute, 1 for "from .", 2 for "from ..", ...
    names: tuple[str, ...]  # the imported names of a from-import; () for a plain import


@dataclass(frozen=True)
class _Source:
    digest: str  # SHA-256 of the syntax tree without docstrings
    imports: tuple[_Import, ...]
    lazy_exports: tuple[tuple[str, str], ...]  # a package's _EXPORTS: (name, module)


@lru_cache(maxsize=4096)
def _analysed(text: str) -> _Source:
    tree = ast.parse(text)
    imports: list[_Import] = []
    for node in _run_time_nodes(tree):
        if isinstance(node, ast.Import):
            imports += [_Import(alias.name, 0, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            imports.append(_Import(node.module or "", node.level, names))
    lazy = _lazy_exports(tree)
    _strip_docstrings(tree)
    normalised = ast.dump(tree, annotate_fields=False)
    return _Source(hashlib.sha256(normalised.encode()).hexdigest(), tuple(imports), lazy)


def _run_time_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (imports for mypy only)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _lazy_exports(tree: ast.Module) -> tuple[tuple[str, str], ...]:
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if (
            isinstance(node, ast.Assign)
            and isinstance(target, ast.Name)
            and target.id == "_EXPORTS"
            and isinstance(node.value, ast.Dict)
        ):
            return tuple(
                (key.value, value.value)
                for key, value in zip(node.value.keys, node.value.values, strict=True)
                if isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            )
    return ()


def _strip_docstrings(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body.pop(0)


def _imports_of(source: _Source, importer: str | None, files: dict[str, Path]) -> Iterator[str]:
    """The alcore modules that ``source``'s import statements run (``importer``: its name)."""
    for found in source.imports:
        module = _absolute(found, importer, files)
        if module != PACKAGE and not module.startswith(PACKAGE + "."):
            continue
        yield from _with_parents(module)
        for name in found.names:
            if f"{module}.{name}" in files:
                yield f"{module}.{name}"
            elif (target := _lazy_target(module, name, files)) is not None:
                yield from _with_parents(target)


def _absolute(found: _Import, importer: str | None, files: dict[str, Path]) -> str:
    if found.level == 0:
        return found.module
    if importer is None:
        raise ValueError("a workflow script cannot use a relative import")
    is_package = files[importer].name == "__init__.py"
    parts = importer.split(".")[: len(importer.split(".")) - found.level + is_package]
    return ".".join([*parts, found.module] if found.module else parts)


def _with_parents(module: str) -> Iterator[str]:
    parts = module.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def _lazy_target(package: str, name: str, files: dict[str, Path]) -> str | None:
    init = files.get(package)
    if init is None or init.name != "__init__.py":
        return None
    return dict(_analysed(init.read_text()).lazy_exports).get(name)
