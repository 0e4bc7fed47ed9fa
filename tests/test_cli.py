"""The ``alcore`` command: picks equal to the engine's on .npy, .pt and parquet inputs, the
acquisitions schema, one clear message and a non-zero exit for each bad input, the listings."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from alcore.catalog.datasets import DATASETS
from alcore.catalog.models import BUILTINS, torchvision_model_names
from alcore.catalog.strategies import KINDS
from alcore.cli import main
from alcore.files import write_table
from alcore.files.parquet import vector_column
from alcore.seeding import generator
from alcore.select import Options, Pool, select
from alcore.stages.labelled import write_labelled
from alcore.stages.schemas import ACQUISITIONS, EMBEDDING

N_POOL, N_TEST, D, C = 120, 3, 8, 4
SEED, ROUND = 3, 2  # in the embedding's metadata
ACQUISITIONS_SCHEMA = pa.schema([(c.name, c.type) for c in ACQUISITIONS])


@pytest.fixture(scope="module")
def case():
    """(N, D) float32 features, (N, C) float32 softmax, (L,) int64 labelled indices."""
    g = torch.Generator().manual_seed(0)
    centres = 5 * torch.randn(4, D, generator=g)
    features = (
        torch.randn(N_POOL, D, generator=g) + centres[torch.randint(4, (N_POOL,), generator=g)]
    )
    probs = (2 * torch.randn(N_POOL, C, generator=g)).softmax(dim=1)
    labelled = torch.randperm(N_POOL, generator=g)[:10].sort().values
    return features, probs, labelled


@pytest.fixture(scope="module")
def files(case, tmp_path_factory):
    """The case in every input format: name -> path."""
    features, probs, labelled = case
    root = tmp_path_factory.mktemp("inputs")
    mask = torch.zeros(N_POOL, dtype=torch.bool)
    mask[labelled] = True
    paths = {name: root / name for name in (
        "features.npy", "probs.npy", "labelled.npy", "mask.npy", "features.pt", "probs.pt",
        "mask.pt", "features.parquet", "probs.parquet", "labelled.parquet", "embedding.parquet",
        "logits.npy", "wide.parquet",
    )}  # fmt: skip
    np.save(paths["features.npy"], features.numpy())
    np.save(paths["probs.npy"], probs.numpy())
    np.save(paths["labelled.npy"], labelled.numpy())
    np.save(paths["mask.npy"], mask.numpy())
    np.save(paths["logits.npy"], probs.log().numpy())
    torch.save(features, paths["features.pt"])
    torch.save(probs, paths["probs.pt"])
    torch.save(mask, paths["mask.pt"])
    pq.write_table(pa.table({"features": vector_column(features)}), paths["features.parquet"])
    pq.write_table(pa.table({"probs": vector_column(probs)}), paths["probs.parquet"])
    wide = pa.table({f"x{j}": features[:, j].numpy() for j in range(D)})
    pq.write_table(wide, paths["wide.parquet"])
    write_labelled(labelled, np.full(len(labelled), -1), N_POOL, paths["labelled.parquet"])
    write_embedding(paths["embedding.parquet"], features.numpy(), probs.numpy(), mask.numpy())
    return paths


def write_embedding(path, features, probs, mask) -> None:
    """A workflow embedding.parquet: pool rows, then test rows, seed and round in metadata."""
    columns = {
        "split": ["pool"] * N_POOL + ["test"] * N_TEST,
        "index": np.concatenate([np.arange(N_POOL), np.arange(N_TEST)]),
        "label": np.zeros(N_POOL + N_TEST, dtype=np.int64),
        "labelled": np.concatenate([mask, np.zeros(N_TEST, dtype=bool)]),
        "probs": vector_column(np.concatenate([probs, np.full((N_TEST, C), 1 / C)])),
        "doubt": np.zeros(N_POOL + N_TEST, dtype=np.float32),
        "features": vector_column(np.concatenate([features, np.ones((N_TEST, D))])),
    }
    write_table(columns, EMBEDDING, path, metadata={"seed": str(SEED), "round": str(ROUND)})


def engine(case, kind, budget, *, probs=True, seed=0, round_=0, **options):
    """The engine's picks (in order) on the case, as the CLI should call it."""
    features, case_probs, labelled = case
    mask = torch.zeros(N_POOL, dtype=torch.bool)
    mask[labelled] = True
    rng = generator("select", seed, round_) if KINDS[kind].stochastic else None
    pool = Pool(mask, features, case_probs if probs else None)
    return select(kind, pool, budget, Options(generator=rng, **options)).picks.tolist()


def run(capsys, *argv):
    """``main(argv)`` in-process: (exit status, stderr)."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as stop:  # argparse's usage errors and --help
        status = stop.code
    return status, capsys.readouterr().err


def picks(path):
    """The chosen picks of a written table, in pick order, after checking its schema."""
    table = pq.read_table(path)
    assert table.schema.remove_metadata() == ACQUISITIONS_SCHEMA
    frame = table.to_pandas()
    return frame[frame.beam_rank == 1].sort_values("pick_order")["index"].tolist()


@pytest.mark.slow
def test_subprocess_on_the_workflows_embedding_parquet(case, files, tmp_path):
    """python -m alcore on an embedding.parquet: probs, labelled, seed and round from the file."""
    out = tmp_path / "picks.parquet"
    command = [sys.executable, "-m", "alcore", "select", "--features", files["embedding.parquet"],
               "--budget", 15, "--strategy", "coreset", "--weighted", "--beam-width", 3,
               "--out", out]  # fmt: skip
    done = subprocess.run([str(a) for a in command], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "picked 15" in done.stderr
    assert picks(out) == engine(case, "coreset", 15, weighted=True, beam_width=3)
    frame = pq.read_table(out).to_pandas()
    assert set(frame.beam_rank) == {1, 2, 3}
    assert (frame.dataset == "embedding").all() and (frame.strategy == "coreset").all()
    assert (frame.seed == SEED).all() and (frame["round"] == ROUND).all()


@pytest.mark.slow
def test_console_script_refuses_logits_without_a_traceback(files, tmp_path):
    script = Path(sys.executable).parent / "alcore"  # the console script, once installed
    launcher = [script] if script.exists() else [sys.executable, "-m", "alcore"]
    command = [*launcher, "select", "--features", files["features.npy"], "--probs",
               files["logits.npy"], "--labelled", files["labelled.npy"], "--budget", 5,
               "--strategy", "entropy", "--out", tmp_path / "picks.parquet"]  # fmt: skip
    done = subprocess.run([str(a) for a in command], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "logits.npy: probs must lie in [0, 1]" in done.stderr and "softmax" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "picks.parquet").exists()


@pytest.mark.parametrize(
    ("kind", "inputs", "options"),
    [
        ("coreset", ["--features", "features.npy", "--labelled", "labelled.npy"], {}),
        ("coreset", ["--features", "features.pt", "--probs", "probs.pt", "--labelled",
                     "mask.pt", "--weighted", "--beam-width", "4"],
         {"weighted": True, "beam_width": 4}),
        ("coreset", ["--features", "wide.parquet", "--labelled", "labelled.parquet"], {}),
        ("least_confidence", ["--probs", "probs.parquet", "--labelled", "labelled.parquet"], {}),
        ("margin", ["--features", "features.parquet", "--probs", "probs.npy", "--labelled",
                    "mask.npy"], {}),
        ("entropy", ["--features", "embedding.parquet"], {}),
    ],
)  # fmt: skip
def test_picks_are_the_engines(capsys, case, files, tmp_path, kind, inputs, options):
    out = tmp_path / "picks.parquet"
    argv = [files.get(a, a) for a in inputs]
    status, err = run(capsys, "select", *argv, "--budget", 12, "--strategy", kind, "--out", out)
    assert status == 0, err
    with_probs = "--probs" in inputs or "embedding.parquet" in inputs
    assert picks(out) == engine(case, kind, 12, probs=with_probs, **options)


def test_bald_reads_mc_probs(capsys, case, tmp_path):
    labelled = case[2]
    g = torch.Generator().manual_seed(1)
    mc_probs = torch.randn(5, N_POOL, C, generator=g).softmax(dim=2)  # (T, N, C)
    np.save(tmp_path / "mc.npy", mc_probs.numpy())
    torch.save(labelled, tmp_path / "labelled.pt")
    out = tmp_path / "picks.parquet"
    status, err = run(
        capsys, "select", "--mc-probs", tmp_path / "mc.npy", "--labelled",
        tmp_path / "labelled.pt", "--budget", 9, "--strategy", "bald", "--out", out,
    )  # fmt: skip
    assert status == 0, err
    mask = torch.zeros(N_POOL, dtype=torch.bool)
    mask[labelled] = True
    expected = select("bald", Pool(mask, mc_probs=mc_probs), 9).picks.tolist()
    assert picks(out) == expected


def test_random_is_seeded_and_is_the_workflows_stream(capsys, case, files, tmp_path):
    runs = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        out = tmp_path / f"{name}.parquet"
        status, err = run(
            capsys, "select", "--features", files["features.npy"], "--labelled",
            files["labelled.npy"], "--budget", 20, "--strategy", "random", "--seed", seed,
            "--round", 1, "--out", out, "--quiet",
        )  # fmt: skip
        assert status == 0 and err == ""  # --quiet: nothing on stderr
        runs.append(picks(out))
    assert runs[0] == runs[1] == engine(case, "random", 20, probs=False, seed=7, round_=1)
    assert runs[0] != runs[2]
    # an embedding's seed and round are the defaults: the draw of the workflow's select stage
    out = tmp_path / "embedding.parquet"
    argv = ["select", "--features", files["embedding.parquet"], "--budget", 20]
    assert run(capsys, *argv, "--strategy", "random", "--out", out)[0] == 0
    assert picks(out) == engine(case, "random", 20, seed=SEED, round_=ROUND)


def test_workflow_columns_come_from_the_options(capsys, files, tmp_path):
    out = tmp_path / "picks.parquet"
    status, _ = run(
        capsys, "select", "--features", files["features.npy"], "--labelled",
        files["labelled.npy"], "--budget", 4, "--strategy", "coreset", "--dataset", "cifar",
        "--name", "greedy", "--seed", 5, "--round", 9, "--out", out,
    )  # fmt: skip
    assert status == 0
    frame = pq.read_table(out).to_pandas()
    assert frame[["dataset", "strategy", "seed", "round"]].drop_duplicates().values.tolist() == [
        ["cifar", "greedy", 5, 9]
    ]
    assert frame.doubt.isna().all() and frame.radius_after.notna().all()  # no probs given


def write_bad_files(root):
    """The malformed inputs of BAD_CALLS, in ``root``."""
    np.save(root / "out_of_range.npy", np.array([3, N_POOL]))
    np.save(root / "short_mask.npy", np.ones(N_POOL - 1, dtype=bool))
    np.save(root / "flat.npy", np.zeros(N_POOL, dtype=np.float32))
    np.save(root / "empty_mask.npy", np.zeros(N_POOL, dtype=bool))
    np.save(root / "strings.npy", np.array(["a", "b"]))
    np.save(root / "probs_short.npy", np.full((N_POOL - 2, C), 1 / C, dtype=np.float32))
    torch.save({"features": torch.zeros(3, 2)}, root / "dict.pt")
    (root / "garbage.pt").write_bytes(b"not a tensor")
    (root / "garbage.parquet").write_bytes(b"not parquet")
    pq.write_table(pa.table({"name": ["a"] * N_POOL}), root / "names.parquet")


INPUTS = ("--features", "--probs", "--mc-probs", "--labelled")  # read from the inputs folder
FLAG, DROP = True, None  # in BAD_CALLS: a flag given; an option left out
# (changes to a good call, exit status, part of the message)
BAD_CALLS = [
    ({"--features": "missing.npy"}, 2, "--features missing.npy: no such file; check the path"),
    ({"--features": "features.csv"}, 2, "unknown file type '.csv'; save it as one of .npy"),
    ({"--budget": "500"}, 1, "--budget 500 exceeds the 110 unlabelled points (120 in the pool, "
                             "10 labelled); pass --budget 110 or less"),
    ({"--budget": "-1"}, 2, "--budget -1 must be >= 0"),
    ({"--strategy": "entropy"}, 2, "strategy entropy needs (N, C) softmax probabilities: "
                                   "pass --probs FILE"),
    ({"--strategy": "nope"}, 2, "invalid choice: 'nope'"),
    ({"--weighted": FLAG}, 2, "need class probabilities for the doubt: pass --probs FILE"),
    ({"--beam-width": "0"}, 2, "--beam-width 0 must be >= 1"),
    ({"--strategy": "random", "--weighted": FLAG, "--probs": "probs.npy"}, 2,
     "--weighted and --beam-width apply to --strategy coreset only"),
    ({"--probs": "logits.npy"}, 1, "logits.npy: probs must lie in [0, 1]"),
    ({"--probs": "probs_short.npy"}, 1, "probs_short.npy: probs has 118 rows but the pool has "
                                        "120 points"),
    ({"--labelled": "out_of_range.npy"}, 1, "labelled indices must lie in [0, 120) (the "
                                            "pool's rows), found 3..120"),
    ({"--labelled": "short_mask.npy"}, 1, "the labelled mask has 119 entries, the pool has 120"),
    ({"--labelled": "empty_mask.npy"}, 1, "the labelled set is empty"),
    ({"--labelled": DROP}, 2, "pass --labelled FILE"),
    ({"--labelled": "names.parquet"}, 1, "has no `labelled` (boolean mask) or `index`"),
    ({"--features": "flat.npy"}, 1, "flat.npy: features must have shape (N, D), got shape (120,)"),
    ({"--features": "strings.npy"}, 1, "strings.npy: holds <U1 values, not numbers"),
    ({"--features": "dict.pt"}, 1, "dict.pt: holds a dict, not a tensor; save the features"),
    ({"--features": "garbage.pt"}, 1, "garbage.pt: not a readable tensor file"),
    ({"--features": "garbage.parquet"}, 1, "garbage.parquet: not a readable parquet file"),
    ({"--features": "names.parquet"}, 1, "names.parquet: found no features column"),
    ({"--mc-probs": "probs.npy", "--strategy": "bald"}, 1, "mc-probs must have shape (T, N, C)"),
    ({"--out": "no/such/picks.parquet"}, 2, "the folder no/such does not exist; create it"),
    ({"--out": "."}, 2, "--out . is a folder; pass a file name"),
    ({"--device": "cuda:7"}, 1, "--device cuda:7: "),
    ({"--device": "toaster"}, 2, "--device 'toaster' is not a device"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "status", "message"), BAD_CALLS, ids=lambda x: str(x)[:40])
def test_bad_input_is_one_message_and_a_non_zero_exit(
    capsys, files, tmp_path, monkeypatch, changes, status, message
):
    root = files["features.npy"].parent
    if not (root / "names.parquet").exists():
        write_bad_files(root)
    monkeypatch.chdir(tmp_path)
    call = {"--features": "features.npy", "--labelled": "labelled.npy", "--budget": "10",
            "--strategy": "coreset", "--out": "picks.parquet", **changes}  # fmt: skip
    argv = ["select"]
    for option, value in call.items():
        if value is FLAG:
            argv.append(option)
        elif value is not DROP:
            is_input = option in INPUTS and (root / value).exists()
            argv += [option, str(root / value) if is_input else value]
    existing = b"the picks of an earlier run"
    (tmp_path / "picks.parquet").write_bytes(existing)
    code, err = run(capsys, *argv)
    assert code == status, err
    assert message in err, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("alcore select: error: ")
    assert (tmp_path / "picks.parquet").read_bytes() == existing  # a failed run writes nothing
    assert list(tmp_path.glob(".picks.parquet.*")) == []  # and leaves no temporary


@pytest.mark.parametrize("option", ["--features", "--probs", "--mc-probs", "--labelled"])
@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink"])
def test_out_naming_an_input_is_refused_and_the_input_kept(
    capsys, files, tmp_path, monkeypatch, option, how
):
    root = tmp_path / "in"  # copies: a failure must not overwrite the module's files
    root.mkdir()
    for name in ("features.npy", "probs.npy", "labelled.npy"):
        shutil.copy(files[name], root / name)
    np.save(root / "mc.npy", np.stack([np.load(root / "probs.npy")] * 2))  # (T, N, C)
    given = {"--features": "features.npy", "--probs": "probs.npy", "--mc-probs": "mc.npy",
             "--labelled": "labelled.npy"}  # fmt: skip
    target = root / given[option]
    before = {name: (root / name).read_bytes() for name in given.values()}
    monkeypatch.chdir(tmp_path)
    if how == "same":
        out = target
    elif how == "relative":
        (tmp_path / "sub").mkdir()
        out = Path("sub") / ".." / "in" / target.name  # relative, through another folder
    elif how == "symlink":
        out = Path("link.npy")
        out.symlink_to(target)
    else:
        out = Path("hard.npy")
        os.link(target, out)
    argv = [a for o, name in given.items() for a in (o, root / name)]
    status, err = run(capsys, "select", *argv, "--budget", 5, "--strategy", "coreset", "--out", out)
    assert status == 2, err
    assert f"--out {out} and {option} {target} are the same file" in err, err
    assert f"write them elsewhere, e.g. --out {out.with_name(out.stem + '_picks.parquet')}" in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("alcore select: error: --out ")
    assert {name: (root / name).read_bytes() for name in given.values()} == before
    assert how != "symlink" or out.is_symlink()  # the link itself is not replaced either
    # the same call with another --out runs
    status, err = run(
        capsys, "select", *argv, "--budget", 5, "--strategy", "coreset", "--out", "picks.parquet"
    )
    assert status == 0, err


def test_labelled_parquet_of_another_pool_is_refused(capsys, files, tmp_path):
    other = tmp_path / "labelled.parquet"
    write_labelled(np.array([1, 2]), np.array([-1, -1]), N_POOL + 5, other)
    status, err = run(
        capsys, "select", "--features", files["features.npy"], "--labelled", other,
        "--budget", 3, "--strategy", "coreset", "--out", tmp_path / "picks.parquet",
    )  # fmt: skip
    assert status == 1 and "written for a pool of 125 points, the inputs have 120" in err


def test_listings_hold_every_registered_name(capsys):
    status = main(["strategies"])
    out = capsys.readouterr().out
    assert status == 0 and all(name in out for name in KINDS)
    assert all(kind.reference in out for kind in KINDS.values())
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name} " in out for name in BUILTINS)
    assert all(name in out for name in torchvision_model_names())
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name} " in out for name in DATASETS)


def test_help_names_every_command_and_the_strategies_are_torch_free():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    probe = (
        "import sys, contextlib, io\n"
        "from alcore.cli import main\n"
        "for argv in (['--help'], ['select', '--help'], ['strategies', '--help'],\n"
        "             ['models', '--help'], ['datasets', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as text:\n"
        "        try: main(argv)\n"
        "        except SystemExit as stop: assert stop.code == 0\n"
        "    print('=====', ' '.join(argv)); print(text.getvalue())\n"
        "main(['strategies'])\n"
        "assert 'torch' not in sys.modules, 'alcore strategies imported torch'\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sections = done.stdout.split("===== ")
    main_help = sections[1]
    for command in ("select", "strategies", "models", "datasets"):
        assert command in main_help
    assert "examples:" in main_help and "examples:" in sections[2]
    for kind in KINDS:
        assert kind in sections[2]
    for option in ("--features", "--probs", "--mc-probs", "--labelled", "--budget",
                   "--strategy", "--weighted", "--beam-width", "--seed", "--device", "--out",
                   "--quiet"):  # fmt: skip
        assert option in sections[2]
