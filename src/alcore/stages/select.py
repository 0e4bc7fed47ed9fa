"""Select: run a strategy on a round's embedding and write the picks and the next labels."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import torch

from alcore.catalog.strategies import KINDS
from alcore.data import DatasetBundle
from alcore.files import StageFileError, write_table
from alcore.files.errors import rerun_fix
from alcore.progress import PhaseProgress, Progress
from alcore.seeding import generator
from alcore.select import (
    InputError,
    Options,
    Pool,
    Radii,
    Selection,
    check_features,
    check_probs,
    select,
)
from alcore.settings import StrategySettings
from alcore.stages.embed import Embedding
from alcore.stages.labelled import read_labelled, read_rounds_added, write_labelled
from alcore.stages.schemas import ACQUISITIONS

log = logging.getLogger(__name__)


def select_round(
    labelled_path: str | Path,
    embedding_path: str | Path | None,
    strategy: StrategySettings,
    budget: int,
    *,
    dataset: str,
    seed: int,
    round_: int,
    acquisitions_out: str | Path,
    labelled_out: str | Path,
    device: str | torch.device = "cpu",
    model_path: str | Path | None = None,
    bundle: DatasetBundle | None = None,
) -> None:
    """Pick ``budget`` new labels with ``strategy`` and write both output files.

    A strategy that runs the model itself (bald's dropout passes) needs ``model_path`` (the
    round's checkpoint, trained on the labelled set read here) and ``bundle`` (the dataset).

    The acquisitions file has one row per pick of every final beam (beam_rank 1 is the chosen
    selection); the next labelled set is the old one plus the rank-1 picks. An embedding whose
    features or probabilities the engine would refuse (NaN, logits, rows that do not sum to 1)
    raises :class:`StageFileError` naming the file.
    """
    labelled_indices, n_pool = read_labelled(labelled_path)
    labelled = torch.zeros(n_pool, dtype=torch.bool)
    labelled[labelled_indices] = True
    features = probs = None
    if embedding_path is not None:
        embedding = Embedding(embedding_path)
        assert embedding.pool_features is not None  # read with features
        if embedding.pool_features.shape[0] != n_pool:
            raise StageFileError(
                embedding_path,
                f"has {embedding.pool_features.shape[0]} pool rows, the labelled set's pool "
                f"has {n_pool}",
                rerun_fix(embedding_path),
            )
        if not torch.equal(embedding.pool_labelled, labelled):
            raise StageFileError(
                embedding_path,
                f"was embedded for another labelled set than {labelled_path}",
                rerun_fix(embedding_path),
            )
        _check_embedding(embedding_path, embedding.pool_features, embedding.pool_probs)
        features, probs = embedding.pool_features.to(device), embedding.pool_probs.to(device)
    elif strategy.needs_embedding:
        raise ValueError(f"strategy {strategy.name!r} ({strategy.kind}) needs an embedding file")
    options = Options(
        weighted=strategy.weighted,
        beam_width=strategy.beam_width,
        generator=generator("select", seed, round_) if KINDS[strategy.kind].stochastic else None,
        progress=PhaseProgress(f"select {strategy.name} round {round_}", log),
    )
    mc_probs = None
    if strategy.needs_model:
        if model_path is None or bundle is None:
            raise ValueError(
                f"strategy {strategy.name!r} ({strategy.kind}) runs the round's model: pass "
                "model_path and bundle"
            )
        mc_probs = _mc_probs(model_path, bundle, labelled_indices, strategy, seed, round_,
                             torch.device(device))  # fmt: skip
    pool = Pool(labelled.to(device), features, probs, mc_probs)
    result = select(strategy.kind, pool, budget, options)
    picks = result.picks.cpu()
    columns = acquisition_columns(
        result, pool, dataset=dataset, strategy=strategy.name, seed=seed, round_=round_
    )
    write_table(columns, ACQUISITIONS, acquisitions_out)
    rounds_added = torch.cat([read_rounds_added(labelled_path), torch.full_like(picks, round_)])
    write_labelled(torch.cat([labelled_indices, picks]), rounds_added, n_pool, labelled_out)
    log.info("%s round %d: %s", strategy.name, round_, summary(result, columns))


def _mc_probs(
    model_path: str | Path,
    bundle: DatasetBundle,
    labelled_indices: torch.Tensor,
    strategy: StrategySettings,
    seed: int,
    round_: int,
    device: torch.device,
) -> torch.Tensor:
    """(T, N, C) softmax of the round model's dropout passes over the pool, on ``device``; the
    checkpoint must be the one trained on the labelled set select starts from."""
    from alcore.stages.labelled import labelled_hash
    from alcore.stages.mc_dropout import mc_dropout_probs
    from alcore.stages.train import model_from_checkpoint

    model, _ = model_from_checkpoint(
        model_path, device, expect={"seed": seed, "round": round_,
                                    "labelled_hash": labelled_hash(labelled_indices)},
    )  # fmt: skip
    progress = Progress(f"select {strategy.name} round {round_}, {strategy.passes} dropout "
                        "passes", bundle.n_pool * strategy.passes, "images", log)  # fmt: skip
    passes = mc_dropout_probs(model, bundle, strategy.passes, device, ("bald", seed, round_),
                              progress=progress)  # fmt: skip
    return torch.from_numpy(passes).to(device)


def _check_embedding(path: str | Path, features: torch.Tensor, probs: torch.Tensor) -> None:
    """The pool's features (N, F) and probabilities (N, C) as the engine checks them, with the
    file named in the error: a NaN or a column of logits is the file's fault, not the call's."""
    try:
        check_features(features)
        check_probs(probs, features.shape[0])
    except InputError as error:
        fix = (
            f"{rerun_fix(path)}; if embed then refuses the model's outputs, retrain the "
            "round's model (non-finite outputs usually mean training diverged: lower the "
            "learning rate)"
        )
        raise StageFileError(path, f"pool {error.problem}", fix) from error


def acquisition_columns(
    result: Selection, pool: Pool, *, dataset: str, strategy: str, seed: int, round_: int
) -> dict[str, np.ndarray | list[str]]:
    """The :data:`~alcore.stages.schemas.ACQUISITIONS` columns of ``result`` (made from
    ``pool``), for :func:`alcore.files.write_table`: one row per pick of every final beam
    (beam_rank 1 is the chosen selection), with the doubt of each pick and the radii before and
    after. The select stage and ``alcore select`` (:mod:`alcore.cli`) both write these rows.
    """
    beams: dict[str, np.ndarray] = _beam_rows(result)
    # docs/method.md section 7: the doubt of every pick, so that each round's mean doubt of
    # the picks is in the acquisitions table
    doubt = pool.doubt()
    beams["doubt"] = (
        np.full(len(beams["index"]), np.nan)
        if doubt is None
        else doubt.cpu().double().numpy()[beams["index"]]
    )
    radii = {
        "radius_before": _value(result.before, "radius"),
        "radius_after": _value(result.after, "radius"),
        "weighted_radius_before": _value(result.before, "weighted_radius"),
        "weighted_radius_after": _value(result.after, "weighted_radius"),
    }
    n_rows = len(beams["index"])
    return {
        "dataset": [dataset] * n_rows,
        "strategy": [strategy] * n_rows,
        "seed": np.full(n_rows, seed),
        "round": np.full(n_rows, round_),
        **beams,
        **{name: np.full(n_rows, value) for name, value in radii.items()},
    }


def summary(result: Selection, columns: dict[str, np.ndarray | list[str]]) -> str:
    """``picked 15 (radius 1.2 -> 0.9, U 0.4, mean doubt of the picks 0.3)`` for the log."""
    chosen = np.asarray(columns["beam_rank"]) == 1
    chosen_doubt = np.asarray(columns["doubt"])[chosen]
    mean_doubt = chosen_doubt.mean() if len(chosen_doubt) else np.nan
    before, after = _value(result.before, "radius"), _value(result.after, "radius")
    return (
        f"picked {result.picks.shape[0]} (radius {before:.4g} -> {after:.4g}, U {result.u:.4g}, "
        f"mean doubt of the picks {mean_doubt:.4g})"
    )


def _beam_rows(result: Selection) -> dict[str, np.ndarray]:
    """Rows of every final beam: rank, order, index, score (chosen beam only), U."""
    beams = result.picks[None, :] if result.beams is None else result.beams
    beam_u = result.beam_u.cpu().numpy()
    scores = result.scores.cpu().numpy()
    columns: dict[str, list[np.ndarray]] = {
        "beam_rank": [], "pick_order": [], "index": [], "score": [], "u": []
    }  # fmt: skip
    for rank, beam in enumerate(beams.cpu().numpy(), start=1):
        n = len(beam)
        columns["beam_rank"].append(np.full(n, rank))
        columns["pick_order"].append(np.arange(n))
        columns["index"].append(beam)
        columns["score"].append(scores if rank == 1 else np.full(n, np.nan))
        columns["u"].append(np.full(n, beam_u[rank - 1]))
    return {name: np.concatenate(parts) for name, parts in columns.items()}


def _value(radii: Radii | None, name: str) -> float:
    value = None if radii is None else getattr(radii, name)
    return math.nan if value is None else float(value)
