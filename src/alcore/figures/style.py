"""One look for every figure: strategy colours, markers and labels, the rc style, and saving.

Colours are fixed per strategy so that a strategy looks the same in every figure: ``random`` grey,
the greedy core-set family blue, the doubt-weighted ("pweighted") family orange to dark red, the
uncertainty baselines green and purple, the clustering strategies magenta (badge), ochre (kmeans)
and teal (typiclust). Any other name gets a deterministic shade of its family,
found from the arm's settings when they are given (an :data:`Arm`, as the experiment tables carry
them; else from a ``greedy_beam<K>`` / ``pweighted_beam<K>`` name), or one of a spare palette
chosen by a hash of the name, so plots never fail on a new strategy and a renamed arm keeps its
family's look.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import matplotlib as mpl
import seaborn as sns
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from alcore.files.atomic import atomic_write

DPI = 200  # PNG resolution
PANEL_WIDTH = 3.6  # inches per learning-curve panel
PANEL_HEIGHT = 3.0

STRATEGY_COLORS: dict[str, str] = {
    "random": "#7f7f7f",
    "greedy": "#08306b",
    "greedy_beam1": "#2171b5",
    "greedy_beam10": "#4292c6",
    "greedy_beam20": "#6baed6",
    "pweighted": "#f16913",
    "pweighted_beam1": "#fd8d3c",
    "pweighted_beam10": "#d94801",
    "pweighted_beam20": "#a50f15",
    "least_confidence": "#238b45",
    "entropy": "#74c476",
    "margin": "#6a51a3",
    "bald": "#000000",
    "badge": "#e7298a",
    "kmeans": "#a6761d",
    "typiclust": "#1b9e9e",
}
STRATEGY_MARKERS: dict[str, str] = {
    "random": "o",
    "greedy": "s",
    "greedy_beam1": "D",
    "greedy_beam10": "<",
    "greedy_beam20": "^",
    "pweighted": ">",
    "pweighted_beam1": "v",
    "pweighted_beam10": "P",
    "pweighted_beam20": "*",
    "least_confidence": "X",
    "entropy": "h",
    "margin": "p",
    "bald": "x",
    "badge": "d",
    "kmeans": "8",
    "typiclust": "H",
}
_SPARE_COLORS = ("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#9e9ac8", "#d6616b", "#636363")
_SPARE_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
_FAMILY_MAPS = {"random": "Greys", "greedy": "Blues", "pweighted": "Oranges"}
Arm = tuple[str, bool, int]  # an arm's settings: (kind, weighted, beam_width)
_BEAM = re.compile(r"^(?P<family>.+)_beam(?P<width>\d+)$")
_LABELS = {"least_confidence": "least confidence"}


def _hash(name: str) -> int:
    return int(hashlib.md5(name.encode(), usedforsecurity=False).hexdigest(), 16)


def _family(name: str, arm: Arm | None) -> str | None:
    """The colour family of an arm: from its settings if given, else from its name."""
    if arm is not None:
        kind, weighted, _ = arm
        if kind == "coreset":
            return "pweighted" if weighted else "greedy"
        return "random" if kind == "random" else None
    match = _BEAM.match(name)
    return match["family"] if match and match["family"] in _FAMILY_MAPS else None


def strategy_color(name: str, arm: Arm | None = None) -> str:
    """The hex colour of strategy ``name`` (fixed for known names, deterministic otherwise: a
    shade of the family of ``arm``, the arm's settings, when given)."""
    if name in STRATEGY_COLORS:
        return STRATEGY_COLORS[name]
    family = _family(name, arm)
    if family is not None:
        cmap = mpl.colormaps[_FAMILY_MAPS[family]]
        return to_hex(cmap(0.45 + 0.5 * (_hash(name) % 97) / 96))
    return _SPARE_COLORS[_hash(name) % len(_SPARE_COLORS)]


def strategy_marker(name: str) -> str:
    """The marker of strategy ``name`` (fixed for known names, deterministic otherwise)."""
    return STRATEGY_MARKERS.get(name, _SPARE_MARKERS[_hash(name) % len(_SPARE_MARKERS)])


def strategy_markersize(name: str) -> float:
    """Marker size in points: stars and pluses drawn larger so that all look equally heavy."""
    return {"*": 8.5, "P": 6.5, "X": 6.5, "p": 6.5, "h": 6.0}.get(strategy_marker(name), 5.5)


def strategy_linestyle(name: str, arm: Arm | None = None) -> str:
    """Dashed for the random baseline (by its settings when given, else by the name ``random``),
    solid otherwise."""
    return "--" if (arm[0] == "random" if arm is not None else name == "random") else "-"


def strategy_label(name: str) -> str:
    """Legend text: ``pweighted_beam20`` -> ``pweighted (beam=20)``, ``least_confidence`` ->
    ``least confidence``; other underscores become spaces."""
    if name in _LABELS:
        return _LABELS[name]
    match = _BEAM.match(name)
    if match:
        return f"{match['family'].replace('_', ' ')} (beam={int(match['width'])})"
    return name.replace("_", " ")


def style_rc() -> dict[str, Any]:
    """rcParams of the house style: seaborn whitegrid at "paper" scale, larger fonts."""
    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("paper", font_scale=1.3))
    rc.update(
        {
            "axes.titleweight": "bold",
            "legend.frameon": False,
            "figure.dpi": 100,
            "savefig.dpi": DPI,
            "pdf.fonttype": 42,  # embed TrueType fonts (editable text in the PDF)
            "lines.linewidth": 1.6,
            "lines.markersize": 5.0,
        }
    )
    return rc


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Apply :func:`style_rc` while figures are built (restores the caller's rcParams)."""
    with mpl.rc_context(cast(Any, style_rc())):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches with constrained layout, not registered with
    pyplot (so it is freed when dropped). Call inside :func:`figure_style`."""
    return Figure(figsize=(width, height), layout="constrained")


def finish(fig: Figure) -> Figure:
    """Draw ``fig`` once without rendering, inside the style: matplotlib creates ticks (and reads
    their rcParams) at draw time, so without this the ticks of a figure saved outside
    :func:`figure_style` would take the caller's rcParams and the layout could clip labels."""
    with figure_style():
        fig.draw_without_rendering()
    return fig


def save_figure(fig: Figure, stem: Path | str, dpi: int = DPI) -> list[Path]:
    """Write ``fig`` to ``<stem>.png`` (at ``dpi``) and ``<stem>.pdf``; return both paths.

    Each file is written with :func:`~alcore.files.atomic.atomic_write`, so a reader never sees
    a half-written figure and a killed write leaves no temporary behind once the figure is
    redrawn. The PNG is exactly ``figsize * dpi`` pixels (no tight bounding box: the layout
    engine keeps labels inside). Creates the directory if needed.
    """
    stem = Path(stem)
    written = []
    for fmt in ("png", "pdf"):
        target = stem.with_name(f"{stem.name}.{fmt}")
        metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        with atomic_write(target) as temporary, figure_style():
            fig.savefig(temporary, format=fmt, dpi=dpi, metadata=metadata)
        written.append(target)
    return written
