import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alcore.workflow.config import ConfigError, parse_config
from alcore.workflow.preflight import check_inputs


def config(data_dir, download=False, **dataset):
    spec = {"model": "vgg16", "initial": 10, "budget": 10, "rounds": 1, "lr": 0.01,
            "epochs": {"first": 1, "thereafter": 1}, **dataset}  # fmt: skip
    return parse_config({
        "data_dir": str(data_dir), "download": download,
        "strategies": {"random": {"kind": "random"}},
        "experiments": {
            "e": {"datasets": {"cifar10": spec}, "strategies": ["random"], "seeds": [0]}
        },
    })  # fmt: skip


def test_missing_dataset_files_name_the_folder_and_the_fix(tmp_path):
    with pytest.raises(
        ConfigError, match=r"experiments\.e\.datasets\.cifar10\.options: .*cifar-10-batches-py/"
    ) as error:
        check_inputs(config(tmp_path))
    assert "download: true" in str(error.value) and "cifar-10-python.tar.gz" in str(error.value)


def test_present_files_or_download_pass(tmp_path):
    check_inputs(config(tmp_path, download=True, pretrained=True))  # the jobs fetch them
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(ConfigError):  # an empty folder is still missing data
        check_inputs(config(tmp_path))
    (tmp_path / "cifar-10-batches-py" / "batches.meta").write_bytes(b"")
    check_inputs(config(tmp_path))


def test_offline_pretrained_weights_must_be_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "batches.meta").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"cifar10\.pretrained: .*vgg16-397923af\.pth"):
        check_inputs(config(tmp_path, pretrained=True))
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "vgg16-397923af.pth").write_bytes(b"")
    check_inputs(config(tmp_path, pretrained=True))


def test_an_imagefolder_needs_its_train_folder(tmp_path):
    raw = {
        "data_dir": str(tmp_path),
        "strategies": {"random": {"kind": "random"}},
        "experiments": {"e": {"datasets": {"imagefolder": {
            "model": "small_cnn", "initial": 10, "budget": 10, "rounds": 1, "lr": 0.01,
            "epochs": {"first": 1, "thereafter": 1}, "options": {"root": "mine"}}},
            "strategies": ["random"], "seeds": [0]}},
    }  # fmt: skip
    with pytest.raises(ConfigError, match=r"options: root: .*mine/train does not exist"):
        check_inputs(parse_config(raw))
    (tmp_path / "mine" / "train").mkdir(parents=True)
    check_inputs(parse_config(raw))


def test_what_the_snakefile_imports_leaves_torch_out():
    # Snakemake parses the Snakefile at every start and in every cluster job: torch costs seconds
    code = (
        "import sys, alcore.workflow.config, alcore.workflow.preflight, alcore.workflow.schema, "
        "alcore.workflow.paths, alcore.workflow.code_version, alcore.workflow.resources, "
        "alcore.workflow.dag, alcore.workflow.draw; "
        "print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_initial_labels_job_imports_no_torch_and_decodes_no_image(tmp_path):
    # the job needs only the pool size: torch alone is 0.5 GB of RSS and 2 s of start-up
    from PIL import Image

    for k in range(6):
        (tmp_path / "set" / "train" / f"c{k % 2}").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4)).save(tmp_path / "set" / "train" / f"c{k % 2}" / f"{k}.png")
    code = (
        "import sys; from alcore.stages.labelled import initial_indices, write_labelled; "
        "from alcore.workflow.job import Job; "
        "from alcore.data.imagefolder import imagefolder_pool_size; "
        f"n = imagefolder_pool_size(data_dir={str(tmp_path)!r}, options={{'root': 'set'}}); "
        "write_labelled(initial_indices(n, 2, 0), initial_indices(n, 2, 0) * 0 - 1, n, "
        f"{str(tmp_path / 'l.parquet')!r}); "
        "print(n, 'torch' in sys.modules, 'PIL.PngImagePlugin' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["4", "False", "False"]  # 6 images, one per class held out


def digits_config(model, strategy):
    spec = {"model": model, "initial": 10, "budget": 10, "rounds": 1, "lr": 0.01,
            "epochs": {"first": 1, "thereafter": 1}}  # fmt: skip
    return parse_config({
        "strategies": {"s": strategy},
        "experiments": {"e": {"datasets": {"digits": spec}, "strategies": ["s"], "seeds": [0]}},
    })  # fmt: skip


def test_models_are_checked_against_the_data_before_any_job():
    greedy = {"kind": "coreset"}
    with pytest.raises(ConfigError, match=r"digits\.model: unknown model 'resnet'; known models"):
        check_inputs(digits_config("resnet", greedy))
    # a torchvision model whose stem wants 3 channels, on 1-channel 8x8 digits
    with pytest.raises(ConfigError, match=r"digits\.model: .*resnet18.*\(1, 8, 8\)"):
        check_inputs(digits_config("resnet18", greedy))
    check_inputs(digits_config("small_cnn", greedy))  # a builtin: checked when built


def test_bald_needs_a_model_with_dropout_before_any_job():
    bald = {"kind": "bald", "passes": 4}
    with pytest.raises(
        ConfigError, match=r"digits\.model \(strategies \['s'\] .*'small_cnn' has no dropout"
    ):
        check_inputs(digits_config("small_cnn", bald))
    check_inputs(digits_config("small_cnn_dropout", bald))


# --- a features dataset's data: refused before any job, naming the file -------------------


def features_config(data_dir, options, names=("mine",)):
    spec = {"dataset": "features", "model": "mlp", "initial": 4, "budget": 4, "rounds": 1,
            "lr": 0.01, "epochs": {"first": 1, "thereafter": 1}, "options": options}  # fmt: skip
    return parse_config({
        "data_dir": str(data_dir),
        "strategies": {"random": {"kind": "random"}},
        "experiments": {"e": {"datasets": {name: spec for name in names},
                              "strategies": ["random"], "seeds": [0]}},
    })  # fmt: skip


def good_data(n=40, d=3):
    """(n, d) float32 features, (n,) labels 0/1, (n,) split: the first 30 rows the pool."""
    x = np.random.default_rng(0).standard_normal((n, d)).astype(np.float32)
    return x, np.arange(n) % 2, np.where(np.arange(n) < 30, "pool", "test")


def write_npy(root, x, y, split):
    np.save(root / "x.npy", x)
    np.save(root / "y.npy", y)
    np.save(root / "split.npy", split)
    return {"path": "x.npy", "labels": "y.npy", "split": "split.npy"}


def write_parquet(root, x, y, split):
    column = pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), x.shape[1])
    table = pa.table({"features": column, "label": y, "split": split})
    pq.write_table(table, root / "x.parquet", row_group_size=7)  # several row groups
    return {"path": "x.parquet"}


def nan_at(x, y, split):
    x[37, 1] = np.nan  # a test row, near the end
    return x, y, split


def inf_at(x, y, split):
    x[3, 0] = -np.inf
    return x, y, split


def negative_label(x, y, split):
    y[5] = -1
    return x, y, split


def other_split(x, y, split):
    split = split.astype("U5")  # room for "train"
    split[8] = "train"
    return x, y, split


def short_split(x, y, split):
    return x, y, split[:-1]


def short_labels(x, y, split):
    return x, y[:-1], split


def float_labels(x, y, split):
    return x, y.astype(np.float64), split


def integer_features(x, y, split):
    return x.astype(np.int32), y, split


# (how the data are broken, the file the message names, part of the message)
NPY_CASES = [
    (nan_at, "x.npy", "the features of file row 37 are not finite"),
    (inf_at, "x.npy", "the features of file row 3 are not finite"),
    (negative_label, "y.npy", "labels must be integers >= 0, row 5 has -1"),
    (other_split, "split.npy", "the split holds ['train'] besides 'pool' and 'test'"),
    (short_split, "split.npy", "must be a 1-D string array of shape (40,)"),
    (short_labels, "y.npy", "shape (40,), got (39,)"),
    (float_labels, "y.npy", "labels must be integers >= 0, got dtype float64"),
    (integer_features, "x.npy", "the features must be a 2-D (N, D) float array"),
]
PARQUET_CASES = [
    (nan_at, "x.parquet", "the features of file row 37 are not finite"),
    (inf_at, "x.parquet", "the features of file row 3 are not finite"),
    (negative_label, "x.parquet", "labels must be integers >= 0, row 5 has -1"),
    (other_split, "x.parquet", "the split holds ['train'] besides 'pool' and 'test'"),
    (float_labels, "x.parquet", "labels must be integers >= 0 without nulls, got type double"),
]


@pytest.mark.parametrize(
    ("fmt", "breaking", "file", "message"),
    [("npy", *case) for case in NPY_CASES] + [("parquet", *case) for case in PARQUET_CASES],
    ids=lambda value: getattr(value, "__name__", None) if callable(value) else None,
)
def test_bad_features_data_is_refused_before_any_job(tmp_path, fmt, breaking, file, message):
    write = write_npy if fmt == "npy" else write_parquet
    config = features_config(tmp_path, write(tmp_path, *good_data()))
    check_inputs(config)  # the good files pass
    write(tmp_path, *breaking(*good_data()))
    with pytest.raises(ConfigError) as info:
        check_inputs(config)
    text = str(info.value)
    assert text.startswith(f"experiments.e.datasets.mine.options: {tmp_path / file}")
    assert message in text, text


def test_the_finite_pass_runs_once_per_file_and_never_in_the_facts(tmp_path, monkeypatch):
    from alcore.catalog.datasets import facts
    from alcore.data import feature_file

    options = write_npy(tmp_path, *nan_at(*good_data()))
    calls = []
    real = feature_file.check_finite
    monkeypatch.setattr(feature_file, "check_finite", lambda s: calls.append(s.path) or real(s))
    # the catalogue's facts, read in every job's process (resources), read no feature
    assert facts("features", options, tmp_path).n_pool == 30 and calls == []
    write_npy(tmp_path, *good_data())
    check_inputs(features_config(tmp_path, options, names=("a", "b", "c")))
    assert calls == [tmp_path / "x.npy"]  # three datasets of one file: one pass


def test_without_scan_only_the_cheap_checks_run(tmp_path):
    # a job's process parses the Snakefile again (scan=False): its main process ran the pass
    options = write_npy(tmp_path, *nan_at(*good_data()))
    config = features_config(tmp_path, options)
    check_inputs(config, scan=False)  # the NaN is not looked for
    write_npy(tmp_path, *short_split(*good_data()))
    with pytest.raises(ConfigError, match=r"split\.npy: the split must be"):
        check_inputs(config, scan=False)  # the cheap checks still run
    write_npy(tmp_path, *nan_at(*good_data()))
    with pytest.raises(ConfigError, match=r"x\.npy: the features of file row 37"):
        check_inputs(config)
