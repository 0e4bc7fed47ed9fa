import subprocess
import sys

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
        ConfigError, match=r"experiments\.e\.datasets\.cifar10: .*cifar-10-batches-py/"
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
    with pytest.raises(ConfigError, match=r"options\.root: .*mine/train does not exist"):
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
