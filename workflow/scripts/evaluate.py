"""Snakemake adapter: test metrics of a round's model (alcore.stages.evaluate)."""

from alcore.stages import evaluate_round, read_labelled_indices
from alcore.workflow.job import Job

sm = snakemake  # noqa: F821 (injected by Snakemake)
job = Job(sm)
embedding = sm.input.get("embedding") or None
labelled, _ = read_labelled_indices(sm.input.labelled)
# only arms without an embedding run the model, on the test set: the others import no torch
run_model = {} if embedding else {
    "bundle": job.bundle(), "checkpoint": sm.input.model, "device": job.device,
    "threads": job.threads,
}  # fmt: skip
evaluate_round(
    sm.output.metrics,
    labelled=labelled,
    dataset=job.dataset_key,
    strategy=job.arm,
    seed=job.seed,
    round_=job.round,
    embedding=embedding,
    **run_model,
)
