"""Snakemake adapter: gather an experiment's metrics and acquisitions (alcore.workflow.tables)."""

from alcore.workflow.config import parse_config
from alcore.workflow.job import configure_logging
from alcore.workflow.tables import aggregate

sm = snakemake  # noqa: F821 (injected by Snakemake)
configure_logging(sm.log)
aggregate(
    sm.input.metrics,
    sm.params.owners,
    sm.input.acquisitions,
    acquisition_owners=sm.params.acquisitions_owners,
    strategies=parse_config(sm.config).strategies,
    metrics_out=sm.output.metrics,
    acquisitions_out=sm.output.acquisitions,
)
