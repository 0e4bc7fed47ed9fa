import math

import pytest
import torch

from alcore.select import (
    doubt_from_probs,
    entropy,
    entropy_of,
    least_confidence,
    margin,
    margin_of,
    random_selection,
)

PROBS = torch.tensor(
    [
        [0.9, 0.05, 0.05],  # confident
        [0.4, 0.35, 0.25],  # doubt .6, small margin .05
        [0.5, 0.5, 0.0],  # doubt .5, margin 0
        [0.34, 0.33, 0.33],  # doubt .66, near-uniform: top entropy
        [0.4, 0.35, 0.25],  # same as row 1: ties go to the smaller index
    ]
)
NONE_LABELLED = torch.zeros(5, dtype=torch.bool)


def test_measures_by_hand():
    assert doubt_from_probs(PROBS).tolist() == pytest.approx([0.1, 0.6, 0.5, 0.66, 0.6])
    assert margin_of(PROBS).tolist() == pytest.approx([0.85, 0.05, 0.0, 0.01, 0.05], abs=1e-6)
    assert float(entropy_of(PROBS)[2]) == pytest.approx(math.log(2))  # 0 log 0 = 0


def test_least_confidence_ranks_by_doubt_with_index_ties():
    assert least_confidence(PROBS, NONE_LABELLED, 3).tolist() == [3, 1, 4]


def test_entropy_prefers_flat_predictions():
    assert entropy(PROBS, NONE_LABELLED, 2).tolist() == [3, 1]


def test_margin_prefers_close_calls():
    assert margin(PROBS, NONE_LABELLED, 3).tolist() == [2, 3, 1]


def test_labelled_points_are_never_picked():
    labelled = torch.tensor([False, False, False, True, False])
    assert least_confidence(PROBS, labelled, 2).tolist() == [1, 4]


def test_probs_are_checked():
    with pytest.raises(ValueError, match="softmax outputs, not logits"):
        least_confidence(PROBS * 3 - 1, NONE_LABELLED, 1)
    with pytest.raises(ValueError, match="sum to 1"):
        entropy(PROBS * 0.5, NONE_LABELLED, 1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        margin(torch.ones(5, 1), NONE_LABELLED, 1)


def test_random_is_seeded_unique_and_unlabelled():
    labelled = torch.zeros(100, dtype=torch.bool)
    labelled[::3] = True
    first = random_selection(labelled, 20, torch.Generator().manual_seed(5))
    again = random_selection(labelled, 20, torch.Generator().manual_seed(5))
    other = random_selection(labelled, 20, torch.Generator().manual_seed(6))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert len(set(first.tolist())) == 20
    assert not bool(labelled[first].any())


def test_random_needs_a_generator():
    with pytest.raises(ValueError, match=r"explicit torch\.Generator"):
        random_selection(NONE_LABELLED, 1, None)  # type: ignore[arg-type]
