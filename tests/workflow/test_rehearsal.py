"""The rehearsal's pieces that need no hour-long run: its config and its table."""

from __future__ import annotations

from pathlib import Path

import yaml

from alcore.workflow import rehearsal
from alcore.workflow.config import parse_config


def test_the_scaled_config_is_valid_and_scales_labels_not_epochs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = rehearsal.write_config(tmp_path / "here", 0.1)
    settings = parse_config(config).dataset("rehearsal", "synthetic_cifar")
    base = yaml.safe_load(rehearsal.BASE_CONFIG.read_text())
    spec = base["experiments"]["rehearsal"]["datasets"]["synthetic_cifar"]
    assert (settings.initial_size, settings.budget) == (spec["initial"] // 10, spec["budget"] // 10)
    assert settings.train.epochs_first == spec["epochs"]["first"]
    assert config["results"] == str(tmp_path / "here" / "results")
    assert yaml.safe_load((tmp_path / "here" / "config.yaml").read_text()) == config
    targets = rehearsal.first_round_targets(config)
    assert len(targets) == 1 + len(base["experiments"]["rehearsal"]["strategies"])
    assert all("round0" in t for t in targets)


def test_job_rows_read_the_cost_files_and_output_sizes(tmp_path):
    logs, results = tmp_path / "logs", tmp_path / "results"
    run = Path("e/d/initial/seed0/round0")
    (logs / run).mkdir(parents=True)
    (results / run).mkdir(parents=True)
    measured = {"train": "12.5\t20.1\t3445.8", "initial_labels": "4.4\t3.9\t129.8"}
    for rule, values in measured.items():
        (logs / run / f"{rule}.tsv").write_text("s\tcpu_time\tmax_rss\n" + values + "\n")
    (results / run / "model.pt").write_bytes(b"x" * 2_000_000)
    rows = rehearsal.job_rows({"logs": str(logs), "results": str(results)})
    assert [r["job"] for r in rows] == ["initial_labels", "train"]  # in stage order
    assert rows[1]["wall_s"] == 12.5 and rows[1]["peak_rss_mb"] == 3445.8
    assert rows[1]["output_mb"] == 2.0 and rows[0]["output_mb"] == 0.0
    table = rehearsal.table(rows)
    assert "| train | e/d/initial/seed0/round0 | 12.5 | 3446 | 2.0 |" in table
