"""The peer benchmark's pieces: skipping a peer that does not import, the float64 gap where
two pick sequences part, the plain torch loop, the busy processes."""

import importlib.util
import multiprocessing
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from cases import labelled_mask

from alcore.select import coreset

BENCH = Path(__file__).parents[2] / "benchmarks" / "select.py"


@pytest.fixture(scope="module")
def bench():
    # a name of its own: "select" is a standard library module
    spec = importlib.util.spec_from_file_location("alcore_bench_select", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def importer(missing):
    """An import_module that fails for ``missing`` and returns a stand-in for the others."""

    def import_module(name):
        if name == missing:
            raise ImportError(f"No module named '{name}'")
        return SimpleNamespace(fps_sampling=None, sample_idx=None)

    return import_module


def test_a_peer_that_does_not_import_is_skipped_with_the_reason(bench):
    peers, skipped = bench.load_peers(importer("fpsample"))
    assert [peer.name for peer in peers] == ["torch addmv loop", "torch-quickfps"]
    assert skipped == [
        "fpsample: skipped (ImportError: No module named 'fpsample'); "
        "pip install fpsample, or pip install -e '.[bench]'"
    ]
    peers, skipped = bench.load_peers(importer("torch_quickfps"))
    assert [peer.name for peer in peers] == ["torch addmv loop", "fpsample"]
    assert skipped[0].startswith("torch-quickfps: skipped (ImportError")
    quickfps_only = {peer.name: peer.start_set for peer in bench.load_peers(importer(""))[0]}
    assert quickfps_only == {"torch addmv loop": True, "fpsample": True, "torch-quickfps": False}


def test_the_peer_table_prints_the_skip_line_and_still_runs(bench, monkeypatch, capsys):
    loop_only = ([bench.Peer("torch addmv loop", bench.torch_loop, True)], ["fpsample: skipped"])
    monkeypatch.setattr(bench, "load_peers", lambda: loop_only)
    rows = bench.peer_rows([8], ["clustered"], 1100, 12)
    assert "# fpsample: skipped" in capsys.readouterr().out
    assert [(row["start"], row["method"]) for row in rows] == [
        ("labelled 1000", "alcore greedy"),
        ("labelled 1000", "torch addmv loop"),
        ("single", "alcore greedy"),
        ("single", "torch addmv loop"),
    ]
    assert rows[1]["picks"] == "same as alcore"  # 10 well-separated clusters: no near-tie


def test_first_difference_is_none_for_the_same_picks(bench):
    features = torch.tensor([[0.0], [1.0], [-1.0], [0.5]])
    picks = torch.tensor([1, 2])
    assert bench.first_difference(features, torch.tensor([0]), picks, picks.clone()) is None


def test_first_difference_at_an_exact_tie_has_no_gap(bench):
    # 1 and -1 are equally far from the start 0: either pick is right
    features = torch.tensor([[0.0], [1.0], [-1.0], [0.5]])
    found = bench.first_difference(
        features, torch.tensor([0]), torch.tensor([1, 2]), torch.tensor([2, 1])
    )
    assert found == bench.Difference(step=0, ours=1.0, theirs=1.0)
    assert found.gap == 0.0


def test_first_difference_measures_both_picks_against_the_picks_before(bench):
    features = torch.tensor([[0.0], [1.0], [-1.0], [0.5]])
    found = bench.first_difference(
        features, torch.tensor([0]), torch.tensor([1, 2, 3]), torch.tensor([1, 3, 2])
    )
    # after the start 0 and the pick 1: -1 is 1 away, 0.5 is 0.5 away
    assert found == bench.Difference(step=1, ours=1.0, theirs=0.5)
    assert found.gap == 0.5


def test_first_difference_resolves_a_float32_near_tie_in_float64(bench):
    # 1 + 2^-23 is the float32 after 1: a gap of one float32 ulp, exact in float64
    above = 1.0 + 2.0**-23
    features = torch.tensor([[0.0], [1.0], [-above]], dtype=torch.float32)
    found = bench.first_difference(
        features, torch.tensor([0]), torch.tensor([1]), torch.tensor([2])
    )
    assert (found.ours, found.theirs) == (1.0, above)
    assert found.gap == pytest.approx(-(2.0**-23) / above, rel=1e-12)  # theirs is farther


@pytest.mark.parametrize("n_start", [1, 7])
def test_the_torch_loop_is_greedy_from_its_start(bench, n_start):
    g = torch.Generator().manual_seed(n_start)
    features = torch.randn(300, 6, generator=g)
    labelled = labelled_mask(300, n_start, n_start)
    theirs = bench.torch_loop(features, labelled.nonzero().squeeze(1), 25)
    assert theirs.tolist() == coreset(features, labelled, 25).tolist()


def test_busy_processes_run_inside_the_block_and_stop_after(bench):
    others = set(multiprocessing.active_children())  # of other tests, if any are left
    with bench.busy_processes(2):
        spinning = set(multiprocessing.active_children()) - others
        assert len(spinning) == 2 and all(worker.is_alive() for worker in spinning)
    assert not any(worker.is_alive() for worker in spinning)
    assert set(multiprocessing.active_children()) - others == set()


def test_repeats_take_turns_and_report_the_median_run(bench, monkeypatch):
    calls = []
    seconds = {"pweighted": iter([3.0, 1.0, 2.0]), "pweighted beam 20": iter([5.0, 9.0, 4.0])}

    def run_method(case, method, device, compare_with=None):
        calls.append(method)
        return bench.Run(next(seconds[method]), 0, np.zeros(2, dtype=np.int64), first_pass=0.5)

    monkeypatch.setattr(bench, "run_method", run_method)
    case = bench.Case("gaussian", 100, 10)
    rows = bench.run_case(
        case, torch.device("cpu"), False, False, ("pweighted", "pweighted beam 20"), repeats=3
    )
    assert calls == ["pweighted", "pweighted beam 20"] * 3  # turns, not blocks
    assert [row["seconds"] for row in rows] == [2.0, 5.0]  # the medians
    assert rows[1]["vs beam 1"] == "2.50x"


def test_pair_counter_sees_the_first_pass_direct_pairs(bench):
    # the --min-distance table's count of direct pairs wraps the pass's direct kernel: it
    # must see every tile's pairs (at least one per row): it wraps the kernel the pass calls
    from alcore.select import min_distances

    g = torch.Generator().manual_seed(3)
    features = torch.randn(300, 16, generator=g)
    labelled = labelled_mask(300, 20, seed=3)
    centers = labelled.nonzero().squeeze(1)
    features[centers[10:]] = features[centers[:10]]  # each centre twice
    with bench.PairCounter() as counter:
        min_distances(features, labelled, block_size=64)
    assert counter.pairs >= 2 * 300
    # every row, a centre's copies included, has its nearest centre twice in its one tile
    assert counter.contended == 300
