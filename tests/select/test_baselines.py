import math

import numpy as np
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


READERS = {
    "doubt_from_probs": lambda p: doubt_from_probs(p),
    "entropy_of": lambda p: entropy_of(p),
    "margin_of": lambda p: margin_of(p),
    "least_confidence": lambda p: least_confidence(p, NONE_LABELLED, 2),
    "entropy": lambda p: entropy(p, NONE_LABELLED, 2),
    "margin": lambda p: margin(p, NONE_LABELLED, 2),
}


def not_probabilities():
    """(name, scores, message) for class scores that must never be read as probabilities."""
    logits = torch.log(PROBS.clamp(min=1e-6)) * 2.0  # log-probabilities scaled: all <= 0
    nan = PROBS.clone()
    nan[3, 1] = float("nan")
    return [
        ("logits", PROBS * 6 - 1, r"lie in \[0, 1\].*logits.*softmax\(dim=1\)"),
        ("log-probabilities", logits, r"lie in \[0, 1\].*softmax\(dim=1\)"),
        ("halved", PROBS * 0.5, r"sum to 1 \(within 0\.01\), row 0 sums to 0\.5.*softmax"),
        ("doubled", PROBS * 2.0 - PROBS.min(), r"lie in \[0, 1\]|sum to 1"),
        ("negative", PROBS - 0.01 + torch.tensor([0.03, 0.0, 0.0]), r"lie in \[0, 1\]"),
        ("sigmoid", torch.sigmoid(torch.randn(5, 3, generator=torch.Generator().manual_seed(0))),
         "sum to 1"),
        ("nan", nan, r"NaN or inf in 1 row\(s\) \(first: row 3\).*retrain"),
        ("inf", PROBS.masked_fill(PROBS == 0.0, float("inf")), "NaN or inf"),
        ("1-D", PROBS[:, 0], r"\(N, C\) floating tensor"),
        ("integer", (PROBS > 0.3).long(), r"\(N, C\) floating tensor"),
    ]  # fmt: skip


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize(("name", "scores", "message"), not_probabilities())
def test_every_reader_refuses_what_is_not_probabilities(reader, name, scores, message):
    with pytest.raises(ValueError, match=message):
        READERS[reader](scores)


@pytest.mark.parametrize("reader", ["margin_of", "margin"])
def test_margin_needs_two_classes(reader):
    one_class = torch.ones(5, 1)  # valid probabilities of a single class
    with pytest.raises(ValueError, match=r"1 class column.*at least 2.*least_confidence"):
        READERS[reader](one_class)
    # and the suggested strategies work on it: every point is certain, ties to small indices
    assert least_confidence(one_class, NONE_LABELLED, 3).tolist() == [0, 1, 2]
    assert entropy(one_class, NONE_LABELLED, 3).tolist() == [0, 1, 2]


def test_probs_must_match_the_pool():
    with pytest.raises(ValueError, match="probs has 5 rows but the pool has 4 points"):
        least_confidence(PROBS, torch.zeros(4, dtype=torch.bool), 1)
    with pytest.raises(ValueError, match=r"bool tensor mask.*mask\[indices\] = True"):
        entropy(PROBS, torch.tensor([0, 0, 9]), 1)  # labelled indices, repeated, out of range
    meta = torch.zeros(5, dtype=torch.bool, device="meta")
    with pytest.raises(
        ValueError, match="probs live on cpu but the labelled mask on meta; move both"
    ):
        margin(PROBS, meta, 1)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_probs_are_read_in_float32(dtype):
    logits = torch.randn(300, 10, generator=torch.Generator().manual_seed(1)) * 3
    probs = logits.softmax(dim=1).to(dtype)  # rounded: rows sum to 1 only within the dtype
    widened = probs.float()  # the same values, exactly
    assert doubt_from_probs(probs).dtype == torch.float32
    assert torch.equal(doubt_from_probs(probs), doubt_from_probs(widened))
    assert torch.equal(entropy_of(probs), entropy_of(widened))
    assert torch.equal(margin_of(probs), margin_of(widened))
    labelled = torch.zeros(300, dtype=torch.bool)
    for pick in (least_confidence, entropy, margin):
        assert torch.equal(pick(probs, labelled, 40), pick(widened, labelled, 40))


def test_doubt_is_clamped_to_its_range():
    c = 3
    probs = torch.tensor(
        [
            [1.0, 0.0, 0.0],  # certain: doubt 0
            [1 / 3, 1 / 3, 1 / 3],  # uniform (rounded): doubt 1 - 1/C at most
            [0.3333, 0.3333, 0.3333],  # sums to 0.9999: 1 - max would exceed 1 - 1/C
            [0.5, 0.25, 0.25],
        ]
    )
    doubt = doubt_from_probs(probs)
    high = torch.tensor(1.0 - 1.0 / c, dtype=doubt.dtype)
    assert bool((doubt >= 0).all()) and bool((doubt <= high).all())
    assert doubt[0] == 0.0 and doubt[2] == high and doubt[3] == 0.5
    # inside the range the clamp changes nothing: exactly 1 - max
    raw = 1.0 - probs.max(dim=1).values
    inside = (raw >= 0) & (raw <= high)
    assert torch.equal(doubt[inside], raw[inside])
    assert doubt_from_probs(torch.ones(4, 1)).tolist() == [0.0] * 4  # one class: certain


def test_budget_accepts_integer_types_and_refuses_floats():
    expected = least_confidence(PROBS, NONE_LABELLED, 3)
    for count in (np.int64(3), torch.tensor(3)):
        assert torch.equal(least_confidence(PROBS, NONE_LABELLED, count), expected)
        picks = random_selection(NONE_LABELLED, count, torch.Generator().manual_seed(0))
        again = random_selection(NONE_LABELLED, 3, torch.Generator().manual_seed(0))
        assert torch.equal(picks, again)
    with pytest.raises(ValueError, match=r"budget=3\.0 \(float\) must be an integer"):
        entropy(PROBS, NONE_LABELLED, 3.0)
    with pytest.raises(ValueError, match="budget=6 exceeds the 5 unlabelled points; pass a "):
        margin(PROBS, NONE_LABELLED, 6)
    assert least_confidence(PROBS, NONE_LABELLED, 0).shape == (0,)
    assert sorted(least_confidence(PROBS, NONE_LABELLED, 5).tolist()) == list(range(5))


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
