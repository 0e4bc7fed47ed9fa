"""Snakemake adapter: test metrics of a round's model (alcore.stages.evaluate)."""

from alcore.stages import evaluate_round, read_labelled
from alcore.workflow.job import Job

sm = snakemake  # noqa: F821 (injected by Snakemake)
job = Job(sm)
embedding = sm.input.get("embedding") or None
labelled, _ = read_labelled(sm.input.labelled)
evaluate_round(
    sm.output.metrics,
    labelled=labelled,
    dataset=job.dataset_key,
    strategy=job.arm,
    seed=job.seed,
    round_=job.round,
    embedding=embedding,
    # only arms without an embedding run the model, on the test set
    bundle=None if embedding else job.bundle(),
    checkpoint=None if embedding else sm.input.model,
    device=job.device,
    threads=job.threads,
)
