# Config validation, wildcard constraints and one-line input functions. The DAG's logic lives in
# alcore.workflow.dag, the results layout in alcore.workflow.paths.
from pathlib import Path

from alcore.workflow import paths
from alcore.workflow.code_version import code_version
from alcore.workflow.config import gpus_per_model_job, parse_config
from alcore.workflow.dag import Dag
from alcore.workflow.preflight import check_inputs
from alcore.workflow.resources import memory_mb
from alcore.workflow.draw import FIGURES

CFG = parse_config(config)  # checked against workflow/schemas/config.schema.yaml, its defaults
# data and weights on disk (or downloadable) before any job starts; a job's own process parses
# this file again, after the main process has read every item of the data: cheap checks only
check_inputs(CFG, scan=not (workflow.remote_exec or workflow.subprocess_exec))
PLAN = Dag(CFG)  # not "DAG": Snakefiles share the globals of snakemake.workflow, which has one
RESULTS, LOGS = CFG.results, CFG.logs
# gpu=1 on the model rules only when they will use the GPU (config request_gpu), so that
# --resources gpu=1 serialises GPU jobs without serialising CPU ones
GPU = gpus_per_model_job(CFG)
# the output and log patterns of one round of one arm, and of one experiment
ROUND = paths.round_dir(RESULTS, "{experiment}", "{dataset}", "{arm}", "{seed}", "{round}")
PICKS = paths.round_dir(RESULTS, "{experiment}", "{dataset}", "{strategy}", "{seed}", "{round}")
ROUND_LOG = paths.round_dir(LOGS, "{experiment}", "{dataset}", "{arm}", "{seed}", "{round}")
PICKS_LOG = paths.round_dir(LOGS, "{experiment}", "{dataset}", "{strategy}", "{seed}", "{round}")
INITIAL = paths.round_dir(RESULTS, "{experiment}", "{dataset}", paths.INITIAL, "{seed}", 0)
INITIAL_LOG = paths.round_dir(LOGS, "{experiment}", "{dataset}", paths.INITIAL, "{seed}", 0)


wildcard_constraints:
    experiment="[A-Za-z0-9_-]+",
    dataset="[A-Za-z0-9_-]+",
    arm="[A-Za-z0-9_-]+",
    strategy="[A-Za-z0-9_-]+",
    seed=r"\d+",
    round=r"\d+",


def code(script):
    """The version of workflow/scripts/<script>.py and the alcore code it runs (a param, so
    that a code change reruns the rule's jobs)."""
    return code_version(Path(workflow.basedir) / "workflow" / "scripts" / f"{script}.py")


def mem_mb(stage):
    """Resource function: the memory a job of ``stage`` declares (alcore.workflow.resources)."""
    return lambda w: memory_mb(stage, CFG.dataset(w.experiment, w.dataset))


def checkpoint_file(path):
    """A model.pt output: a Snakemake temp file unless every checkpoint is kept; the last
    round's stay, since the targets ask for them."""
    return path if CFG.keep_checkpoints == "all" else temp(path)


def where(w):
    """The job's (experiment, dataset, arm, seed, round) as typed values, of a round that the
    config has."""
    PLAN.check_round(w.experiment, w.dataset, int(w.round), picks="strategy" in w.keys())
    return w.experiment, w.dataset, w.get("arm") or w.strategy, int(w.seed), int(w.round)
