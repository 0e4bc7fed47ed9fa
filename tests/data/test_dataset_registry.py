"""`load_dataset` dispatch and option checking."""

from __future__ import annotations

import ast
import re

import pytest

from alcore.catalog.datasets import DATASETS
from alcore.data import load_dataset


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_job_accepts_exactly_the_options_the_config_check_accepts(name, tmp_path):
    # the config's options are checked before any job starts, against the torch-free catalog;
    # the job then loads the dataset through the registry: a config that passed the check must
    # not be refused mid-run, and one the check refused must not load
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['nope'\]") as info:
        load_dataset(name, data_dir=tmp_path, options={"nope": 1})
    message = str(info.value)
    allowed = re.search(r"allowed: (\[.*\])", message)
    listed = ast.literal_eval(allowed.group(1)) if allowed else []
    assert listed == sorted(DATASETS[name].options), message
    assert allowed or "takes no options" in message


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar11'.*'blobs'.*'svhn'"):
        load_dataset("cifar11", data_dir="unused")


def test_unknown_option_names_it_and_the_allowed_ones():
    with pytest.raises(ValueError) as info:
        load_dataset("blobs", data_dir="unused", options={"sprad": 1.0, "n_pool": 10})
    message = str(info.value)
    assert "['sprad']" in message
    assert "'spread'" in message and "'data_seed'" in message
    assert "n_pool" not in message.split(";")[0]  # only the unknown key is blamed


def test_options_reach_the_loader():
    b = load_dataset("quadrants", data_dir="unused", options={"n_pool": 12, "n_test": 5})
    assert (b.n_pool, b.n_test, b.name) == (12, 5, "quadrants")
