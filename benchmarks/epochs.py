"""The paper's epoch rule (Table 1), measured on initial sets only, before any selection arm runs.

The rule: train for the fewest epochs that reach 99% training accuracy, on the first pass and
on the later rounds. For each seed this script

1. draws the seed's initial labelled set exactly as the workflow's initial_labels job does
   (:func:`alcore.stages.labelled.initial_labelled`, so the sets are the protocol's own);
2. trains the round-0 model from scratch with :func:`alcore.stages.train.train_round` one epoch
   at a time (``stop_after_epoch``: each call resumes from the saved state, so the epochs are
   those of one uninterrupted run, bit for bit) until the epoch's training accuracy reaches the
   target or ``--max-epochs`` have run;
3. adds ``--budget`` more labels drawn uniformly at random from the rest of the pool (random,
   not a selection arm: no arm's picks are looked at), warm-starts round 1 from the model of
   step 2 as the workflow does (weights kept, a fresh Adam) and counts the epochs to the target
   again;
4. times one forward pass (the embed stage's :func:`alcore.stages.embed.predict`, batch 512) of
   the trained model over the test split: the images per CPU second an embed job runs at.

The training accuracy is the one alcore's train stage logs and stores in the checkpoint's
history: the share of the epoch's mini-batch predictions that were right, made while the epoch
trains (usually a little below the accuracy of the model at the epoch's end, so the rule errs
towards more epochs). One torch thread (``torch.set_num_threads(1)``), as the workflow's
``threads: 1``.

    python benchmarks/epochs.py --initial 1000 --budget 400      # Figure 5's protocol
    python benchmarks/epochs.py --initial 5000 --budget 5000     # Figure 6's protocol
    python benchmarks/epochs.py --dataset fashion_mnist --model small_cnn --lr 0.001 \\
        --batch-size 64 --seeds 0 1 --max-epochs 50 --out epochs.md

Prints a Markdown table per seed and phase (epoch, loss, training accuracy, wall and CPU
seconds, images per CPU second) and a summary table; the command line heads the output. An
epoch's seconds are those of its whole train_round call (model built, state loaded and saved),
as in a workflow job. CPU seconds (the process's) are given beside wall seconds because other
work on the machine slows the wall clock but hardly the CPU time.
"""

from __future__ import annotations

import os
import sys

# benchmarks/select.py beside this file would shadow the standard library's ``select``
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import platform
import shlex
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alcore.data import DatasetBundle, load_dataset
from alcore.seeding import derive_seed
from alcore.settings import DatasetSettings, TrainSettings
from alcore.stages.embed import predict
from alcore.stages.labelled import initial_labelled
from alcore.stages.train import model_from_checkpoint, state_path_for, train_round

THREADS = 1


@dataclass
class Phase:
    """One training phase (first pass or a later round) of one seed."""

    name: str
    n_labels: int
    history: list[dict[str, Any]] = field(default_factory=list)  # epoch, loss, accuracy, s
    reached: int | None = None  # first epoch whose training accuracy reached the target
    checkpoint: Path | None = None  # the model after the last epoch trained

    @property
    def seconds(self) -> float:
        return float(sum(row["seconds"] for row in self.history))

    @property
    def cpu(self) -> float:
        return float(sum(row["cpu"] for row in self.history))

    @property
    def images_per_cpu_second(self) -> float:
        return self.n_labels * len(self.history) / self.cpu


def train_until(
    bundle: DatasetBundle,
    labelled: torch.Tensor,
    settings: DatasetSettings,
    seed: int,
    round_: int,
    folder: Path,
    target: float,
    max_epochs: int,
    name: str,
    warm_start_from: Path | None = None,
) -> Phase:
    """Train round ``round_``'s model on ``labelled`` an epoch at a time until the epoch's
    training accuracy reaches ``target`` (or ``max_epochs``); the model after the last epoch
    trained is ``phase.checkpoint``."""
    out = folder / f"round{round_}" / "model.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    phase = Phase(name, int(labelled.shape[0]))
    for epoch in range(1, max_epochs + 1):
        started, cpu = time.perf_counter(), time.process_time()
        content = train_round(
            bundle, labelled, settings, seed, round_, out,
            warm_start_from=warm_start_from, threads=THREADS, stop_after_epoch=epoch,
        )  # fmt: skip
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        last = content["history"][-1]
        assert int(last["epoch"]) == epoch, (last, epoch)
        phase.history.append({**last, "seconds": seconds, "cpu": cpu})
        if last["accuracy"] >= target:
            phase.reached = epoch
            break
    # an unfinished run keeps its state beside `out`; the last allowed epoch writes `out`
    partial = state_path_for(out)
    phase.checkpoint = partial if partial.exists() else out
    return phase


def forward_speed(bundle: DatasetBundle, checkpoint: Path) -> float:
    """Images per CPU second of the embed stage's forward pass (features and probabilities)
    over the test split, one thread."""
    model, _ = model_from_checkpoint(checkpoint)
    n_test = bundle.n_test
    probs = np.empty((n_test, model.num_classes), dtype=np.float32)
    features = np.empty((n_test, model.feature_dim), dtype=np.float32)
    cpu = time.process_time()
    predict(model, bundle, "test", torch.device("cpu"), probs, features, batch_size=512)
    return float(n_test / (time.process_time() - cpu))


def random_extra(n_pool: int, labelled: torch.Tensor, budget: int, seed: int) -> torch.Tensor:
    """``budget`` pool indices outside ``labelled``, uniform without replacement (a draw of this
    benchmark's own, not the random arm's)."""
    rest = np.setdiff1d(np.arange(n_pool), labelled.numpy())
    rng = np.random.default_rng(derive_seed("epochs-benchmark", "later", seed))
    return torch.from_numpy(np.sort(rng.choice(rest, size=budget, replace=False)).astype(np.int64))


def phase_table(phase: Phase, seed: int, target: float) -> str:
    lines = [
        f"#### seed {seed}, {phase.name}: {phase.n_labels:,} labels",
        "",
        "| epoch | loss | train accuracy | wall s | CPU s | images / CPU s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in phase.history:
        mark = " **≥ target**" if row["accuracy"] >= target else ""
        lines.append(
            f"| {row['epoch']} | {row['loss']:.4f} | {row['accuracy']:.4f}{mark} | "
            f"{row['seconds']:.1f} | {row['cpu']:.1f} | {phase.n_labels / row['cpu']:,.0f} |"
        )
    return "\n".join(lines)


def reached(phase: Phase, max_epochs: int) -> str:
    return str(phase.reached) if phase.reached is not None else f"not in {max_epochs}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion_mnist", help="a dataset of alcore datasets")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--model", default="small_cnn", help="a model of alcore models")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam lr (PyTorch's default)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--initial", type=int, default=1000, help="initial random labels")
    parser.add_argument("--budget", type=int, default=400, help="labels added for round 1")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--max-epochs", type=int, default=50, help="cap on each phase's epochs")
    parser.add_argument("--target", type=float, default=0.99, help="training accuracy to reach")
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)

    torch.set_num_threads(THREADS)
    command = shlex.join(["python", "benchmarks/epochs.py", *(argv or sys.argv[1:])])
    output: list[str] = []

    def emit(text: str = "") -> None:
        print(text, flush=True)
        output.append(text)

    started_all, cpu_all = time.perf_counter(), time.process_time()
    loaded = time.perf_counter()
    bundle = load_dataset(args.dataset, data_dir=args.data_dir)
    load_s = time.perf_counter() - loaded
    settings = DatasetSettings(
        name=args.dataset,
        train=TrainSettings(
            model=args.model,
            epochs_first=args.max_epochs,
            epochs_thereafter=args.max_epochs,
            lr=args.lr,
            batch_size=args.batch_size,
        ),
        initial_size=args.initial,
        budget=args.budget,
        rounds=1,
        data_dir=args.data_dir,
    )
    emit(f"### Epochs to {args.target:.0%} training accuracy: {args.dataset}, {args.model}")
    emit()
    emit(f"`{command}`")
    emit()
    emit(
        f"Adam lr {args.lr:g} (PyTorch's other defaults), batch {args.batch_size}, "
        f"{args.initial:,} initial labels (alcore's draw for each seed), then "
        f"+{args.budget:,} random labels warm-started (weights kept, fresh Adam); at most "
        f"{args.max_epochs} epochs a phase; torch {torch.__version__}, {THREADS} thread, "
        f"{platform.processor() or platform.machine()}; dataset loaded in {load_s:.1f} s "
        f"(pool {bundle.n_pool:,}, test {bundle.n_test:,}, input {tuple(bundle.input_shape)})."
    )
    emit()
    summary = []
    with tempfile.TemporaryDirectory(prefix="alcore-epochs-") as scratch:
        for seed in args.seeds:
            folder = Path(scratch) / f"seed{seed}"
            labelled = initial_labelled(bundle.n_pool, args.initial, seed)
            first = train_until(
                bundle, labelled, settings, seed, 0, folder, args.target, args.max_epochs,
                "first pass (round 0, from scratch)",
            )  # fmt: skip
            emit(phase_table(first, seed, args.target))
            emit()
            assert first.checkpoint is not None
            speed = forward_speed(bundle, first.checkpoint)
            grown = torch.cat([labelled, random_extra(bundle.n_pool, labelled, args.budget, seed)])
            later = train_until(
                bundle, grown, settings, seed, 1, folder, args.target, args.max_epochs,
                "later round (round 1, warm-started, +random labels)",
                warm_start_from=first.checkpoint,
            )  # fmt: skip
            emit(phase_table(later, seed, args.target))
            emit()
            summary.append((seed, first, later, speed))

    emit(f"#### Summary: epochs to {args.target:.0%} training accuracy")
    emit()
    emit(
        "| seed | first pass | wall s | CPU s | train images / CPU s | later round | wall s | "
        "CPU s | train images / CPU s | forward images / CPU s |"
    )
    emit("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for seed, first, later, speed in summary:
        emit(
            f"| {seed} | {reached(first, args.max_epochs)} | {first.seconds:.0f} | "
            f"{first.cpu:.0f} | {first.images_per_cpu_second:,.0f} | "
            f"{reached(later, args.max_epochs)} | {later.seconds:.0f} | {later.cpu:.0f} | "
            f"{later.images_per_cpu_second:,.0f} | {speed:,.0f} |"
        )
    firsts = [s[1].reached for s in summary]
    laters = [s[2].reached for s in summary]
    emit()
    if None in firsts or None in laters:
        emit(f"The target was not reached within {args.max_epochs} epochs in some phase.")
    else:
        emit(
            f"Max over the seeds: epochs: {{first: {max(firsts)}, thereafter: {max(laters)}}}"  # type: ignore[type-var]
        )
    emit(
        f"Wall time: {time.perf_counter() - started_all:.0f} s "
        f"(CPU {time.process_time() - cpu_all:.0f} s)."
    )
    if args.out is not None:
        args.out.write_text("\n".join(output) + "\n")


if __name__ == "__main__":
    main()
