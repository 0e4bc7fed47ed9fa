"""A target rule written after -R / --until / --omit-from / --prioritize is refused by name."""

import pytest

from alcore.workflow.cli_mistakes import (
    CommandLineError,
    check_command_line,
    is_snakemake_command,
    swallowed_targets,
)

TARGETS = ("all", "all_figures")
RUN = "results/e/d/greedy/seed0/round1/model.pt"


@pytest.mark.parametrize(
    ("args", "found"),
    [
        (["--cores", "2", "-R", RUN, "all"], [("-R", "all")]),
        (["--forcerun", RUN, "train", "all_figures"], [("--forcerun", "all_figures")]),
        (["-U", "train", "all", "--cores", "2"], [("-U", "all")]),
        (["--omit-from", "select", "all"], [("--omit-from", "all")]),
        (["-P", RUN, "all_figures"], [("-P", "all_figures")]),
    ],
)
def test_a_target_after_a_name_option_is_found(args, found):
    assert swallowed_targets(args, TARGETS) == found


@pytest.mark.parametrize(
    "args",
    [
        ["all", "--cores", "2", "-R", RUN],  # target first
        ["--cores", "2", "-R", RUN, "--", "all"],  # after --
        ["--cores", "2", "-R", RUN],  # the default target
        ["-R", RUN, "--cores", "2", "all"],  # another option ends -R's values
        ["--cores", "2", "all", "--resources", "gpu=1"],
        ["-R", "train", "select"],  # rule names that are not targets
    ],
)
def test_correct_command_lines_pass(args):
    assert swallowed_targets(args, TARGETS) == []
    check_command_line(TARGETS, ["/venv/bin/snakemake", *args])


def test_the_message_names_the_option_the_target_and_both_fixes():
    argv = ["/venv/bin/snakemake", "--cores", "2", "-R", RUN, "all"]
    with pytest.raises(CommandLineError) as info:
        check_command_line(TARGETS, argv)
    message = str(info.value)
    assert message.startswith("-R all: --forcerun takes one or more rule or file names")
    assert "snakemake all -R ..." in message and "snakemake -R ... -- all" in message


def test_only_snakemake_command_lines_are_checked():
    # the Snakefile is also read by programs calling Snakemake's API, with their own argv
    assert is_snakemake_command(["/x/bin/snakemake"])
    assert is_snakemake_command(["/x/site-packages/snakemake/__main__.py"])
    assert not is_snakemake_command(["/x/bin/pytest", "-R", RUN, "all"])
    assert not is_snakemake_command([])
    check_command_line(TARGETS, ["/x/bin/pytest", "-R", RUN, "all"])
