"""Code provenance: a script's version changes exactly when code it runs changes behaviour.

The truth a version is held against is Python's own import system: a subprocess executes the
import statements of the script, then of every alcore module that appears in ``sys.modules``,
until nothing new is imported, and reports what it loaded.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import alcore
from alcore.workflow.code_version import code_version, imported_modules

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "workflow" / "scripts").glob("*.py"))
PACKAGE = Path(alcore.__file__).resolve().parent

# Runs in a fresh interpreter: execute every alcore import statement (function bodies included,
# not those under `if TYPE_CHECKING:`) of the script and of each module it loads, to a fixpoint.
_IMPORTED_AT_RUN_TIME = r"""
import ast, json, sys

def statements(path):
    pending, found = [ast.parse(open(path).read())], []
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.ImportFrom) and (node.level or node.module.startswith("alcore")):
            found.append(node)
        elif isinstance(node, ast.Import):
            found += [node] if any(a.name.startswith("alcore") for a in node.names) else []
        pending.extend(ast.iter_child_nodes(node))
    return found

def execute(path, name, package):
    for node in statements(path):
        code = compile(ast.Module([node], []), path, "exec")
        exec(code, {"__name__": name, "__package__": package})

def loaded():
    return {m for m in sys.modules if m == "alcore" or m.startswith("alcore.")}

execute(sys.argv[1], "__main__", None)
done = set()
while new := loaded() - done:
    for name in sorted(new):
        module = sys.modules[name]
        package = name if hasattr(module, "__path__") else name.rpartition(".")[0]
        execute(module.__file__, name, package)
    done |= new
print(json.dumps(sorted(loaded())))
"""


def run_time_imports(script: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED_AT_RUN_TIME, str(script)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(json.loads(done.stdout))


@pytest.fixture(scope="module")
def run_time() -> dict[str, set[str]]:
    return {script.stem: run_time_imports(script) for script in SCRIPTS}


def reworded(text: str) -> str:
    """``text`` with its module docstring reworded (or added), a comment and blank lines."""
    body = ast.parse(text).body
    lines = text.splitlines()
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        lines[first.lineno - 1 : first.end_lineno] = ['"""Reworded for a test."""']
    else:
        lines.insert(0, '"""Added for a test."""')
    return "\n".join(["# a comment", *lines, "", "", "# the end"]) + "\n"


def module_names(package: Path) -> dict[str, Path]:
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        names[".".join(("alcore", *parts))] = path
    return names


@pytest.mark.slow
def test_the_syntax_trees_find_what_python_imports(run_time):
    assert len(SCRIPTS) == 8
    for script in SCRIPTS:
        assert imported_modules(script, PACKAGE) == run_time[script.stem], script.name


@pytest.mark.slow
def test_each_module_edit_changes_exactly_the_scripts_that_run_it(tmp_path, run_time):
    package = tmp_path / "alcore"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = {script.stem: code_version(script, package) for script in SCRIPTS}
    modules = module_names(package)
    assert "alcore.select.greedy" in modules and "alcore.figures.toys" in modules
    for name, path in modules.items():
        original = path.read_text()
        # a comment, a new module docstring and blank lines do not change what the code does
        path.write_text(reworded(original))
        assert {s.stem: code_version(s, package) for s in SCRIPTS} == before, name
        path.write_text(f"{original}\n_PROVENANCE_PROBE = 1\n")
        changed = {s.stem for s in SCRIPTS if code_version(s, package) != before[s.stem]}
        assert changed == {stem for stem, names in run_time.items() if name in names}, name
        path.write_text(original)


def with_a_statement_in_a_function(text: str) -> str | None:
    """``text`` with ``_probe = None`` added inside its first function whose last statement
    begins a line (no module-level code changes), or None when it has no such function."""
    lines = text.splitlines(keepends=True)
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        last = node.body[-1]
        indent = lines[last.lineno - 1][: last.col_offset]
        if indent.strip() or getattr(last, "decorator_list", None):
            continue  # after a `;` or a decorator: no line of its own to insert before
        lines.insert(last.lineno - 1, f"{indent}_probe = None\n")
        edited = "".join(lines)
        assert ast.dump(ast.parse(edited)) != ast.dump(ast.parse(text))
        return edited
    return None


def test_an_edit_inside_a_function_changes_the_version(tmp_path):
    # function bodies run too: an edit inside one, in any module a script imports, however
    # deep, changes the script's version (module-level edits: the test above)
    package = tmp_path / "alcore"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    select = ROOT / "workflow" / "scripts" / "select.py"
    before = code_version(select, package)
    modules = module_names(package)
    edited = []
    for name in sorted(imported_modules(select, package)):
        original = modules[name].read_text()
        text = with_a_statement_in_a_function(original)
        if text is None:
            continue
        modules[name].write_text(text)
        assert code_version(select, package) != before, name
        modules[name].write_text(original)
        edited.append(name)
    assert code_version(select, package) == before  # every file restored
    assert "alcore.select.greedy" in edited  # the core-set code select runs
    assert len(edited) >= 10


def test_an_edit_of_the_script_itself_changes_its_version(tmp_path):
    script = tmp_path / "select.py"
    original = (ROOT / "workflow" / "scripts" / "select.py").read_text()
    script.write_text(original)
    before = code_version(script)
    script.write_text(original.replace('"""Snakemake adapter', '"""An adapter') + "# note\n")
    assert code_version(script) == before
    script.write_text(original + "print()\n")
    assert code_version(script) != before


def test_lazy_exports_relative_and_type_checking_imports_resolve(tmp_path):
    package = tmp_path / "alcore"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text('_EXPORTS = {"run": "alcore.sub.lazy"}\n')
    (package / "sub" / "lazy.py").write_text("from . import helper\n")
    (package / "sub" / "helper.py").write_text("from ..leaf import x\n")
    (package / "leaf.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import alcore.unused\nx = 1\n"
    )
    (package / "unused.py").write_text("")
    (package / "never.py").write_text("")
    script = tmp_path / "script.py"
    script.write_text("def main():\n    from alcore.sub import run\n")
    assert imported_modules(script, package) == {
        "alcore", "alcore.sub", "alcore.sub.lazy", "alcore.sub.helper", "alcore.leaf"
    }  # fmt: skip


def test_a_missing_module_or_script_is_named(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import alcore.nowhere\n")
    (tmp_path / "alcore").mkdir()
    (tmp_path / "alcore" / "__init__.py").write_text("")
    with pytest.raises(ValueError, match=r"alcore\.nowhere, which has no file"):
        code_version(script, tmp_path / "alcore")
    with pytest.raises(ValueError, match="no script"):
        code_version(tmp_path / "absent.py")


def test_every_rule_with_a_script_carries_that_scripts_version():
    rules = "\n".join(p.read_text() for p in sorted((ROOT / "workflow" / "rules").glob("*.smk")))
    scripts = [line.split('"')[1] for line in rules.splitlines() if "../scripts/" in line]
    versions = [line.split('"')[1] for line in rules.splitlines() if "code=code(" in line]
    assert sorted(Path(s).stem for s in scripts) == sorted(p.stem for p in SCRIPTS)
    assert sorted(versions) == sorted(p.stem for p in SCRIPTS)
