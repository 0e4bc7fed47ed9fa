"""Train one round's model: Adam, mini-batches, a resumable state after every epoch.

Determinism: the shuffling of epoch e, its augmentation draws and its dropout draw from seeds
derived from (seed, round, e), so resuming at epoch e needs only the model and optimiser
states, and a run killed mid-way and restarted ends bit-identical to an uninterrupted one (on
the same device and thread count: both are part of the state's identity).

On a GPU the labelled images travel to the device once (uint8, pinned, non-blocking) and are
batched there; loss and accuracy accumulate on the device, so the loop never waits for the
host; convolutional models run ``channels_last``; ``precision: bf16`` turns on autocast.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from alcore.data import DatasetBundle
from alcore.data.augment import crop_flip, draw_crop_flip
from alcore.files import load_checkpoint, save_checkpoint
from alcore.models import EmbeddingClassifier, build_model
from alcore.progress import Progress
from alcore.seeding import derive_seed, generator
from alcore.settings import DatasetSettings, TrainSettings
from alcore.stages.adam import Adam
from alcore.stages.labelled import labelled_hash

log = logging.getLogger(__name__)


def state_path_for(checkpoint: str | Path) -> Path:
    """Where the in-progress state of ``checkpoint`` lives (kept beside it until done)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.name + ".partial")


def train_round(
    bundle: DatasetBundle,
    labelled: Tensor,
    settings: DatasetSettings,
    seed: int,
    round_: int,
    out: str | Path,
    *,
    warm_start_from: str | Path | None = None,
    device: str | torch.device = "cpu",
    threads: int = 1,
    stop_after_epoch: int | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Train the model of ``round_`` on ``labelled`` ((L,) pool indices) and save it to ``out``.

    warm_start_from: the previous round's checkpoint, used when ``settings.train.warm_start``.
    stop_after_epoch: stop (without writing ``out``) after this many epochs, as an
    interruption would; the next call resumes from the saved state.
    Returns the checkpoint content (see :func:`model_from_checkpoint`).
    """
    torch.set_num_threads(threads)
    device = torch.device(device)
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    train = settings.train
    identity = {
        "config_hash": settings.fingerprint(),
        "seed": seed,
        "round": round_,
        "labelled_hash": labelled_hash(labelled),
        "threads": threads,
        "device": device.type,
    }
    model_args = {
        "name": train.model,
        "num_classes": bundle.num_classes,
        "input_shape": list(bundle.input_shape),
        "pretrained": train.pretrained,
    }
    model = _initial_model(bundle, settings, seed, round_, warm_start_from).to(device)
    optimiser = Adam(model.parameters(), lr=train.lr)
    history: list[dict[str, float]] = []
    start_epoch = 0
    partial = state_path_for(out)
    if partial.exists():
        try:
            state = load_checkpoint(partial, expect=identity)
        except ValueError as error:  # another run's state: start over, keep nothing from it
            log.warning("ignoring %s and starting afresh: %s", partial, error)
        else:
            model.load_state_dict(state["model_state"])
            optimiser.load_state_dict(state["optimiser_state"])
            start_epoch, history = int(state["epoch"]), list(state["history"])
            log.info("resuming %s from epoch %d", out, start_epoch)
    epochs = train.epochs(round_)
    inputs = to_device(bundle.pool_inputs[labelled], device)  # (L, ...) as stored
    labels = to_device(bundle.pool_labels[labelled], device)  # (L,)
    if device.type == "cuda" and inputs.dim() == 4:
        model = model.to(memory_format=torch.channels_last)
    progress = Progress(
        f"train round {round_}", (epochs - start_epoch) * int(labels.shape[0]), "images", log
    )
    for epoch in range(start_epoch, epochs):
        started = time.perf_counter()
        loss, accuracy = _train_epoch(
            model, optimiser, bundle, inputs, labels, train, device, (seed, round_, epoch),
            progress,
        )  # fmt: skip
        history.append({"epoch": epoch + 1, "loss": loss, "accuracy": accuracy})
        log.info(
            "round %d epoch %d/%d  loss %.4f  train accuracy %.4f  (%.1fs)",
            round_, epoch + 1, epochs, loss, accuracy, time.perf_counter() - started,
        )  # fmt: skip
        content = {
            **identity,
            "model_args": model_args,
            "model_state": model.state_dict(),
            "optimiser_state": optimiser.state_dict(),
            "epoch": epoch + 1,
            "epochs": epochs,
            "history": history,
        }
        save_checkpoint(content, partial)
        if on_epoch is not None:
            on_epoch(epoch + 1)
        if stop_after_epoch is not None and epoch + 1 >= stop_after_epoch and epoch + 1 < epochs:
            return content
    final = {
        **identity,
        "model_args": model_args,
        "model_state": model.state_dict(),
        "epoch": epochs,
        "epochs": epochs,
        "history": history,
        "n_labels": int(labelled.shape[0]),
    }
    save_checkpoint(final, out)
    partial.unlink(missing_ok=True)
    return final


def to_device(values: Tensor, device: torch.device) -> Tensor:
    """``values`` on ``device``; a CUDA copy goes through pinned memory, without blocking."""
    if device.type != "cuda":
        return values
    return values.pin_memory().to(device, non_blocking=True)


def model_from_checkpoint(
    path: str | Path, device: str | torch.device = "cpu", expect: dict[str, Any] | None = None
) -> tuple[EmbeddingClassifier, dict[str, Any]]:
    """Rebuild the model a checkpoint describes, in eval mode, with its weights loaded."""
    content = load_checkpoint(path, expect=expect)
    args = content["model_args"]
    # the architecture the training built: published weights can change it (googlenet's
    # transform_input, vit_h_14's image size), though their file is not read again here
    model = build_model(
        args["name"],
        num_classes=args["num_classes"],
        input_shape=tuple(args["input_shape"]),
        seed=0,
        pretrained=bool(args.get("pretrained", False)),
        load_weights=False,
    )
    model.load_state_dict(content["model_state"])
    return model.to(device).eval(), content


def _initial_model(
    bundle: DatasetBundle,
    settings: DatasetSettings,
    seed: int,
    round_: int,
    warm_start_from: str | Path | None,
) -> EmbeddingClassifier:
    train = settings.train
    model = build_model(
        train.model,
        num_classes=bundle.num_classes,
        input_shape=bundle.input_shape,
        seed=derive_seed("init", seed),
        pretrained=train.pretrained,
        weights_dir=Path(settings.data_dir) / "weights",
    )
    if round_ > 0 and train.warm_start:
        if warm_start_from is None:
            raise ValueError(f"round {round_} warm-starts: pass the previous round's checkpoint")
        previous = load_checkpoint(
            warm_start_from, expect={"config_hash": settings.fingerprint(), "seed": seed}
        )
        model.load_state_dict(previous["model_state"])
    return model


def _train_epoch(
    model: EmbeddingClassifier,
    optimiser: Adam,
    bundle: DatasetBundle,
    inputs: Tensor,
    labels: Tensor,
    train: TrainSettings,
    device: torch.device,
    key: tuple[int, int, int],
    progress: Progress,
) -> tuple[float, float]:
    """One pass over the labelled set in a seeded order; returns (mean loss, accuracy).

    inputs: (L, ...) stored rows on ``device``; labels: (L,) on ``device``.
    """
    model.train()
    n = int(inputs.shape[0])
    order = torch.randperm(n, generator=generator("shuffle", *key)).to(device)
    augment = generator("augment", *key) if train.augment else None
    channels_last = device.type == "cuda" and inputs.dim() == 4
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(derive_seed("dropout", *key))  # scoped: dropout of this epoch only
        for start in range(0, n, train.batch_size):
            batch = order[start : start + train.batch_size]
            rows = inputs.index_select(0, batch)
            if augment is not None:
                rows = crop_flip(rows, draw_crop_flip(int(batch.shape[0]), augment))
            x, y = bundle.prepare(rows), labels.index_select(0, batch)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            optimiser.zero_grad()
            with torch.autocast(device.type, torch.bfloat16, enabled=train.precision == "bf16"):
                logits = model(x)
                loss = F.cross_entropy(logits, y)
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            # accumulated on the device: no host synchronisation per batch
            total_loss += loss.detach().double() * batch.shape[0]
            correct += (logits.argmax(dim=1) == y).sum()
            progress.advance(int(batch.shape[0]))
    return float(total_loss) / n, int(correct) / n
