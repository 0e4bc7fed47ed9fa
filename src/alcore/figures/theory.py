"""The paper's Figure 7: the lower bound on β (Equation 11) against δ, one panel per doubt slice z.

Shading shows the values β may take (between the bound, floored at 0, and 1): orange where
δ < 1/λc (quadratic convergence of the core-set loss possible), blue where 1/λc <= δ <= δ*,
pale blue beyond δ* where the bound says nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import ArrayLike

from alcore.analysis.theory import beta_lower_bound, delta_star, quadratic_threshold
from alcore.figures.style import figure_style, finish, new_figure

QUADRATIC_COLOR = "#fdae6b"
GUARANTEED_COLOR = "#6baed6"
NO_INFO_COLOR = "#deebf7"
BOUND_COLOR = "#08306b"
DEFAULT_ZS: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)


def figure7(
    deltas: ArrayLike | None = None,
    zs: Sequence[float] = DEFAULT_ZS,
    lambda_c: float = 1.0,
    lambda_e: float = 1.0,
) -> Figure:
    """Lower bound on β against δ for each z in ``zs`` (one panel each, shared axes), with the
    quadratic-convergence region δ < 1/λc shaded and δ* (Equation 12) marked.

    deltas: (M,) increasing δ >= 0 (default: 400 points on [0, 1.25·max δ*]).
    """
    if len(zs) == 0:
        raise ValueError("zs is empty; pass at least one doubt slice z in [0, 1]")
    stars = delta_star(np.asarray(zs, dtype=np.float64), lambda_c, lambda_e)
    if deltas is None:
        d = np.linspace(0.0, 1.25 * float(stars.max()), 400)
    else:
        d = np.asarray(deltas, dtype=np.float64).reshape(-1)
        if d.size < 2 or np.any(np.diff(d) <= 0):
            raise ValueError(f"deltas must be at least 2 increasing values, got {d[:5]}...")
    threshold = quadratic_threshold(lambda_c)
    with figure_style():
        fig = new_figure(2.6 * len(zs) + 0.4, 3.9)
        axes = fig.subplots(1, len(zs), sharey=True, squeeze=False)[0]
        for ax, z, star in zip(axes, zs, stars, strict=True):
            bound = beta_lower_bound(d, z, lambda_c, lambda_e)
            floor = np.clip(bound, 0.0, 1.0)
            informative = d <= star
            ax.fill_between(
                d,
                floor,
                1.0,
                where=informative & (d < threshold),
                color=QUADRATIC_COLOR,
                linewidth=0,
                interpolate=True,
            )
            ax.fill_between(
                d,
                floor,
                1.0,
                where=informative & (d >= threshold),
                color=GUARANTEED_COLOR,
                linewidth=0,
                interpolate=True,
            )
            ax.fill_between(d, 0.0, 1.0, where=d >= star, color=NO_INFO_COLOR, linewidth=0)
            ax.plot(d, bound, color=BOUND_COLOR, linewidth=1.8)
            ax.axvline(star, color="black", linestyle="--", linewidth=1.0)
            ax.axvline(threshold, color="#a63603", linestyle=":", linewidth=1.2)
            ax.annotate(
                f"δ* = {star:.2f}",
                xy=(star, 0.92),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize="small",
                ha="left",
                va="center",
            )
            ax.set_title(f"z = {z:g}")
            ax.set_xlim(d[0], d[-1])
            ax.set_ylim(-0.05, 1.0)
            ax.set_xlabel("δ")
            ax.grid(False)
        axes[0].set_ylabel("β")
        handles = [
            Line2D([], [], color=BOUND_COLOR, linewidth=1.8, label="lower bound on β (Eq. 11)"),
            Patch(color=QUADRATIC_COLOR, label=f"possible β, δ < 1/λc = {threshold:g}"),
            Patch(color=GUARANTEED_COLOR, label="possible β, 1/λc ≤ δ ≤ δ*"),
            Patch(color=NO_INFO_COLOR, label="δ > δ*: no guarantee"),
            Line2D([], [], color="black", linestyle="--", linewidth=1.0, label="δ* (Eq. 12)"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize="small")
        fig.suptitle(
            f"Lower bound on β over δ and doubt slices z (λc = {lambda_c:g}, λe = {lambda_e:g})",
            fontweight="bold",
        )
    return finish(fig)
