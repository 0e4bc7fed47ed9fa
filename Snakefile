# alcore: deep active learning with exact, doubt-weighted core-sets (ICLR 2022 submission).
# Table of contents; the rules live in workflow/rules/, the logic in src/alcore/.
from snakemake.utils import min_version

from alcore.workflow.cli_mistakes import check_command_line

min_version("8.10")
check_command_line(target_rules=("all", "all_figures"))  # a target eaten by -R, --until, ...


# the embedded default, unless --configfile names another (Snakemake would merge the two)
if not config:

    configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/embed.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"


# on a cluster, the small table and figure jobs run on the submit host instead of the queue
localrules:
    all_figures,
    all,
    aggregate,
    summarize,
    figure,


rule all_figures:
    default_target: True
    input:
        PLAN.all_figure_files(),
        PLAN.all_summaries(),
        PLAN.every_round_file(),


rule all:
    input:
        PLAN.all_metrics(),
        PLAN.every_round_file(),
