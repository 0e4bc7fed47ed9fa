"""`load_dataset` dispatch and option checking."""

from __future__ import annotations

import pytest

from alcore.data import DATASETS, available_datasets, load_dataset


def test_every_promised_dataset_is_registered():
    expected = {"cifar10", "cifar100", "svhn", "digits", "blobs", "quadrants", "imagefolder"}
    assert set(available_datasets()) == expected
    assert list(available_datasets()) == sorted(DATASETS)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnist'.*'blobs'.*'svhn'"):
        load_dataset("mnist", data_dir="unused")


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
