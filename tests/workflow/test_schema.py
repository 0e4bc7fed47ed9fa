from pathlib import Path

import pytest
import yaml

from alcore.workflow.config import ConfigError
from alcore.workflow.schema import check_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@pytest.mark.parametrize("name", ["config.yaml", "configs/ablation.yaml", "configs/main.yaml"])
def test_the_shipped_configs_match_the_schema(name):
    check_schema(yaml.safe_load((ROOT / name).read_text()), SCHEMA)


def test_every_problem_is_listed_with_its_key():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["threads"] = 0
    config["strategies"]["greedy"]["beam_width"] = "wide"
    config["experiments"]["toy_blobs"]["seeds"].append(-1)
    with pytest.raises(ConfigError) as error:
        check_schema(config, SCHEMA)
    lines = str(error.value).splitlines()[1:]
    assert [line.split(":")[0].strip() for line in lines] == [
        "experiments.toy_blobs.seeds[3]", "strategies.greedy.beam_width", "threads",
    ]  # fmt: skip
