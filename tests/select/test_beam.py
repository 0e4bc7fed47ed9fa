import math

import numpy as np
import pytest
import torch
from cases import clustered, integer_ties, labelled_mask
from reference import beam as reference_beam
from test_greedy import lazy_inputs

from alcore.select import Options, Pool, coreset, coreset_radii, coreset_search, select
from alcore.select import beam as beam_module
from alcore.select import greedy as greedy_module
from alcore.select.beam import _top_candidates, beam_search
from alcore.select.distances import _min_distances, make_workspace
from alcore.select.greedy import greedy


def line_case():
    # x: labelled 0; A=10 (confident), B=9 (doubtful), C=-8.5 (in between)
    features = torch.tensor([[0.0], [10.0], [9.0], [-8.5]])
    labelled = torch.tensor([True, False, False, False])
    doubt = torch.tensor([0.0, 0.1, 0.8, 0.5])
    return features, labelled, doubt


def test_rank_one_beam_differs_from_greedy_by_hand():
    features, labelled, doubt = line_case()
    assert coreset(features, labelled, 2).tolist() == [1, 3]  # greedy: A, then C
    result = coreset_search(features, labelled, 2, doubt, weighted=False, beam_width=2)
    # step 1: {B} (U=-log .2) outranks {A} (U=-log .9)
    # step 2: {B,C}, {B,A}, {A,C}; {A,B} is {B,A} again and is kept once
    assert result.beams.tolist() == [[2, 3], [2, 1]]
    expected_u = [(-math.log(0.2) - math.log(0.5)) / 2, (-math.log(0.2) - math.log(0.9)) / 2]
    assert result.beam_u.tolist() == pytest.approx(expected_u, rel=1e-6)  # float32 doubt
    assert result.picks.tolist() == [2, 3]
    assert result.scores.tolist() == pytest.approx([9.0, 8.5])


def test_duplicate_sets_are_kept_once():
    features, labelled, doubt = line_case()
    result = coreset_search(features, labelled, 2, doubt, beam_width=4)
    sets = [frozenset(row) for row in result.beams.tolist()]
    assert len(sets) == len(set(sets)) == 3  # only 3 distinct pairs exist


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("width", [2, 3, 5])
@pytest.mark.parametrize("seed", range(6))
def test_equals_reference(seed, width, weighted):
    g = torch.Generator().manual_seed(seed)
    n = 40
    features = torch.rand(n, 3, generator=g, dtype=torch.float64)
    labelled = labelled_mask(n, 3, seed)
    doubt = torch.rand(n, generator=g, dtype=torch.float64) * 0.9
    result = coreset_search(features, labelled, 6, doubt, weighted, width)
    expected = reference_beam(features.numpy(), labelled.numpy(), 6, doubt.numpy(), weighted, width)
    assert result.beams.tolist() == [b.picks for b in expected]
    np.testing.assert_allclose(
        result.beam_u.numpy(), [float(b.u_sum) / 6 for b in expected], rtol=1e-9
    )


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_width_one_is_greedy(weighted, lazy):
    features = clustered(800, 16, 6, seed=4)
    labelled = labelled_mask(800, 9, 4)
    doubt = torch.rand(800, generator=torch.Generator().manual_seed(4)) * 0.9
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    weight = doubt if weighted else None
    by_greedy = greedy(space, start, labelled, 120, weight, lazy)
    by_beam = beam_search(space, start, labelled, 120, weight, doubt, 1, lazy)
    assert torch.equal(by_beam.picks[0], by_greedy.picks)
    assert torch.equal(by_beam.scores[0], by_greedy.scores)
    assert torch.equal(by_beam.distances.exact(), by_greedy.distances.exact())


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_pruning_gives_the_same_beams(seed, weighted):
    features = clustered(1500, 16, 8, seed).double()
    labelled = labelled_mask(1500, 20, seed)
    doubt = torch.rand(1500, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    eager = coreset_search(features, labelled, 60, doubt * 0.9, weighted, 6, lazy=False)
    lazy = coreset_search(features, labelled, 60, doubt * 0.9, weighted, 6, lazy=True)
    assert torch.equal(eager.beams, lazy.beams)
    assert torch.equal(eager.beam_u, lazy.beam_u)


@pytest.mark.parametrize("seed", range(4))
def test_final_beams_are_distinct_sets_ranked_by_u(seed):
    features = clustered(300, 8, 3, seed)
    labelled = labelled_mask(300, 5, seed)
    doubt = torch.rand(300, generator=torch.Generator().manual_seed(seed)) * 0.9
    result = coreset_search(features, labelled, 25, doubt, True, 8)
    sets = [frozenset(row) for row in result.beams.tolist()]
    assert len(set(sets)) == len(sets) == 8
    assert all(len(s) == 25 for s in sets)
    u = result.beam_u.tolist()
    assert u == sorted(u, reverse=True)
    # U is the mean -log confidence of each beam's picks
    for row, value in zip(result.beams, u, strict=True):
        assert value == pytest.approx(float(-torch.log1p(-doubt[row].double()).mean()), rel=1e-9)


def test_beam_width_larger_than_what_is_left():
    features, labelled, doubt = line_case()
    result = coreset_search(features, labelled, 3, doubt, True, beam_width=10)
    assert sorted(result.picks.tolist()) == [1, 2, 3]
    assert result.beams.shape == (1, 3)  # a single distinct set of all three points


def test_equal_u_ties_go_to_the_parent_then_the_candidate_rank():
    # A=10, B=9, C=-8.5 all with doubt 0.5: every child of a step has the same U, so the
    # order is the parents' rank, then each parent's candidate rank (docs/method.md 5, step 3)
    features, labelled, _ = line_case()
    doubt = torch.tensor([0.0, 0.5, 0.5, 0.5])
    result = coreset_search(features, labelled, 2, doubt, weighted=False, beam_width=3)
    # step 1: {A} (candidate 1), {B} (candidate 2); step 2: {A}'s children {A,C}, {A,B}, then
    # {B}'s {B,C} ({B,A} is {A,B} again)
    assert result.beams.tolist() == [[1, 3], [1, 2], [2, 3]]
    assert len(set(result.beam_u.tolist())) == 1  # distinct sets, equal U
    expected = reference_beam(features.numpy(), labelled.numpy(), 2, doubt.numpy(), False, 3)
    assert result.beams.tolist() == [b.picks for b in expected]
    narrow = coreset_search(features, labelled, 2, doubt, weighted=False, beam_width=2)
    assert narrow.beams.tolist() == [[1, 3], [1, 2]]


@pytest.mark.parametrize("seed", range(4))
def test_equal_u_between_distinct_sets_matches_the_reference(seed):
    # doubt takes 3 values only: many distinct sets share a U exactly
    g = torch.Generator().manual_seed(seed)
    features = torch.rand(60, 3, generator=g, dtype=torch.float64)
    labelled = labelled_mask(60, 3, seed)
    doubt = torch.tensor([0.1, 0.3, 0.6], dtype=torch.float64)[torch.randint(3, (60,), generator=g)]
    for weighted in (False, True):
        result = coreset_search(features, labelled, 6, doubt, weighted, 4)
        expected = reference_beam(features.numpy(), labelled.numpy(), 6, doubt.numpy(), weighted, 4)
        assert result.beams.tolist() == [b.picks for b in expected]
        u = result.beam_u.tolist()
        assert len(set(u)) < len(u)  # the case has ties among the final beams


def reference_top(score: torch.Tensor, k: int) -> list[list[int]]:
    """Each row's k best (score descending, index ascending), the slow obvious way."""
    return [sorted(range(len(row)), key=lambda i: (-row[i], i))[:k] for row in score.tolist()]


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_candidates_with_ties_across_the_cut(k):
    score = torch.tensor(
        [
            [3.0, 1.0, 2.0, 2.0, 2.0, -1.0, 2.0],  # four 2s straddle the cut for k = 2..5
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0],  # all tied (zero doubt)
            [5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.0],  # no ties
            [1.0, 7.0, 1.0, 7.0, 1.0, 7.0, -1.0],  # ties above and at the cut
        ]
    )
    threshold = torch.topk(score, k, dim=1).values[:, -1:]
    assert bool(((score >= threshold).sum(dim=1) > k).any())  # the tie branch runs
    assert _top_candidates(score, k).tolist() == reference_top(score, k)


def test_top_candidates_without_ties():
    score = torch.rand(5, 50, generator=torch.Generator().manual_seed(0))
    assert _top_candidates(score, 7).tolist() == reference_top(score, 7)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_tied_distances_match_the_reference(seed, weighted):
    # integer features: many exactly equal min distances, so candidate lists cut through ties
    features = integer_ties(64, 6, seed).double()
    labelled = labelled_mask(64, 4, seed)
    doubt = torch.tensor([0.0, 0.25, 0.5], dtype=torch.float64)[
        torch.randint(3, (64,), generator=torch.Generator().manual_seed(seed))
    ]
    result = coreset_search(features, labelled, 8, doubt, weighted, 3)
    expected = reference_beam(features.numpy(), labelled.numpy(), 8, doubt.numpy(), weighted, 3)
    assert result.beams.tolist() == [b.picks for b in expected]


@pytest.mark.parametrize("width", [2, 5])
def test_zero_budget_with_beams(width):
    features = clustered(50, 4, 3, seed=0)
    labelled = labelled_mask(50, 5, 0)
    doubt = torch.rand(50, generator=torch.Generator().manual_seed(0)) * 0.9
    result = coreset_search(features, labelled, 0, doubt, True, width)
    assert result.picks.shape == (0,) and result.picks.dtype == torch.int64
    assert result.beams.shape == (1, 0) and result.scores.shape == (0,)
    assert result.beam_u.tolist() == [0.0]
    assert result.before == result.after == coreset_radii(features, labelled, doubt)
    pool = Pool(labelled, features, torch.rand(50, 3, generator=torch.Generator()).softmax(1))
    chosen = select("coreset", pool, 0, Options(weighted=True, beam_width=width))
    assert chosen.picks.shape == (0,) and chosen.before == chosen.after


@pytest.mark.parametrize("weighted", [False, True])
def test_zero_doubt_everywhere_with_beams(weighted):
    # U is 0 for every set: the parents' rank, then the candidates' rank decide
    features = torch.rand(40, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    labelled = labelled_mask(40, 3, 2)
    doubt = torch.zeros(40, dtype=torch.float64)
    result = coreset_search(features, labelled, 5, doubt, weighted, 4)
    expected = reference_beam(features.numpy(), labelled.numpy(), 5, doubt.numpy(), weighted, 4)
    assert result.beams.tolist() == [b.picks for b in expected]
    assert result.beam_u.tolist() == [0.0] * 4
    if weighted:  # all scores 0: each beam takes the smallest free indices
        assert result.picks.tolist() == (~labelled).nonzero().squeeze(1)[:5].tolist()
    else:  # the rank-1 beam of equal U is the greedy selection
        assert torch.equal(result.picks, coreset(features, labelled, 5))


@pytest.mark.parametrize("weighted", [False, True])
def test_budget_of_every_unlabelled_point_with_beams(weighted):
    features = torch.rand(12, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    labelled = labelled_mask(12, 3, 1)
    doubt = torch.rand(12, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 0.9
    result = coreset_search(features, labelled, 9, doubt, weighted, 3)
    expected = reference_beam(features.numpy(), labelled.numpy(), 9, doubt.numpy(), weighted, 3)
    assert result.beams.tolist() == [b.picks for b in expected]
    assert result.beams.shape == (1, 9)  # one set holds every unlabelled point
    assert result.after.radius == 0.0


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_pruning_gives_the_same_beams_in_float32(seed, weighted):
    # float32 is what production runs: lazy and eager must store the same values
    features = clustered(1500, 16, 8, seed)
    labelled = labelled_mask(1500, 20, seed)
    doubt = torch.rand(1500, generator=torch.Generator().manual_seed(seed)) * 0.9
    eager = coreset_search(features, labelled, 60, doubt, weighted, 6, lazy=False)
    lazy = coreset_search(features, labelled, 60, doubt, weighted, 6, lazy=True)
    assert torch.equal(eager.beams, lazy.beams)
    assert torch.equal(eager.scores, lazy.scores)
    assert torch.equal(eager.beam_u, lazy.beam_u)
    assert eager.after == lazy.after


@pytest.mark.slow
@pytest.mark.parametrize("direct_pairs", [0, 1 << 30])  # refreshes screened / direct
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["gaussian", "far", "vgg-like", "ties"])
def test_lazy_beams_store_what_eager_beams_store(monkeypatch, kind, dtype, direct_pairs):
    # hot sets of 6 rows a beam run dry every few steps: rows come back after many unseen
    # picks, in beams whose paths have parted
    monkeypatch.setattr(beam_module, "SHARE_ROWS", 6)
    monkeypatch.setattr(beam_module, "_SCREEN_PAIRS", 256)  # rebuilds screen in chunks
    monkeypatch.setattr(greedy_module, "_DIRECT_PAIRS", direct_pairs)
    features, labelled, doubt = lazy_inputs(kind, dtype, seed=5)
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    rebuilds = []
    original = beam_module._Beams._rebuild
    monkeypatch.setattr(
        beam_module._Beams, "_rebuild", lambda self, k: rebuilds.append(k) or original(self, k)
    )
    for weight in (None, doubt):
        eager = beam_search(space, start, labelled, 80, weight, doubt, 5, lazy=False)
        assert not rebuilds
        lazy = beam_search(space, start, labelled, 80, weight, doubt, 5, lazy=True)
        assert len(rebuilds) > 2  # built, and rebuilt as it ran dry
        rebuilds.clear()
        assert torch.equal(lazy.picks, eager.picks)
        assert torch.equal(lazy.scores, eager.scores)
        assert torch.equal(lazy.u, eager.u)
        assert torch.equal(lazy.distances.exact(), eager.distances.exact())


@pytest.mark.parametrize("near_pairs", [0, 1 << 20])  # steps screen their centres / look up
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_lazy_beams_equal_the_reference_in_float64_and_float32(
    monkeypatch, seed, weighted, near_pairs
):
    monkeypatch.setattr(beam_module, "SHARE_ROWS", 4)
    monkeypatch.setattr(beam_module, "_NEAR_PAIRS", near_pairs)
    tables = []
    screen_hot = beam_module._Beams._screen_hot
    record = lambda self: tables.append(screen_hot(self)) or tables[-1]  # noqa: E731
    monkeypatch.setattr(beam_module._Beams, "_screen_hot", record)
    features = integer_ties(64, 6, seed)  # distances exact in float32 as well
    labelled = labelled_mask(64, 4, seed)
    doubt = torch.tensor([0.0, 0.25, 0.5])[
        torch.randint(3, (64,), generator=torch.Generator().manual_seed(seed))
    ]
    expected = reference_beam(
        features.double().numpy(), labelled.numpy(), 12, doubt.double().numpy(), weighted, 3
    )
    for dtype in (torch.float64, torch.float32):
        result = coreset_search(features.to(dtype), labelled, 12, doubt.to(dtype), weighted, 3)
        assert result.beams.tolist() == [b.picks for b in expected]
    built = [table for table in tables if table is None or table.size > 0]  # not the empty set
    assert built and all((table is None) == (near_pairs == 0) for table in built)
