"""Palette, labels and atomic saving."""

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import pytest
from matplotlib.colors import to_rgb

from alcore.figures.style import (
    STRATEGY_COLORS,
    finish,
    new_figure,
    save_figure,
    strategy_color,
    strategy_label,
    strategy_linestyle,
    strategy_marker,
)

KNOWN = (
    "random", "greedy", "greedy_beam1", "greedy_beam20", "pweighted_beam1", "pweighted_beam10",
    "pweighted_beam20", "least_confidence", "entropy", "margin",
)  # fmt: skip


def test_known_strategies_have_distinct_colours_and_families() -> None:
    colours = {strategy_color(name) for name in KNOWN}
    assert len(colours) == len(KNOWN)
    r, g, b = to_rgb(strategy_color("random"))
    assert r == g == b  # grey
    for name in ("greedy", "greedy_beam1", "greedy_beam20"):
        r, g, b = to_rgb(strategy_color(name))
        assert b > r and b > g, name  # blue family
    for name in ("pweighted_beam1", "pweighted_beam10", "pweighted_beam20"):
        r, g, b = to_rgb(strategy_color(name))
        assert r > g and r > b, name  # orange/red family


UNKNOWN = ("vaal", "bald_plus", "my_new_thing", "sener2", "cdal", "badge_v2", "greedy_beam7",
           "pweighted_beam5")  # fmt: skip
_LOOKS = (
    "import json, sys\n"
    "from alcore.figures.style import strategy_color, strategy_marker\n"
    "print(json.dumps([[strategy_color(n), strategy_marker(n)] for n in sys.argv[1:]]))\n"
)


def test_unknown_names_look_the_same_in_every_process() -> None:
    # figures are drawn by separate workflow jobs: an unknown name must get the same colour and
    # marker in each, whatever the process's string-hash seed (Python's hash() would not)
    here = [[strategy_color(n), strategy_marker(n)] for n in UNKNOWN]
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # not this process's seed
    done = subprocess.run(
        [sys.executable, "-c", _LOOKS, *UNKNOWN], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )  # fmt: skip
    assert json.loads(done.stdout) == here


def test_unknown_names_look_unlike_the_known_ones() -> None:
    known = set(STRATEGY_COLORS.values())
    spare = [n for n in UNKNOWN if "_beam" not in n]  # names of no family
    assert not {strategy_color(n) for n in spare} & known
    assert len({strategy_color(n) for n in spare}) > 1  # chosen by name, not one catch-all
    assert len({strategy_marker(n) for n in spare}) > 1
    r, _, b = to_rgb(strategy_color("greedy_beam7"))
    assert b > r  # still blue: a greedy beam
    r, _, b = to_rgb(strategy_color("pweighted_beam5"))
    assert r > b
    assert not {strategy_color("greedy_beam7"), strategy_color("pweighted_beam5")} & known


def test_renamed_arms_keep_their_familys_look_by_settings() -> None:
    r, g, b = to_rgb(strategy_color("uniform", ("random", False, 1)))
    assert r == g == b  # grey, like random
    assert strategy_linestyle("uniform", ("random", False, 1)) == "--"
    assert strategy_linestyle("uniform") == "-"  # without settings only the name tells
    r, _, b = to_rgb(strategy_color("my_beam", ("coreset", True, 10)))
    assert r > b  # orange family: doubt-weighted
    r, _, b = to_rgb(strategy_color("sener", ("coreset", False, 1)))
    assert b > r  # blue family: plain core-set
    # settings win over a misleading name; known names keep their fixed colour
    r, _, b = to_rgb(strategy_color("greedy_beam7", ("coreset", True, 7)))
    assert r > b
    assert strategy_color("greedy", ("coreset", True, 3)) == STRATEGY_COLORS["greedy"]


def test_labels() -> None:
    assert strategy_label("pweighted_beam20") == "pweighted (beam=20)"
    assert strategy_label("greedy_beam1") == "greedy (beam=1)"
    assert strategy_label("least_confidence") == "least confidence"
    assert strategy_label("random") == "random"
    assert strategy_label("my_new_thing") == "my new thing"


def test_save_figure_writes_png_and_pdf(tmp_path: Path) -> None:
    fig = new_figure(3.0, 2.0)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x")
    finish(fig)
    paths = save_figure(fig, tmp_path / "sub" / "fig.v1")
    assert [p.name for p in paths] == ["fig.v1.png", "fig.v1.pdf"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[1].read_bytes().startswith(b"%PDF")
    image = mpimg.imread(paths[0])
    assert image.shape[:2] == (400, 600)  # (2 in, 3 in) * 200 dpi
    assert sorted(os.listdir(tmp_path / "sub")) == ["fig.v1.pdf", "fig.v1.png"]  # no temp files
    umask = os.umask(0)
    os.umask(umask)
    assert paths[0].stat().st_mode & 0o777 == 0o666 & ~umask  # usual permissions, not 0600


def test_save_figure_cleans_up_on_failure(tmp_path: Path) -> None:
    fig = new_figure(1.0, 1.0)
    ax = fig.add_subplot()
    ax.set_title("$\\notacommand$")  # mathtext fails at draw time
    with pytest.raises(ValueError):
        save_figure(fig, tmp_path / "broken")
    assert os.listdir(tmp_path) == []


def test_redrawing_a_figure_removes_a_killed_writes_temporaries(tmp_path: Path) -> None:
    # what a SIGKILL in the middle of savefig leaves behind
    leftovers = [tmp_path / ".fig.png.k1ll3d.tmp", tmp_path / ".fig.pdf.k1ll3d.tmp"]
    for leftover in leftovers:
        leftover.write_bytes(b"half a figure")
    fig = new_figure(1.0, 1.0)
    fig.add_subplot().plot([0, 1], [0, 1])
    save_figure(finish(fig), tmp_path / "fig")
    assert sorted(os.listdir(tmp_path)) == ["fig.pdf", "fig.png"]
