"""Snakemake adapter: train the model of one (arm, seed, round) (alcore.stages.train)."""

from alcore.stages import read_labelled, train_round
from alcore.workflow.job import Job

sm = snakemake  # noqa: F821 (injected by Snakemake)
job = Job(sm)
bundle = job.bundle()
labelled, _ = read_labelled(sm.input.labelled, bundle.n_pool)
train_round(
    bundle,
    labelled,
    job.settings,
    job.seed,
    job.round,
    sm.output.model,
    warm_start_from=sm.input.get("previous") or None,
    device=job.device,
    threads=job.threads,
)
