"""After a finished run, a code edit makes Snakemake plan exactly the stages that run that code.

The finished tiny run is copied with a copy of the code (Snakefile, rules, scripts and the
alcore package, imported from the copy through PYTHONPATH); each test edits the copy and asks
``snakemake -n`` what it would run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from workflow_runs import ROOT, SNAKEMAKE, TINY

import alcore

pytestmark = pytest.mark.slow


@pytest.fixture
def finished(reference, tmp_path):
    """(a copy of the finished tiny run, a copy of the code it ran)."""
    workdir, _ = reference
    run = tmp_path / "run"
    shutil.copytree(workdir, run, symlinks=True)
    code = tmp_path / "code"
    code.mkdir()
    shutil.copy(ROOT / "Snakefile", code / "Snakefile")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "workflow", code / "workflow", ignore=ignore)
    shutil.copytree(ROOT / "envs", code / "envs")
    shutil.copytree(Path(alcore.__file__).parent, code / "src" / "alcore", ignore=ignore)
    return run, code


def planned(run: Path, code: Path) -> dict[str, int]:
    """{rule: jobs} that ``snakemake -n all_figures`` would run ({} when nothing)."""
    done = subprocess.run(
        [SNAKEMAKE, "all_figures", "-n", "--snakefile", str(code / "Snakefile"),
         "--directory", str(run), "--configfile", str(TINY), "--cores", "1"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(code / "src")},
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    stats = output.split("Job stats:")[-1] if "Job stats:" in output else ""
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", stats, flags=re.MULTILINE))
    return {rule: int(n) for rule, n in jobs.items() if rule not in ("total", "all_figures")}


def edit(path: Path, behaviour: bool) -> None:
    """A statement appended (behaviour), or a reworded docstring and a comment (none)."""
    text = path.read_text()
    if behaviour:
        path.write_text(f"{text}\n_PROVENANCE_PROBE = 1\n")
    else:
        start, end = text.index('"""'), text.index('"""', text.index('"""') + 3) + 3
        path.write_text(f'{text[:start]}"""A reworded docstring."""{text[end:]}\n# a comment\n')


def test_an_unedited_copy_of_the_code_plans_nothing(finished):
    assert planned(*finished) == {}


def test_a_comment_or_docstring_edit_plans_nothing(finished):
    run, code = finished
    edit(code / "src" / "alcore" / "select" / "greedy.py", behaviour=False)
    edit(code / "src" / "alcore" / "stages" / "train.py", behaviour=False)
    # (an edit of a script under workflow/scripts reruns its rule whatever it is: Snakemake's
    # own "code" rerun trigger compares the script's text)
    assert planned(run, code) == {}


def test_an_engine_edit_plans_select_and_what_follows(finished):
    run, code = finished
    edit(code / "src" / "alcore" / "select" / "beam.py", behaviour=True)
    # tiny: random and pweighted_beam4, one seed, rounds 0-2, figures radius, figure4, figure7.
    # select runs the engine; embed and evaluate too (the radii δ and δ̂), figure4 draws beams;
    # the models of rounds 1-2 train on new picks; round 0's model and labels stay.
    assert planned(run, code) == {
        "select": 4, "train": 4, "embed": 3, "evaluate": 5, "aggregate": 1, "summarize": 1,
        "figure": 3,
    }  # fmt: skip


def test_a_figure_edit_plans_the_figures_alone(finished):
    run, code = finished
    edit(code / "src" / "alcore" / "figures" / "style.py", behaviour=True)
    assert planned(run, code) == {"figure": 3}


def test_an_analysis_edit_plans_the_tables_and_figures_not_the_models(finished):
    run, code = finished
    edit(code / "src" / "alcore" / "analysis" / "stats.py", behaviour=True)
    assert planned(run, code) == {"aggregate": 1, "summarize": 1, "figure": 3}
