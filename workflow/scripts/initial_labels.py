"""Snakemake adapter: the initial random labelled set of a seed (alcore.stages.labelled)."""

import torch

from alcore.stages import initial_labelled, write_labelled
from alcore.workflow.job import Job

job = Job(snakemake)  # noqa: F821 (injected by Snakemake)
n_pool = job.bundle().n_pool
indices = initial_labelled(n_pool, snakemake.params.size, job.seed)  # noqa: F821
write_labelled(indices, torch.full_like(indices, -1), n_pool, snakemake.output.labelled)  # noqa: F821
