import math

import numpy as np
import pytest
import torch
from cases import clustered, labelled_mask
from reference import beam as reference_beam

from alcore.select import coreset, coreset_search
from alcore.select.beam import beam_search
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


@pytest.mark.parametrize("prune", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_width_one_is_greedy(weighted, prune):
    features = clustered(800, 16, 6, seed=4)
    labelled = labelled_mask(800, 9, 4)
    doubt = torch.rand(800, generator=torch.Generator().manual_seed(4)) * 0.9
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    weight = doubt if weighted else None
    by_greedy = greedy(space, start, labelled, 120, weight, prune)
    by_beam = beam_search(space, start, labelled, 120, weight, doubt, 1, prune)
    assert torch.equal(by_beam.picks[0], by_greedy.picks)
    assert torch.equal(by_beam.scores[0], by_greedy.scores)
    assert torch.equal(by_beam.min_distance, by_greedy.min_distance)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_pruning_gives_the_same_beams(seed, weighted):
    features = clustered(1500, 16, 8, seed).double()
    labelled = labelled_mask(1500, 20, seed)
    doubt = torch.rand(1500, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    dense = coreset_search(features, labelled, 60, doubt * 0.9, weighted, 6, prune=False)
    pruned = coreset_search(features, labelled, 60, doubt * 0.9, weighted, 6, prune=True)
    assert torch.equal(dense.beams, pruned.beams)
    assert torch.equal(dense.beam_u, pruned.beam_u)


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
