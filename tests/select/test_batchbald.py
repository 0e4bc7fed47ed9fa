"""BatchBALD against brute force (every configuration enumerated) and a replay of its draws."""

import math

import numpy as np
import pytest
import reference_batchbald as ref
import torch

from alcore.select import Options, Pool, select
from alcore.select.bald import bald_scores
from alcore.select.batchbald import (
    BLOCK_ELEMENTS,
    SAMPLED_CONFIGURATIONS,
    _batchbald,
    _conditional_entropies,
    _exact_configurations,
    _sampled_configurations,
    batchbald_selection,
)


def random_passes(passes, n_points, n_classes, seed, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    logits = scale * torch.randn(passes, n_points, n_classes, generator=g, dtype=torch.float64)
    return logits.softmax(dim=2)


def with_zeros(mc, seed):
    """Some probabilities exactly 0 (rows renormalised): configurations impossible under some
    or every pass."""
    g = torch.Generator().manual_seed(seed)
    keep = torch.rand(mc.shape, generator=g) > 0.3
    keep[..., 0] = True  # every row keeps a class
    mc = mc * keep
    return mc / mc.sum(dim=2, keepdim=True)


def mask(n_points, indices):
    labelled = torch.zeros(n_points, dtype=torch.bool)
    labelled[list(indices)] = True
    return labelled


@pytest.mark.parametrize(
    ("n_points", "n_classes", "passes", "budget", "seed", "zeros"),
    [
        (12, 3, 6, 4, 1, False),
        (12, 2, 5, 4, 2, False),
        (10, 3, 4, 4, 3, True),
        (9, 3, 1, 3, 4, False),  # one pass: no disagreement, every gain 0
        (11, 1, 3, 2, 5, False),  # one class: nothing to learn
    ],
)
def test_exact_regime_matches_brute_force(n_points, n_classes, passes, budget, seed, zeros):
    mc = random_passes(passes, n_points, n_classes, seed)
    if zeros:
        mc = with_zeros(mc, seed)
    labelled = mask(n_points, [0, 5])
    found = _batchbald(mc, labelled, budget, torch.Generator().manual_seed(0))
    picks, scores = ref.reference_batchbald(mc.numpy(), labelled.numpy(), budget)
    assert found.picks.tolist() == picks
    assert found.scores.dtype == torch.float64
    np.testing.assert_allclose(found.scores.numpy(), scores, rtol=0, atol=1e-10)
    # the gains add up to a_BatchBALD of the batch (telescoping, exact regime)
    total = ref.batchbald_value(mc.numpy(), picks)
    assert found.scores.sum().item() == pytest.approx(max(total, 0.0), abs=1e-10)
    if passes == 1 or n_classes == 1:
        assert found.scores.abs().max().item() < 1e-15


def test_first_pick_is_balds_top_point():
    mc = random_passes(7, 50, 4, seed=11)
    mc[:, 30] = mc[:, 20]  # a tie with BALD's top point, whichever it is
    labelled = mask(50, [1, 2, 3])
    bald = bald_scores(mc)
    bald[labelled] = -math.inf
    top = int(torch.argmax(bald))
    found = select("batchbald", Pool(labelled, mc_probs=mc), 1,
                   Options(generator=torch.Generator().manual_seed(0)))  # fmt: skip
    assert found.picks.tolist() == [top]
    assert found.scores.item() == bald[top].item()  # bit for bit
    longer = select("batchbald", Pool(labelled, mc_probs=mc), 5,
                    Options(generator=torch.Generator().manual_seed(0)))  # fmt: skip
    assert longer.picks[0].item() == top  # greedy: a longer batch extends the shorter one


def test_identical_passes_give_zero():
    one = random_passes(1, 15, 3, seed=6)
    mc = one.expand(5, 15, 3).clone()  # the weights agree on everything
    found = _batchbald(mc, mask(15, [0]), 6, torch.Generator().manual_seed(0), samples=20)
    assert found.scores.min().item() >= 0.0
    assert found.scores.max().item() < 1e-15  # sampled steps too (3^3 > 20)


def test_does_not_pick_a_copy_when_a_distinct_informative_point_exists():
    # point 0: passes disagree as (0, 2) against (1, 3); point 1 copies it; point 2 disagrees
    # as (0, 1) against (2, 3), a little less confidently; the rest are uninformative
    a = [[0.95, 0.05], [0.05, 0.95], [0.95, 0.05], [0.05, 0.95]]
    b = [[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]]
    flat = [[0.5, 0.5]] * 4
    mc = torch.tensor([a, a, b, flat, flat, flat], dtype=torch.float64).transpose(0, 1)
    labelled = mask(6, [5])
    bald = select("bald", Pool(labelled, mc_probs=mc), 2)
    assert bald.picks.tolist() == [0, 1]  # BALD takes the copy
    options = Options(generator=torch.Generator().manual_seed(0))
    found = select("batchbald", Pool(labelled, mc_probs=mc), 2, options)
    assert found.picks.tolist() == [0, 2]
    # the copy's gain given point 0 is small but positive: its label is noisy given the weights
    _, scores = ref.reference_batchbald(mc.numpy(), labelled.numpy(), 2)
    np.testing.assert_allclose(found.scores.numpy(), scores, atol=1e-12)
    copy_gain = ref.batchbald_value(mc.numpy(), [0, 1]) - ref.batchbald_value(mc.numpy(), [0])
    assert 0 < copy_gain < found.scores[1].item() / 2


@pytest.mark.parametrize(
    ("samples", "passes", "seed", "zeros"),
    # samples=9: 3^2 configurations are still enumerated, 3^3 are drawn
    [(8, 4, 21, False), (5, 4, 22, True), (2, 3, 23, False), (30, 5, 24, False), (9, 4, 25, False)],
)
def test_sampled_regime_replays_the_draws(samples, passes, seed, zeros):
    n_points, n_classes, budget = 10, 3, 5
    mc = random_passes(passes, n_points, n_classes, seed, scale=2.0)
    if zeros:
        mc = with_zeros(mc, seed)
    labelled = mask(n_points, [4])
    found = _batchbald(mc, labelled, budget, torch.Generator().manual_seed(seed), samples=samples)
    picks, scores = ref.reference_batchbald(
        mc.numpy(), labelled.numpy(), budget, torch.Generator().manual_seed(seed), samples
    )
    assert found.picks.tolist() == picks
    np.testing.assert_allclose(found.scores.numpy(), scores, rtol=0, atol=1e-10)


def test_sampled_estimate_is_close_to_the_exact_joint_entropy():
    passes, n_classes, samples = 5, 3, 100_000
    mc = random_passes(passes, 12, n_classes, seed=31, scale=2.0)
    picks, others = [0, 1, 2], list(range(3, 12))
    pick_probs = mc[:, picks]
    exact = _exact_configurations(pick_probs)
    drawn = _sampled_configurations(pick_probs, samples, torch.Generator().manual_seed(7))
    per_pass = samples // passes
    assert drawn.sampled and drawn.log_joint.shape == (passes * per_pass, passes)
    exact_h = exact.entropy() + _conditional_entropies(exact, mc[:, others], BLOCK_ELEMENTS)
    drawn_h = drawn.entropy() + _conditional_entropies(drawn, mc[:, others], BLOCK_ELEMENTS)
    for j, x in enumerate(others):
        truth, std = ref.stratified_joint_entropy_moments(mc.numpy(), picks, x, per_pass)
        assert exact_h[j].item() == pytest.approx(truth, abs=1e-12)
        # 5 standard deviations of the mean of T * S draws: fails by chance with p < 1e-6
        assert abs(drawn_h[j].item() - truth) <= 5 * std, (x, drawn_h[j].item(), truth, std)
        assert std < 5e-3  # the bound is informative at this M


def test_blocks_do_not_change_the_result():
    mc = random_passes(4, 30, 3, seed=41)
    labelled = mask(30, [0, 1])
    whole = _batchbald(mc, labelled, 6, torch.Generator().manual_seed(1), samples=50)
    for block in (1, 7, 100):
        parts = _batchbald(mc, labelled, 6, torch.Generator().manual_seed(1), samples=50,
                           block_elements=block)  # fmt: skip
        assert torch.equal(parts.picks, whole.picks)
        np.testing.assert_allclose(parts.scores.numpy(), whole.scores.numpy(), atol=1e-13)


def test_select_is_deterministic_and_picks_distinct_unlabelled_points():
    mc = random_passes(6, 40, 10, seed=51, scale=2.0).to(torch.float32)
    labelled = mask(40, [0, 3, 9, 17, 33])
    budget = 6  # 10^5 > SAMPLED_CONFIGURATIONS >= 10^4: the last pick is sampled
    assert 10 ** (budget - 1) > SAMPLED_CONFIGURATIONS >= 10 ** (budget - 2)
    seen = []

    def run(seed):
        options = Options(generator=torch.Generator().manual_seed(seed),
                          progress=lambda *call: seen.append(call))  # fmt: skip
        return select("batchbald", Pool(labelled, mc_probs=mc), budget, options)

    first, again = run(5), run(5)
    assert torch.equal(first.picks, again.picks) and torch.equal(first.scores, again.scores)
    assert first.picks.dtype == torch.int64 and first.scores.dtype == torch.float64
    assert len(set(first.picks.tolist())) == budget
    assert not bool(labelled[first.picks].any())
    assert bool((first.scores >= 0).all())
    assert seen[:budget] == [("picks", i, budget) for i in range(1, budget + 1)]
    # through the public function too, and with features the radii are reported
    direct = batchbald_selection(mc, labelled, budget, torch.Generator().manual_seed(5))
    assert torch.equal(direct.picks, first.picks)
    features = torch.randn(40, 3, generator=torch.Generator().manual_seed(2))
    options = Options(generator=torch.Generator().manual_seed(5))
    with_radii = select("batchbald", Pool(labelled, features, mc_probs=mc), budget, options)
    assert torch.equal(with_radii.picks, first.picks)
    assert with_radii.after is not None and with_radii.before is not None
    assert with_radii.after.radius <= with_radii.before.radius
    empty = select("batchbald", Pool(labelled, mc_probs=mc), 0, options)
    assert empty.picks.shape == (0,) and empty.scores.shape == (0,)


def test_refusals_name_the_problem():
    labelled = torch.tensor([True, False, False, False, False])
    mc = torch.full((3, 5, 2), 0.5)
    seeded = Options(generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="needs mc_probs"):
        select("batchbald", Pool(labelled, probs=torch.full((5, 2), 0.5)), 1, seeded)
    with pytest.raises(ValueError, match="draws random numbers"):
        select("batchbald", Pool(labelled, mc_probs=mc), 1)
    with pytest.raises(ValueError, match="exceeds the 4 unlabelled"):
        select("batchbald", Pool(labelled, mc_probs=mc), 5, seeded)
    with pytest.raises(ValueError, match=r"\(T, N, C\)"):
        batchbald_selection(torch.full((5, 2), 0.5), labelled, 1, torch.Generator())
    with pytest.raises(ValueError, match="softmax"):
        batchbald_selection(torch.randn(3, 5, 2), labelled, 1, torch.Generator())
    with pytest.raises(ValueError, match=r"CPU torch\.Generator"):
        batchbald_selection(mc, labelled, 1, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        batchbald_selection(mc, labelled[:4], 1, torch.Generator())
