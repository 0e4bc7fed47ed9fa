import math

import numpy as np
import pytest
import reference_probcover as ref
import torch
from cases import clustered, labelled_mask

from alcore.select import Options, Pool, select
from alcore.select import probcover as module
from alcore.select.probcover import ALPHA, _other_label_sq, _Space, pair_sq, probcover


def uniforms(seed, count):
    return torch.rand(count, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def against_reference(features, labelled, n_classes, budget, seed, block_size):
    found = probcover(
        features, labelled, n_classes, budget, torch.Generator().manual_seed(seed),
        block_size=block_size,
    )  # fmt: skip
    k = min(n_classes, features.shape[0])
    draws = uniforms(seed, k + budget).numpy()
    picks, gains, greedy, delta2, labels = ref.probcover(
        features.numpy(), labelled.numpy(), n_classes, budget, draws
    )
    assert found.labels is not None and found.labels.tolist() == labels.tolist()
    assert found.picks.tolist() == picks
    assert found.covered.tolist() == gains
    assert found.greedy == greedy
    # delta is reported as sqrt(delta^2): equal up to that rounding
    assert found.delta == pytest.approx(math.sqrt(delta2), rel=1e-15, abs=0.0)
    return found


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("n", "d", "groups", "classes", "n_labelled", "budget", "seed", "spread"),
    [
        (50, 4, 3, 3, 0, 30, 0, 3.0),  # reaches the random tail
        (60, 5, 4, 4, 3, 25, 1, 2.0),
        (40, 3, 2, 5, 5, 35, 2, 8.0),  # budget = every unlabelled point
        (55, 8, 5, 2, 2, 12, 3, 0.5),
        (30, 2, 3, 3, 1, 20, 4, 20.0),
        (60, 6, 1, 10, 6, 40, 5, 1.0),
    ],
)
def test_matches_the_reference(n, d, groups, classes, n_labelled, budget, seed, spread, dtype):
    features = clustered(n, d, groups, seed=seed, spread=spread).to(dtype)
    labelled = labelled_mask(n, n_labelled, seed)
    against_reference(features, labelled, classes, budget, seed, block_size=7)


def test_the_reference_cases_cover_both_parts():
    # the parametrised cases above must exercise greedy picks AND the random tail
    mixed = against_reference(
        clustered(50, 4, 3, seed=0, spread=3.0), labelled_mask(50, 0, 0), 3, 30, 0, 7
    )
    assert 0 < mixed.greedy < 30
    assert (mixed.covered[mixed.greedy :] == 0).all() and (mixed.covered[: mixed.greedy] > 0).all()


def test_pair_sq_does_not_depend_on_the_batch():
    points = torch.randn(30, 37, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    rows, cols = torch.meshgrid(torch.arange(30), torch.arange(30), indexing="ij")
    together = pair_sq(points, rows.reshape(-1), cols.reshape(-1)).reshape(30, 30)
    alone = torch.stack(
        [pair_sq(points, torch.tensor([i]), torch.tensor([j]))[0] for i, j in [(3, 7), (7, 3)]]
    )
    assert alone[0] == together[3, 7] == together[7, 3] == alone[1]
    assert torch.equal(together, together.T)
    assert np.array_equal(together.numpy(), ref.pair_sq_matrix(points.numpy()))  # bit for bit


def brute_purity(points, labels, delta):
    """The definition: a point is pure if every point at distance < delta shares its label."""
    d = torch.cdist(points, points)
    ball = d < delta
    other = labels[:, None] != labels[None, :]
    return int((~(ball & other).any(dim=1)).sum()) / points.shape[0]


def test_the_purity_rule_by_hand():
    # on a line: class 0 at -1..-20, class 1 at +1..+20, so r_x = i + 1 for x = -i and +i:
    # r in {2, ..., 21} twice. ceil(0.95 * 40) = 38: the 38th largest r is 3.
    points = torch.cat([-torch.arange(1.0, 21.0), torch.arange(1.0, 21.0)])[:, None].double()
    labels = torch.tensor([0] * 20 + [1] * 20)
    for block in (3, 1024):
        r2 = _other_label_sq(_Space.of(points), labels, block, None)
        assert r2.tolist() == [float((i + 1) ** 2) for i in range(1, 21)] * 2
        assert module.purity_threshold(r2) == 9.0
    assert math.ceil(ALPHA * 40) == 38 and math.ceil(ALPHA * 20) == 19  # exact, not 0.95 * N
    assert brute_purity(points, labels, 3.0) == 0.95
    for larger in (math.nextafter(3.0, math.inf), 3.5, 4.0, 100.0):
        assert brute_purity(points, labels, larger) < 0.95


def test_the_purity_rule_through_the_strategy():
    # the same layout on an arc of the unit circle (normalisation keeps it): 2-means splits
    # the two halves, and r_x = chord(0.05 (i + 1)): delta = chord(0.15)
    steps = 0.05 * torch.arange(1.0, 21.0, dtype=torch.float64)
    angles = torch.cat([-steps, steps])
    points = torch.stack([angles.cos(), angles.sin()], dim=1)
    found = probcover(points, torch.zeros(40, dtype=torch.bool), 2, 3, torch.Generator())
    assert found.labels is not None
    halves = found.labels[:20], found.labels[20:]
    assert (halves[0] == halves[0][0]).all() and (halves[1] == halves[1][0]).all()
    assert halves[0][0] != halves[1][0]
    assert found.delta == pytest.approx(2 * math.sin(0.15 / 2), rel=1e-12)
    assert found.purity == 0.95
    # the boundary pair itself is decided by the strategy's own d2 (see the reference tests);
    # by cdist's rounding, only just inside and outside delta are meaningful
    assert brute_purity(points, found.labels, found.delta * (1 - 1e-9)) == 0.95
    assert brute_purity(points, found.labels, found.delta * (1 + 1e-9)) < 0.95


def layout():
    """60 unit-norm points in 3-D: a dense cluster A (40) near e1, B (12) near e2, and 8
    outliers in other directions, shuffled. Returns (features, group of each point)."""
    g = torch.Generator().manual_seed(0)
    e = torch.eye(3, dtype=torch.float64)
    a = e[0] + 0.03 * torch.randn(40, 3, generator=g, dtype=torch.float64)
    b = e[1] + 0.03 * torch.randn(12, 3, generator=g, dtype=torch.float64)
    outliers = torch.tensor(
        [[0, 0, 1], [-1, 0, 0], [0, -1, 0], [0, 0, -1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1],
         [1, 1, 1]],
        dtype=torch.float64,
    )  # fmt: skip
    order = torch.randperm(60, generator=g)
    group = torch.tensor([0] * 40 + [1] * 12 + [2] * 8)
    return torch.cat([a, b, outliers])[order], group[order]


def layout_pool(labelled):
    features, _ = layout()
    probs = torch.full((60, 3), 1 / 3, dtype=torch.float64)  # C = 3 pseudo-classes
    return Pool(labelled, features, probs)


def test_known_coverage_behaviour():
    features, group = layout()
    # select needs a labelled point: the outlier (0, 0, 1), whose ball holds only itself
    one = (features == torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)).all(dim=1)
    result = select("probcover", layout_pool(one), 15, Options(generator=torch.Generator()))
    picks, scores = result.picks.tolist(), result.scores
    assert group[picks[0]] == 0 and group[picks[1]] == 1  # the densest region first, then B
    assert scores[0] >= 40 and scores[1] >= 12
    assert len(set(picks)) == 15
    greedy = int((scores > 0).sum())
    assert 2 < greedy < 15 and (scores[greedy:] == 0).all()
    assert (scores[:greedy].diff() <= 0).all()  # max coverage: the gains never rise
    assert float(scores.sum()) == 59  # every other point covered exactly once
    # a labelled point in B covers B: no greedy pick there, and no labelled point is picked
    labelled = torch.zeros(60, dtype=torch.bool)
    labelled[(group == 1).nonzero()[0]] = True
    started = select("probcover", layout_pool(labelled), 15, Options(generator=torch.Generator()))
    greedy = int((started.scores > 0).sum())
    assert group[started.picks[:greedy]].ne(1).all() and group[started.picks[0]] == 0
    assert not labelled[started.picks].any() and len(set(started.picks.tolist())) == 15
    assert started.before is not None and started.after is not None  # the radii, as every kind


def test_determinism_through_select():
    features = clustered(120, 6, 4, seed=6, spread=2.0)
    probs = torch.softmax(torch.randn(120, 4, generator=torch.Generator().manual_seed(6)), 1)
    p = Pool(labelled_mask(120, 6, 6), features, probs)
    budget = 100  # far past the greedy part: the random tail shows the seed

    def run(seed):
        return select(
            "probcover", p, budget, Options(generator=torch.Generator().manual_seed(seed))
        )

    first, again, other = run(1), run(1), run(2)
    assert torch.equal(first.picks, again.picks) and torch.equal(first.scores, again.scores)
    assert first.picks.tolist() != other.picks.tolist()
    for result in (first, other):
        assert result.picks.dtype == torch.int64 and result.scores.dtype == torch.float64
        assert len(set(result.picks.tolist())) == budget
        assert not p.labelled[result.picks].any()


def test_a_single_pseudo_label():
    # identical points: k-means leaves one cluster, delta = inf, a ball is the whole pool
    features = torch.ones(12, 3)
    none = torch.zeros(12, dtype=torch.bool)
    found = against_reference(features, none, 3, 5, 0, 1024)
    assert found.delta == math.inf and found.purity == 1.0
    assert found.picks[0] == 0 and found.covered.tolist() == [12.0, 0, 0, 0, 0]
    # one class: the same, and a labelled point already covers everything
    some = labelled_mask(12, 2, 1)
    found = against_reference(clustered(12, 3, 2, seed=1), some, 1, 6, 3, 1024)
    assert found.greedy == 0 and found.delta == math.inf


def test_a_pool_larger_than_a_block_matches_without_n_by_n(monkeypatch):
    n, block = 3000, 256
    features = clustered(n, 16, 8, seed=7, spread=6.0)
    labelled = labelled_mask(n, 30, 7)
    shapes = []
    screen = module._screen

    def recording(space, rows, cols):
        shapes.append((rows.shape[0], cols.stop - cols.start))
        return screen(space, rows, cols)

    monkeypatch.setattr(module, "_screen", recording)
    found = against_reference(features, labelled, 8, 40, 7, block)
    assert found.greedy == 40
    assert max(r * k for r, k in shapes) <= block * block < n * n  # never N x N
    assert len(shapes) > 2 * (n // block) ** 2  # the passes went by tiles


def test_budget_zero_and_progress():
    features = clustered(80, 4, 3, seed=8)
    labelled = labelled_mask(80, 4, 8)
    empty = probcover(features, labelled, 3, 0, torch.Generator())
    assert empty.picks.shape == (0,) and empty.covered.shape == (0,)
    calls = []
    found = probcover(
        features, labelled, 3, 76, torch.Generator().manual_seed(0),
        block_size=16, progress=lambda *call: calls.append(call),
    )  # fmt: skip
    phases = {phase for phase, _, _ in calls}
    assert phases == {"purity", "degrees", "picks"}
    for phase in phases:
        last = [(done, total) for name, done, total in calls if name == phase][-1]
        assert last[0] == last[1]
    assert calls[-1] == ("picks", 76, 76)
    assert sorted(found.picks.tolist()) == (~labelled).nonzero().squeeze(1).tolist()


def test_refusals():
    features = clustered(20, 3, 2, seed=9)
    labelled = labelled_mask(20, 2, 9)
    with pytest.raises(ValueError, match="n_classes=0"):
        probcover(features, labelled, 0, 3, torch.Generator())
    with pytest.raises(ValueError, match="exceeds the 18 unlabelled"):
        probcover(features, labelled, 2, 19, torch.Generator())
    with pytest.raises(ValueError, match=r"torch\.Generator"):
        probcover(features, labelled, 2, 3, None)
    with pytest.raises(ValueError, match="needs probs"):
        select("probcover", Pool(labelled, features), 3, Options(generator=torch.Generator()))
    with pytest.raises(ValueError, match="generator"):
        probs = torch.full((20, 2), 0.5)
        select("probcover", Pool(labelled, features, probs), 3, Options())
