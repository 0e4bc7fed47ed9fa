"""Snakemake adapter: the initial random labelled set of a seed (alcore.stages.labelled).

Imports no torch and loads no images: the pool size comes from the catalogue or the folder's
listing.
"""

import numpy as np

from alcore.stages.labelled import initial_indices, write_labelled
from alcore.workflow.job import Job

sm = snakemake  # noqa: F821 (injected by Snakemake)
job = Job(sm)
n_pool = job.pool_size()
indices = initial_indices(n_pool, sm.params.size, job.seed)
write_labelled(indices, np.full_like(indices, -1), n_pool, sm.output.labelled)
