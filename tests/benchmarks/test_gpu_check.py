"""benchmarks/gpu_check.py without a GPU: its report, budgets, kernels, projection, arguments,
and the whole check at --tiny sizes on the CPU."""

import csv
import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from alcore.select import coreset_search

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
CPU = torch.device("cpu")


def _load_script():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gc = _load_script()


def _run_script(*args, timeout):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # the CPU path, even on a GPU machine
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


# -- the report ---------------------------------------------------------------------------------


def test_report_writes_markdown_and_csv(tmp_path):
    report = gc.Report(tmp_path, "title", ["- header line"])
    report.section("a", "Part A")
    report.text("a", "A paragraph.")
    report.text("a", "- one")
    report.text("a", "- two")
    table = report.table("a", ["name", "seconds", "n"])
    table.rows.append({"name": "x", "seconds": 1234.5678, "n": 50000})
    table.rows.append({"name": "y", "seconds": 0.012345})
    report.section("b", "Part B")
    report.text("b", "- alone")
    report.number("a", "x", "seconds", 1234.5678, "s")
    report.number("a", "y, quoted", "same", 1)
    report.write()
    assert (tmp_path / "report.md").read_text() == (
        "# title\n\n- header line\n\n"
        "## Part A\n\nA paragraph.\n\n- one\n- two\n\n"
        "| name | seconds | n |\n|---|---|---|\n| x | 1,235 | 50,000 |\n| y | 0.0123 |  |\n\n"
        "## Part B\n\n- alone\n"
    )
    with (tmp_path / "rows.csv").open(newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["part", "item", "metric", "value", "unit"],
            ["a", "x", "seconds", "1234.5678", "s"],
            ["a", "y, quoted", "same", "1", ""],
        ]
    assert gc.read_rows_csv(tmp_path / "rows.csv")[0] == ("a", "x", "seconds", "1234.5678", "s")
    table.rows.append({"name": "z"})
    report.write()  # rewritten in place, no temporary left behind
    assert "| z |  |  |" in (tmp_path / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "rows.csv"]


def test_a_report_without_a_folder_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = gc.Report(None, "title")
    report.section("a", "A")
    report.write()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "cell"),
    [(True, "yes"), (False, "no"), (None, ""), (1281167, "1,281,167"), (math.nan, "n/a"),
     (0.0, "0"), (3.14159, "3.14"), (12.345, "12.3"), (0.00123, "1.23e-03"), ("text", "text")],
)  # fmt: skip
def test_cells(value, cell):
    assert gc.fmt(value) == cell


# -- budgets -----------------------------------------------------------------------------------


def test_a_part_records_each_step_outcome_and_goes_on(tmp_path):
    report = gc.Report(tmp_path, "t")
    part = gc.Part(report, "p", "Part", 60.0)
    ran = []
    assert part.step("fine", lambda deadline: ran.append(deadline.left() > 0))

    def stop(deadline):
        raise gc.BudgetSpentError("budget spent after 3 of 9 picks")

    def boom(deadline):
        raise ValueError("bad input\nsecond line")

    assert not part.step("slow", stop)
    assert not part.step("broken", boom)
    part.deadline.at = part.deadline.clock() - 1.0  # the budget is spent from here on
    assert not part.step("late", lambda deadline: ran.append("late"))
    assert ran == [True]
    assert part.counts == {"ran": 1, "stopped": 1, "skipped": 1, "failed": 1}
    text = (tmp_path / "report.md").read_text()
    assert "- stopped: slow: budget spent after 3 of 9 picks\n" in text
    assert "- failed: broken: ValueError: bad input (test_gpu_check.py:" in text
    assert "second line" not in text
    assert "- skipped: late: the part's 60 s budget is spent" in text


def test_engine_progress_stops_a_coreset_call_at_the_deadline():
    features = torch.randn(300, 4, generator=torch.Generator().manual_seed(0))
    labelled = torch.zeros(300, dtype=torch.bool)
    labelled[:5] = True
    with pytest.raises(gc.BudgetSpentError, match="after 1 of 1 first-pass tiles"):
        coreset_search(features, labelled, 10, progress=gc.EngineProgress(gc.Deadline(0.0)))
    progress = gc.EngineProgress(gc.Deadline(600.0))
    assert coreset_search(features, labelled, 10, progress=progress).picks.shape == (10,)
    assert progress.first_pass >= 0


# -- the engine part's kernels ---------------------------------------------------------------------


def test_generated_features_are_seeded_labelled_and_clustered():
    gaussian = gc.EngineCase("gaussian", 1000, 5, 10, 1)
    features = gc.generate_features(gaussian, CPU, seed=3, chunk_rows=300)
    assert features.shape == (1000, 5) and features.dtype == torch.float32
    assert torch.equal(features, gc.generate_features(gaussian, CPU, seed=3, chunk_rows=300))
    assert 0.8 < float(features.var(dim=0).mean()) < 1.2
    clustered = gc.generate_features(gc.EngineCase("clustered", 1000, 5, 10, 1), CPU, seed=3)
    assert float(clustered.var(dim=0).mean()) > 5  # 1 + 16 x the centres' variance
    labelled, doubt = gc.labelled_and_doubt(gaussian, CPU)
    assert int(labelled.sum()) == 10
    assert float(doubt.min()) >= 0 and float(doubt.max()) < 0.9
    with pytest.raises(ValueError, match="gaussian or clustered"):
        gc.generate_features(gc.EngineCase("uniform", 10, 2, 1, 1), CPU)


def test_the_cdist_loop_picks_as_greedy_does_and_stops_at_its_deadline():
    case = gc.EngineCase("clustered", 600, 8, 20, 30)
    features = gc.generate_features(case, CPU, chunk_rows=128)
    labelled, doubt = gc.labelled_and_doubt(case, CPU)
    ours = gc.run_coreset(features, labelled, doubt, "greedy", 30, gc.Deadline(600.0))
    assert len(set(ours.picks.tolist())) == 30 and not labelled[ours.picks].any()
    loop = gc.cdist_greedy(features, labelled, 30, chunk_rows=128)
    assert loop.tolist() == ours.picks.tolist()
    stopped = gc.cdist_greedy(features, labelled, 30, gc.Deadline(0.0), check_every=4)
    assert stopped.tolist() == ours.picks[:4].tolist()
    timed = gc.run_cdist_greedy(features, labelled, 30, gc.Deadline(0.0), 128, check_every=4)
    assert (timed.done, timed.picks.tolist()) == (4, ours.picks[:4].tolist())
    assert gc.run_cdist_greedy(features, labelled, 30, gc.Deadline(600.0), 128).done == -1
    beam = gc.run_coreset(features, labelled, doubt, "pweighted beam 20", 30, gc.Deadline(600.0))
    assert len(set(beam.picks.tolist())) == 30


def test_same_prefix():
    a = np.array([4, 2, 9, 1])
    assert gc.same_prefix(a, np.array([4, 2, 7, 1])) == 2
    assert gc.same_prefix(a, a) == 4
    assert gc.same_prefix(a, a[:2]) == 2
    assert gc.same_prefix(a, np.array([5])) == 0


def test_the_loop_ratio_is_extrapolated_when_the_loop_stopped():
    report = gc.Report(None, "t")
    report.section("e", "E")
    table = report.table("e", gc.ENGINE_COLUMNS)
    case = gc.EngineCase("gaussian", 100, 4, 10, 40)
    picks = np.arange(40)
    ours = gc.Timed(picks, 2.0)
    loop = gc.Timed(picks[:10], 1.5, done=10)  # 10 of 40 picks in 1.5 s: 6 s for all
    ours_row = gc.engine_row(case, "greedy", ours)
    table.rows.append(ours_row)
    gc.compare_with_cdist(report, "e", table, case, ours, loop, ours_row,
                          gc.engine_row(case, gc.CDIST_LOOP, loop))  # fmt: skip
    assert ours_row["cdist loop / alcore"] == pytest.approx(3.0)
    assert ours_row["same picks as cdist loop"] == "all 10 it made"
    assert table.rows[1]["method"] == "cdist per pick (extrapolated from 10 picks)"
    assert ("e", "cdist per pick " + case.label, "seconds", pytest.approx(6.0), "s") in report.rows


# -- the projection ----------------------------------------------------------------------------

CONFIG = {
    "strategies": {
        "random": {"kind": "random"},
        "greedy": {"kind": "coreset"},
        "greedy_beam1": {"kind": "coreset", "beam_width": 1},  # greedy's arm: computed once
        "pweighted_beam4": {"kind": "coreset", "weighted": True, "beam_width": 4},
        "bald": {"kind": "bald", "passes": 3},
    },
    "experiments": {
        "toy": {
            "datasets": {"small": {"dataset": "made_up", "initial": 10, "budget": 5, "rounds": 2,
                                   "epochs": {"first": 3, "thereafter": 2}, "lr": 0.1}},
            "strategies": ["random", "greedy", "greedy_beam1", "pweighted_beam4"],
            "seeds": [0, 1],
        },
        "random_only": {
            "datasets": {"made_up": {"initial": 10, "budget": 5, "ceiling": 22,
                                     "epochs": {"first": 3, "thereafter": 2}, "lr": 0.1,
                                     "precision": "bf16", "batch_size": 32}},
            "strategies": ["random"],
            "seeds": [7],
        },
        "dropout": {
            "datasets": {"made_up": {"initial": 10, "budget": 5, "rounds": 2,
                                     "epochs": {"first": 3, "thereafter": 2}, "lr": 0.1}},
            "strategies": ["bald"],
            "seeds": [0],
        },
    },
}  # fmt: skip
SPLITS = {"made_up": (100, 20)}  # pool, test


def test_the_workload_of_a_small_made_up_config_by_hand():
    toy, random_only, dropout = gc.schedules_from_config(CONFIG, SPLITS)
    assert [a.name for a in toy.arms] == ["random", "greedy", "pweighted_beam4"]
    assert (toy.rounds, toy.seeds, toy.pool, toy.test) == (2, 2, 100, 20)
    # per seed: round 0 trains 10 labels x 3 epochs; each of 3 arms trains rounds 1 and 2 on 15
    # and 20 labels x 2 epochs: 30 + 3 x 70 = 240. Round 0 is embedded (120 images: some arm
    # reads features); random evaluates rounds 1-2 on the test set (2 x 20), greedy and
    # pweighted embed them (2 x 120 each): 120 + 40 + 480 = 640. Epochs 3 + 3 x 2 x 2 = 15.
    # Selections in rounds 0 and 1: 2 x 100 x 5 = 1,000 (pool rows x picks) per core-set arm.
    assert gc.workload(toy) == gc.Workload(480, 1280, 30, 2000, 2000)
    # ceiling 22: (22 - 10) // 5 = 2 rounds; nothing reads an embedding: round 0 is evaluated
    # on the test set: train 30 + 70, forward 20 + 2 x 20
    assert (random_only.rounds, random_only.precision, random_only.batch_size) == (2, "bf16", 32)
    assert gc.workload(random_only) == gc.Workload(100, 60, 7, 0, 0)
    # bald embeds every model and runs 3 dropout passes over the pool in rounds 0 and 1
    assert dropout.arms == (gc.Arm("bald", embeds=True, beam_width=0, dropout_passes=3),)
    assert gc.workload(dropout) == gc.Workload(100, 120 + 240 + 600, 7, 0, 0)
    rates = gc.Rates(
        train_images_per_s=100.0,
        forward_images_per_s=400.0,
        epoch_overhead_s=0.5,
        greedy_s_per_row=0.001,
        beam_s_per_row=0.002,
    )
    # 480/100 + 1280/400 + 30 x 0.5 + 2000 x 0.001 + 2000 x 0.002 = 4.8 + 3.2 + 15 + 2 + 4 s
    assert gc.gpu_hours(gc.workload(toy), rates) == pytest.approx(29.0 / 3600)
    assert gc.workload(toy) + gc.workload(dropout) == gc.Workload(580, 2240, 37, 2000, 2000)


def test_a_dataset_without_sizes_is_refused():
    with pytest.raises(ValueError, match="no pool and test sizes for 'made_up'"):
        gc.schedules_from_config(CONFIG, {})


def test_the_workload_of_the_paper_config_cifar10():
    config = yaml.safe_load((ROOT / "configs" / "main.yaml").read_text())
    schedules = {s.dataset: s for s in gc.schedules_from_config(config, gc.catalogue_splits())}
    cifar10 = schedules["cifar10"]
    assert (cifar10.rounds, cifar10.seeds, cifar10.pool, cifar10.test) == (4, 5, 50_000, 10_000)
    # per seed: 5,000 x 30 + 3 arms x (10 + 15 + 20 + 25) thousand x 12 = 2,670,000 image-epochs;
    # forward 60,000 + random 4 x 10,000 + 2 arms x 4 x 60,000 = 580,000; epochs 30 + 3 x 4 x 12
    assert gc.workload(cifar10) == gc.Workload(
        13_350_000, 2_900_000, 870, 5 * 4 * 50_000 * 5_000, 5 * 4 * 50_000 * 5_000
    )
    assert schedules["svhn"].pool == 73_257


def _measured_rows():
    n_b = "N=50000 D=4096 L=1000 b=5000"
    return [
        ("vgg16", "train fp32", "images_per_s", 2000.0, "images/s"),
        ("vgg16", "train bf16", "images_per_s", 4000.0, "images/s"),
        ("vgg16", "embed fp32", "images_per_s", 8000.0, "images/s"),
        ("vgg16", "state save", "seconds", 1.5, "s"),
        ("engine", f"greedy gaussian {n_b}", "seconds", 2.0, "s"),
        ("engine", f"greedy clustered {n_b}", "seconds", 2.5, "s"),
        ("engine", "greedy gaussian N=50000 D=512 L=1000 b=5000", "seconds", 9.0, "s"),
        ("engine", f"pweighted gaussian {n_b}", "seconds", 99.0, "s"),
        ("engine", f"cdist per pick gaussian {n_b}", "seconds", 99.0, "s"),
        ("engine", f"pweighted beam 20 gaussian {n_b}", "seconds", 10.0, "s"),
        ("engine", f"pweighted beam 20 clustered {n_b}", "seconds", 50.0, "s"),
        ("engine", f"pweighted beam 20 clustered {n_b}", "picks_done", 100, ""),  # cut short
    ]


def test_rates_come_from_the_measured_rows(tmp_path):
    rows = _measured_rows()
    per_row = 50_000 * 5_000
    assert gc.rates_from_rows(rows, "fp32") == gc.Rates(
        2000.0, 8000.0, 1.5, pytest.approx(2.5 / per_row), pytest.approx(10.0 / per_row)
    )
    assert gc.rates_from_rows(rows, "bf16").train_images_per_s == 4000.0
    assert gc.rates_from_rows(rows[2:], "fp32") is None  # no training rate measured
    report = gc.Report(tmp_path, "t")
    for row in rows:
        report.number(*row)
    report.write()
    assert gc.rates_from_rows(gc.read_rows_csv(tmp_path / "rows.csv"), "fp32") == (
        gc.rates_from_rows(rows, "fp32")
    )


def test_project_prints_the_paper_configs_gpu_hours(tmp_path, capsys):
    report = gc.Report(tmp_path, "t")
    for row in _measured_rows():
        report.number(*row)
    report.write()
    assert gc.main(["--project", str(tmp_path / "rows.csv")]) == 0
    out = capsys.readouterr().out
    # cifar10 of configs/main.yaml: 13.35e6 / 2000 + 2.9e6 / 8000 + 870 x 1.5 s + 5e9 rows x
    # (2.5 + 10) / 2.5e8 s = 6675 + 362.5 + 1305 + 250 = 8592.5 s = 2.39 h; with bf16 training
    # 6675 / 2 less: 5255 s = 1.46 h
    cifar10 = next(line for line in out.splitlines() if "| main | cifar10 |" in line)
    assert cifar10.endswith("| 2.39 | 1.46 |")
    assert "| **configs/ablation.yaml** |" in out


def test_the_rehearsal_settings_match_its_config():
    config = yaml.safe_load((ROOT / gc.REHEARSAL_YAML).read_text())
    spec = gc.rehearsal_spec(config, 0.1)
    assert spec == gc.rehearsal_spec(gc.REHEARSAL_CONFIG, 0.1)  # the copy for no PyYAML
    assert (spec.n_pool, spec.n_test, spec.initial, spec.budget) == (5000, 1000, 500, 500)
    assert (spec.model, spec.epochs, spec.feature_dtype, spec.seed) == ("vgg16", 1, "float16", 0)
    assert [name for name, _ in spec.strategies] == ["greedy", "pweighted_beam10"]
    small = gc.rehearsal_spec(config, 0.0004, "small_cnn")
    assert (small.n_pool, small.initial, small.budget, small.model) == (20, 10, 10, "small_cnn")


def test_a_failed_step_skips_the_steps_that_need_it(tmp_path, monkeypatch):
    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(gc, "synthetic_bundle", broken)
    monkeypatch.setattr(gc, "cifar_model", broken)
    report = gc.Report(tmp_path, "t")
    rehearsal = gc.rehearsal_part(report, gc.TINY, CPU, 60.0)
    vgg = gc.vgg16_part(report, gc.TINY, CPU, 60.0)
    assert rehearsal.counts == {"ran": 0, "stopped": 0, "skipped": 6, "failed": 1}
    assert vgg.counts == {"ran": 1, "stopped": 0, "skipped": 5, "failed": 1}  # the projection ran
    assert gc.ON_EXIT == []  # the rehearsal's folder is gone, nothing left for the watchdog
    text = (tmp_path / "report.md").read_text()
    assert "- failed: synthetic images: OSError: disk full" in text
    assert "- skipped: evaluate round 0: synthetic images did not finish" in text
    assert "- skipped: train epoch, fp32: small_cnn was not built" in text
    assert "| **configs/main.yaml** |" in text  # with n/a hours: no rate was measured


# -- the CUDA tests part ---------------------------------------------------------------------


def test_the_tests_that_use_cuda_are_found():
    found = gc.find_cuda_tests(ROOT / "tests", ROOT)
    assert gc.CudaTests("tests/select/test_greedy.py", ("test_cuda_matches_cpu",), ()) in found
    files = [t.file for t in found]
    assert "tests/test_cli.py" not in files  # "cuda:7" there is only a command-line argument
    assert "tests/benchmarks/test_gpu_check.py" not in files  # CUDA only in strings and mocks


def test_cuda_tests_in_functions_and_classes_and_their_missing_imports(tmp_path):
    tests = tmp_path / "tests"
    (tests / "sub").mkdir(parents=True)
    (tests / "conftest.py").write_text("import pytest\nimport absent_in_conftest\n")
    (tests / "sub" / "helper_here.py").write_text("x = 1\n")
    (tests / "sub" / "test_a.py").write_text(
        "import pytest\nimport torch\nimport not_a_module_anywhere.sub\n"
        "from helper_here import x\n\n"
        "def test_plain():\n    pass\n\n"
        '@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA")\n'
        "def test_gpu():\n    pass\n\n"
        "class TestThing:\n"
        "    def test_on_device(self):\n        torch.ones(1).cuda()\n\n"
        "    def test_off(self):\n        pass\n\n"
        "def test_only_a_string():\n    assert 'torch.cuda' != 'x.cuda()'\n\n"
        "def test_keyword():\n    torch.zeros(1, device='cuda:0')\n"
    )
    (tests / "test_b.py").write_text("def test_cpu():\n    assert 'cpu'\n")
    assert gc.find_cuda_tests(tests, tmp_path) == [
        gc.CudaTests(
            "tests/sub/test_a.py",
            ("test_gpu", "TestThing::test_on_device", "test_keyword"),
            ("not_a_module_anywhere", "absent_in_conftest"),
        )
    ]


def test_junit_results_are_counted(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.select.test_greedy" name="test_a[1]"/>'
        '<testcase classname="tests.select.test_greedy" name="test_a[4]">'
        '<failure message="AssertionError: picks differ&#10;more">trace</failure></testcase>'
        '<testcase classname="t" name="test_b"><error message="">boom\nat line</error></testcase>'
        '<testcase classname="t" name="test_c"><skipped message="no CUDA device"/></testcase>'
        "</testsuite></testsuites>"
    )
    assert gc.read_junit(junit) == gc.PytestResult(
        passed=1, failed=2, skipped=1,
        failures=("tests.select.test_greedy::test_a[4]: AssertionError: picks differ",
                  "t::test_b: boom"),
        skips=("t::test_c: no CUDA device",),
    )  # fmt: skip


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_without_cuda_it_says_so_in_one_line_and_exits_0(tmp_path, capsys, monkeypatch, device):
    monkeypatch.setattr(gc.torch.cuda, "is_available", lambda: False)
    assert gc.main(["--out", str(tmp_path / "out"), "--device", device]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu_check: no CUDA device here")
    assert not (tmp_path / "out" / "report.md").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--out DIR is required"),
        (["--out", "{file}"], "is a file: give a folder"),
        (["--out", "{file}/sub"], "cannot create it"),
        (["--out", "{dir}", "--device", "cpu"], "--device cpu runs only with --tiny"),
        (["--out", "{dir}", "--time-limit", "0"], "--time-limit 0 must be positive"),
        (["--project", "{dir}/none.csv"], "no such file"),
        (["--out", "{dir}", "--device", "tpu"], "invalid choice: 'tpu'"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, capsys, args, message):
    (tmp_path / "file").write_text("")
    paths = {"file": tmp_path / "file", "dir": tmp_path / "d"}
    with pytest.raises(SystemExit) as exit_:
        gc.main([a.format(**paths) for a in args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_the_watchdog_leaves_a_report_and_exits_3(tmp_path):
    done = _run_script("--tiny", "--out", str(tmp_path), "--time-limit", "2", timeout=120)
    assert done.returncode == 3, done.stdout + done.stderr
    report = (tmp_path / "report.md").read_text()
    assert "**Stopped by the watchdog at 2 s, during " in report
    assert "## 0. What is here" in report
    assert (tmp_path / "rows.csv").read_text().startswith("part,item,metric,value,unit\n")


@pytest.mark.slow
def test_tiny_runs_every_part_on_the_cpu(tmp_path):
    done = _run_script("--tiny", "--out", str(tmp_path), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = (tmp_path / "report.md").read_text()
    for heading in ("## 0. What is here", "## 1. CUDA tests", "## 2. Engine rows",
                    "## 2b. Greedy at ImageNet-1k size",
                    "## 3. VGG16 throughput and the GPU-hours projection",
                    "## 4. Rehearsal round 0 through the stages", "## Time"):  # fmt: skip
        assert f"\n{heading}\n" in report
    for outcome in ("skipped", "stopped", "failed"):
        assert f"- {outcome}: " not in report, report
    assert "- selected: tests/select/test_greedy.py: test_cuda_matches_cpu" in report
    assert "0 failed, 2 skipped" in report  # no CUDA: the CUDA tests skip
    rows = gc.read_rows_csv(tmp_path / "rows.csv")
    same = [float(v) for part, _, metric, v, _ in rows if metric == "same_picks_cpu_device"]
    assert same == [1.0] * 8  # 2 engine cases x 3 methods, 2 rehearsal strategies
    metrics = {(part, item, metric) for part, item, metric, _, _ in rows}
    for key in gc.RATE_KEYS.values():
        assert key in metrics
    assert ("engine", "greedy gaussian N=800 D=48 L=40 b=12", "cdist_loop_over_alcore") in metrics
    assert ("imagenet", "greedy clustered N=3000 D=24 L=30 b=40", "seconds") in metrics
    assert ("projection", "configs/main.yaml total", "gpu_hours") in metrics
    assert ("rehearsal", "evaluate", "test_accuracy") in metrics
    assert "| **configs/main.yaml** |" in report
