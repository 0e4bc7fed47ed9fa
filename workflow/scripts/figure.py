"""Snakemake adapter: draw one figure of an experiment (alcore.workflow.draw)."""

from pathlib import Path

from alcore.workflow.config import parse_config
from alcore.workflow.draw import draw
from alcore.workflow.job import configure_logging

sm = snakemake  # noqa: F821 (injected by Snakemake)
configure_logging(sm.log)
config = parse_config(sm.config)
stem = Path(sm.output.png).with_suffix("")
draw(sm.wildcards.figure, config.experiments[sm.wildcards.experiment], config, dict(sm.input), stem)
