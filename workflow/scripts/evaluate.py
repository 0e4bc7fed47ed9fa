"""Snakemake adapter: test metrics of a round's model (alcore.stages.evaluate)."""

from alcore.stages import evaluate_round
from alcore.workflow.job import Job

sm = snakemake  # noqa: F821 (injected by Snakemake)
job = Job(sm)
evaluate_round(
    job.bundle(),
    sm.input.model,
    sm.output.metrics,
    dataset=job.dataset_key,
    strategy=job.arm,
    seed=job.seed,
    round_=job.round,
    embedding=sm.input.get("embedding") or None,
    device=job.device,
    threads=job.threads,
)
