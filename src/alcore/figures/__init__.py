"""Publication figures of the paper, drawn with matplotlib (Agg backend) and seaborn styling.

* :mod:`~alcore.figures.style`: strategy colours, markers, labels; ``save_figure``.
* :mod:`~alcore.figures.learning_curves`: Figures 5 and 6, and the radius figure.
* :mod:`~alcore.figures.toys`: Figures 1, 3 and 4 on the 2-D toy data.
* :mod:`~alcore.figures.theory`: Figure 7, the lower bound on β.

Every function returns a :class:`matplotlib.figure.Figure` that is not registered with pyplot;
write it with :func:`save_figure`.
"""

import matplotlib

matplotlib.use("Agg")

from alcore.figures.learning_curves import (
    FIGURE5_PANELS,
    figure5,
    figure6,
    figure_radius,
    plot_learning_curves,
)
from alcore.figures.style import (
    save_figure,
    strategy_color,
    strategy_label,
    strategy_marker,
)
from alcore.figures.theory import figure7
from alcore.figures.toys import figure1, figure3, figure4

__all__ = [
    "FIGURE5_PANELS",
    "figure1",
    "figure3",
    "figure4",
    "figure5",
    "figure6",
    "figure7",
    "figure_radius",
    "plot_learning_curves",
    "save_figure",
    "strategy_color",
    "strategy_label",
    "strategy_marker",
]
