"""Snakemake adapter: one strategy's picks from a round's model (alcore.stages.select)."""

import torch

from alcore.stages import select_round
from alcore.workflow.job import Job

sm = snakemake  # noqa: F821 (injected by Snakemake)
job = Job(sm)
torch.set_num_threads(job.threads)
select_round(
    sm.input.labelled,
    sm.input.get("embedding") or None,
    job.strategy,
    sm.params.budget,
    dataset=job.dataset_key,
    seed=job.seed,
    round_=job.round,
    acquisitions_out=sm.output.acquisitions,
    labelled_out=sm.output.labelled,
    device=job.device,
    model_path=sm.input.get("model") or None,
    bundle=job.bundle() if job.strategy.needs_model else None,
)
