"""Every command the README shows works.

The commands are the lines of the README's shell code blocks and the inline code that starts
with a program (``snakemake``, ``make``, ``python``, ``pytest``; a leading ``time`` is dropped).
Each is checked without running the work it starts:

- ``snakemake ...``: a dry run (``--dry-run``) in a scratch copy of the workflow, so nothing is
  written into the repository; a ``results/...`` path it names must be a file of the default
  config's DAG. ``--report`` needs a finished run: it runs after the tiny test config's run.
- ``make TARGET``: ``make -n``, and the ``.venv/bin/snakemake`` and ``.venv/bin/python``
  commands make would run are checked like the README's own.
- ``python SCRIPT`` / ``python -m MODULE``: ``--help``, which must list every option used.
- ``pytest ...``: ``--collect-only``, which must find the tests.
- ``alcore COMMAND ...``: a listing runs; ``alcore select ...`` runs ``--help``, which must list
  every option used.

``pytest -v tests/test_readme.py`` lists every command (the test ids); a failure shows the
command, what was run for it and its output. The README's Python example runs on tiny tensors.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")
TINY = ROOT / "tests" / "workflow" / "configs" / "tiny.yaml"
# what the Snakefile reads: the scratch copy holds these
WORKFLOW_FILES = ("Snakefile", "config.yaml", "configs", "profiles", "workflow", "envs")

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`]+)`")
SHELLS = {"bash", "sh", "shell", "console"}
PROGRAMS = {"snakemake", "make", "python", "python3", "pytest", "alcore"}


def _tokens(text: str) -> list[str]:
    tokens = shlex.split(text, comments=True)
    return tokens[1:] if tokens[:1] == ["time"] else tokens


def _program(token: str) -> str:
    """``.venv/bin/python`` -> ``python``; other names unchanged."""
    return Path(token).name if token.startswith((".venv/bin/", "$(BIN)/")) else token


def readme_commands(text: str) -> list[str]:
    """The README's commands, in order, each once (comments and a leading ``time`` dropped)."""
    found: list[list[str]] = []
    for language, body in FENCE.findall(text):
        if language in SHELLS:
            for line in body.replace("\\\n", " ").splitlines():
                if tokens := _tokens(line):
                    found.append(tokens)
    prose = FENCE.sub("", text)
    for span in INLINE.findall(prose):
        try:
            tokens = _tokens(" ".join(span.split()))
        except ValueError:  # unbalanced quotes: not a command
            continue
        if len(tokens) > 1 and _program(tokens[0]) in PROGRAMS:  # "make" alone is prose
            found.append(tokens)
    commands = [shlex.join(tokens) for tokens in found]
    return list(dict.fromkeys(commands))


COMMANDS = readme_commands(README.read_text())
_RUNS: dict[tuple[tuple[str, ...], str], subprocess.CompletedProcess[str]] = {}


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run once per (argv, cwd) in this session; the same check is not repeated."""
    key = (tuple(argv), str(cwd))
    if key not in _RUNS:
        print(f"ran: {shlex.join(argv)}  (in {cwd})")
        _RUNS[key] = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
    return _RUNS[key]


def _ok(command: str, argv: list[str], done: subprocess.CompletedProcess[str]) -> str:
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(
            f"README command failed: {command}\nchecked with: {shlex.join(argv)}\n"
            f"exit status {done.returncode}; output:\n{output[-4000:]}",
            pytrace=False,
        )
    return output


def _copy_workflow(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    """A scratch copy of the workflow: dry runs write only their metadata, and only here."""
    return _copy_workflow(tmp_path_factory.mktemp("readme") / "repo")


@pytest.fixture(scope="module")
def default_outputs(workflow_copy):
    """Every file the default config's DAG writes (from a dry run of the default target)."""
    argv = [SNAKEMAKE, "--dry-run", "--cores", "1", "all_figures"]
    output = _ok("snakemake all_figures", argv, _run(argv, workflow_copy))
    files = set()
    for listed in re.findall(r"^\s+output: (.+)$", output, flags=re.MULTILINE):
        files.update(name.strip() for name in listed.split(","))
    return files


def check_snakemake(command, tokens, workflow_copy, default_outputs):
    argv = [SNAKEMAKE, "--dry-run", *tokens[1:]]
    _ok(command, argv, _run(argv, workflow_copy))
    if "--configfile" in tokens:
        return
    for token in tokens[1:]:
        if token.startswith("results/"):
            assert token in default_outputs, (
                f"README command: {command}\n{token} is not a file of config.yaml's DAG"
            )


def check_python(command, tokens):
    script = ["-m", tokens[2]] if tokens[1] == "-m" else [tokens[1]]
    argv = [sys.executable, *script, "--help"]
    output = _ok(command, argv, _run(argv, ROOT))
    for token in tokens[len(script) + 1 :]:
        option = token.split("=")[0]
        if option.startswith("--"):
            assert option in output, (
                f"README command: {command}\n{option} is not in --help:\n{output}"
            )


def check_alcore(command, tokens):
    alcore = [str(BIN / "alcore")]
    if tokens[1:2] == ["select"]:
        output = _ok(command, [*alcore, "select", "--help"], _run([*alcore, "select", "--help"],
                                                                  ROOT))  # fmt: skip
        for token in tokens[2:]:
            option = token.split("=")[0]
            if option.startswith("-"):
                assert option in output, f"README command: {command}\n{option} not in --help"
    else:
        _ok(command, [*alcore, *tokens[1:]], _run([*alcore, *tokens[1:]], ROOT))


def check_pytest(command, tokens):
    argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
            *tokens[1:]]  # fmt: skip
    _ok(command, argv, _run(argv, ROOT))


def check_make(command, tokens, workflow_copy, default_outputs):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    argv = [make, "-n", *tokens[1:]]
    output = _ok(command, argv, _run(argv, ROOT))
    # what make would run: its snakemake and python commands are checked like the README's
    for line in output.splitlines():
        inner = shlex.split(line) if line.startswith((".venv/bin/", f"{BIN}/")) else []
        if inner and _program(inner[0]) == "snakemake":
            check_snakemake(f"{command} -> {line}", inner, workflow_copy, default_outputs)
        elif inner and _program(inner[0]) == "python":
            check_python(f"{command} -> {line}", inner)


def test_the_readme_shows_the_two_commands_and_the_workflow():
    assert "make run" in COMMANDS and "make test" in COMMANDS
    assert any(c.startswith("snakemake ") for c in COMMANDS)
    print("\nREADME commands:\n" + "\n".join(COMMANDS))


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for c in COMMANDS if "--report" not in c])
def test_readme_command(command, workflow_copy, default_outputs):
    tokens = shlex.split(command)
    program = _program(tokens[0])
    if program == "snakemake":
        check_snakemake(command, tokens, workflow_copy, default_outputs)
    elif program == "make":
        check_make(command, tokens, workflow_copy, default_outputs)
    elif program in ("python", "python3"):
        check_python(command, tokens)
    elif program == "pytest":
        check_pytest(command, tokens)
    elif program == "alcore":
        check_alcore(command, tokens)
    else:  # pragma: no cover - readme_commands keeps only the programs above
        pytest.fail(f"no check for the README command: {command}")


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for c in COMMANDS if "--report" in c])
def test_readme_report_command_after_a_finished_run(command, tmp_path):
    # a report needs finished results: the tiny test config's run stands in for config.yaml's
    repo = _copy_workflow(tmp_path / "repo")
    config = ["--configfile", str(TINY)]
    build = [SNAKEMAKE, "all_figures", "--cores", "2", *config]
    _ok(f"(the run before) {command}", build, _run(build, repo))
    argv = [SNAKEMAKE, *shlex.split(command)[1:], *config]
    _ok(command, argv, _run(argv, repo))
    written = [t for t in shlex.split(command) if t.endswith(".html")]
    assert all((repo / name).stat().st_size > 0 for name in written)


def test_the_python_example_runs():
    blocks = [body for language, body in FENCE.findall(README.read_text()) if language == "python"]
    assert blocks, "the README has no Python example"
    g = torch.Generator().manual_seed(0)
    for body in blocks:
        labelled = torch.zeros(60, dtype=torch.bool)
        labelled[:5] = True
        namespace = {
            "features": torch.randn(60, 3, generator=g),
            "labelled": labelled,
            "budget": 4,
            "doubt": torch.rand(60, generator=g) * 0.9,
        }
        exec(compile(body, "README.md (python block)", "exec"), namespace)
