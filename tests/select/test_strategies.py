import pytest
import torch
from cases import clustered, labelled_mask

from alcore.select import STRATEGIES, Options, Pool, coreset, coreset_radii, select


def pool(with_probs=True):
    features = clustered(200, 6, 3, seed=2)
    logits = torch.randn(200, 3, generator=torch.Generator().manual_seed(2))
    probs = logits.softmax(dim=1) if with_probs else None
    return Pool(labelled_mask(200, 10, 2), features, probs)


def test_registry_lists_the_paper_strategies():
    assert set(STRATEGIES) == {"random", "coreset", "least_confidence", "entropy", "margin"}


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
def test_every_kind_returns_valid_picks_and_radii(kind):
    p = pool()
    options = Options(generator=torch.Generator().manual_seed(0))
    result = select(kind, p, 15, options)
    assert result.picks.shape == (15,)
    assert len(set(result.picks.tolist())) == 15
    assert not bool(p.labelled[result.picks].any())
    assert result.before is not None and result.after is not None
    assert result.after.radius <= result.before.radius
    assert result.u > 0


def test_coreset_kind_matches_the_engine():
    p = pool()
    doubt = p.doubt()
    result = select("coreset", p, 12, Options(weighted=True, beam_width=3))
    assert torch.equal(result.picks, coreset(p.features, p.labelled, 12, doubt, True, 3))
    assert result.beam_u.shape == (3,)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown strategy kind 'kcenter'"):
        select("kcenter", pool(), 1)
    with pytest.raises(ValueError, match="needs probs"):
        select("entropy", pool(with_probs=False), 1)
    with pytest.raises(ValueError, match="needs class probabilities"):
        select("coreset", pool(with_probs=False), 1, Options(weighted=True))
    with pytest.raises(ValueError, match="coreset kind only"):
        select("margin", pool(), 1, Options(beam_width=4))
    with pytest.raises(ValueError, match=r"seeded torch\.Generator"):
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
