import numpy as np
import pytest
import torch
from cases import clustered, labelled_mask
from reference import beam as reference_beam

from alcore.catalog.strategies import KINDS
from alcore.select import (
    Options,
    Pool,
    coreset,
    coreset_radii,
    doubt_from_probs,
    select,
)
from alcore.select.strategies import strategy_of


def pool(with_probs=True):
    features = clustered(200, 6, 3, seed=2)
    logits = torch.randn(200, 3, generator=torch.Generator().manual_seed(2))
    probs = logits.softmax(dim=1) if with_probs else None
    # bald's stochastic passes: the logits with noise of their own
    noise = torch.randn(4, 200, 3, generator=torch.Generator().manual_seed(3))
    mc_probs = (logits + noise).softmax(dim=2) if with_probs else None
    return Pool(labelled_mask(200, 10, 2), features, probs, mc_probs)


def test_every_catalogued_kind_runs_its_named_function():
    assert {"random", "coreset"} <= set(KINDS)  # the paper's baselines
    for name, entry in KINDS.items():
        assert callable(strategy_of(name)), f"{name}: {entry.run} is not a function"


def options_for(kind):
    """Options a kind can run with: a seeded generator for the ones that draw."""
    stochastic = KINDS[kind].stochastic
    return Options(generator=torch.Generator().manual_seed(0) if stochastic else None)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_returns_valid_picks_and_radii(kind):
    p = pool()
    result = select(kind, p, 15, options_for(kind))
    assert result.picks.shape == (15,)
    assert len(set(result.picks.tolist())) == 15
    assert not bool(p.labelled[result.picks].any())
    assert result.before is not None and result.after is not None
    assert result.after.radius <= result.before.radius
    assert result.u > 0


def test_coreset_kind_is_the_papers_beam_search():
    p = pool()
    doubt = p.doubt()
    result = select("coreset", p, 12, Options(weighted=True, beam_width=3))
    x, mask = p.features.double().numpy(), p.labelled.numpy()
    beams = reference_beam(x, mask, 12, doubt.double().numpy(), True, 3)
    assert result.beams.tolist() == [b.picks for b in beams]
    assert result.picks.tolist() == beams[0].picks
    expected_u = [float(b.u_sum) / 12 for b in beams]  # U: the mean -log confidence
    assert result.beam_u.tolist() == pytest.approx(expected_u, rel=1e-9)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown strategy kind 'kcenter'"):
        select("kcenter", pool(), 1)
    with pytest.raises(ValueError, match="needs probs"):
        select("entropy", pool(with_probs=False), 1)
    with pytest.raises(ValueError, match="needs class probabilities"):
        select("coreset", pool(with_probs=False), 1, Options(weighted=True))
    with pytest.raises(ValueError, match="coreset kind only"):
        select("margin", pool(), 1, Options(beam_width=4))
    with pytest.raises(ValueError, match=r"draws random numbers: pass options\.generator"):
        select("random", pool(), 1)


def test_coreset_kind_reports_progress():
    p = pool()
    calls = []
    options = Options(weighted=True, beam_width=2, progress=lambda *call: calls.append(call))
    result = select("coreset", p, 12, options)
    assert torch.equal(result.picks, select("coreset", p, 12, Options(True, 2)).picks)
    assert calls[0] == ("min-distance", 1, 1)  # 200 points, 10 labelled: one tile
    assert calls[1:] == [("picks", done, 12) for done in range(1, 13)]


@pytest.mark.parametrize("kind", ["random", "entropy"])
def test_other_kinds_report_the_radii_passes(kind):
    p = pool()
    calls = []
    generator = torch.Generator().manual_seed(0)
    options = Options(generator=generator, progress=lambda *call: calls.append(call))
    result = select(kind, p, 15, options)
    assert calls == [("min-distance", 1, 1), ("min-distance to picks", 1, 1)]
    after = p.labelled.clone()
    after[result.picks] = True
    assert result.before == coreset_radii(p.features, p.labelled, p.doubt())
    assert result.after == coreset_radii(p.features, after, p.doubt())  # exactly


def bad_probs():
    """(name, scores) of class scores that are not probabilities, for pool()'s 200 points."""
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(200, 3, generator=g) * 2
    nan = logits.softmax(dim=1)
    nan[17, 2] = float("nan")
    return [
        ("logits", logits),
        ("log-softmax", logits.log_softmax(dim=1)),
        ("unnormalised", logits.exp()),
        ("negative", logits.softmax(dim=1) - 0.2),
        ("nan", nan),
    ]


# every kind with its default options, and the coreset's options that read doubt
KIND_OPTIONS = [(kind, options_for(kind)) for kind in sorted(KINDS)] + [
    ("coreset", Options(weighted=True)),
    ("coreset", Options(beam_width=3)),  # ranks beams by U
    ("coreset", Options(weighted=True, beam_width=3)),
]


@pytest.mark.parametrize(("kind", "options"), KIND_OPTIONS)
@pytest.mark.parametrize(("name", "scores"), bad_probs())
def test_every_kind_refuses_what_is_not_probabilities(kind, options, name, scores):
    p = pool()
    bad = Pool(p.labelled, p.features, scores, p.mc_probs)
    with pytest.raises(ValueError, match=r"probs (must|rows must|contain NaN).*(softmax|retrain)"):
        select(kind, bad, 5, options)


def test_margin_with_one_class_names_the_alternatives():
    p = pool()
    one_class = Pool(p.labelled, p.features, torch.ones(200, 1))
    with pytest.raises(ValueError, match=r"at least 2.*least_confidence or entropy"):
        select("margin", one_class, 5)
    # the alternatives run: one class means no doubt anywhere, ties to the smallest indices
    expected = (~p.labelled).nonzero().squeeze(1)[:5]
    assert torch.equal(select("least_confidence", one_class, 5).picks, expected)


def test_devices_of_the_pool_must_agree():
    p = pool()
    on_meta = p.probs.to("meta")
    with pytest.raises(ValueError, match=r"probs live on meta but the labelled mask on cpu"):
        select("entropy", Pool(p.labelled, p.features, on_meta), 5)
    with pytest.raises(ValueError, match=r"features live on meta but the labelled mask on cpu"):
        select("coreset", Pool(p.labelled, p.features.to("meta"), p.probs), 5)
    with pytest.raises(ValueError, match=r"bool tensor mask.*mask\[indices\]"):
        select("coreset", Pool(p.labelled.nonzero().squeeze(1), p.features, p.probs), 5)


@pytest.mark.parametrize("probs_dtype", [torch.float16, torch.float64])
@pytest.mark.parametrize("features_dtype", [torch.float16, torch.float64])
def test_mixed_dtypes_give_the_picks_of_their_values(features_dtype, probs_dtype):
    p = pool()
    features, probs = p.features.to(features_dtype), p.probs.to(probs_dtype)
    mixed = Pool(p.labelled, features, probs)
    options = Options(weighted=True, beam_width=3)
    result = select("coreset", mixed, 12, options)
    # what the engine gives on the same values: features widened as the engine widens them,
    # doubt from the probabilities as stored
    doubt = doubt_from_probs(probs)
    expected = coreset(features, p.labelled, 12, doubt, True, 3)
    assert torch.equal(result.picks, expected)
    widened = features.to(torch.promote_types(features_dtype, torch.float32))  # exact
    same_values = Pool(p.labelled, widened, probs)
    assert torch.equal(select("coreset", same_values, 12, options).picks, result.picks)
    if features_dtype == torch.float64:  # and the float64 reference on those values
        x, mask, weight = features.numpy(), p.labelled.numpy(), doubt.double().numpy()
        beams = reference_beam(x, mask, 12, weight, True, 3)
        assert result.beams.tolist() == [b.picks for b in beams]


def test_integer_budget_and_beam_width_types():
    p = pool()
    expected = select("coreset", p, 7, Options(weighted=True, beam_width=2))
    for count in (np.int64(7), torch.tensor(7)):
        options = Options(weighted=True, beam_width=np.int32(2))
        assert torch.equal(select("coreset", p, count, options).beams, expected.beams)
        assert torch.equal(select("entropy", p, count).picks, select("entropy", p, 7).picks)
    with pytest.raises(ValueError, match=r"budget=7\.0 \(float\) must be an integer"):
        select("entropy", p, 7.0)
    with pytest.raises(ValueError, match=r"beam_width=2\.0 \(float\) must be an integer"):
        select("coreset", p, 7, Options(beam_width=2.0))
    with pytest.raises(ValueError, match=r"budget=191 exceeds the 190 unlabelled points"):
        select("random", p, 191, Options(generator=torch.Generator()))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_empty_pool_is_refused(kind):
    empty = Pool(torch.zeros(0, dtype=torch.bool), None, torch.zeros(0, 3))
    options = Options(generator=torch.Generator())
    with pytest.raises(ValueError, match="the pool is empty"):
        select(kind, empty, 0, options)
