"""Snakemake adapter: the statistics table of an experiment (alcore.workflow.tables)."""

from alcore.workflow.job import configure_logging
from alcore.workflow.tables import summarize_to_files

sm = snakemake  # noqa: F821 (injected by Snakemake)
configure_logging(sm.log)
summarize_to_files(sm.input.metrics, csv_out=sm.output.csv, markdown_out=sm.output.markdown)
