"""Snakemake adapter: embed the pool and test set under a round's model (alcore.stages.embed)."""

from alcore.stages import embed_round, read_labelled
from alcore.workflow.job import Job

sm = snakemake  # noqa: F821 (injected by Snakemake)
job = Job(sm)
bundle = job.bundle()
labelled, _ = read_labelled(sm.input.labelled, bundle.n_pool)
embed_round(
    bundle,
    sm.input.model,
    labelled,
    sm.output.embedding,
    device=job.device,
    threads=job.threads,
    feature_dtype=job.settings.feature_dtype,
)
