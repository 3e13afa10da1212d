"""Views of a finished run: figures (PNG, SVG, PDF) and animations (GIF, MP4).

Views read a Run; they never train. They draw with matplotlib's object API
on Agg canvases, so they hold no global state and need no display.
"""

from nnfit.views.animation import frame_count, frames, write_gif, write_mp4
from nnfit.views.figures import (
    FIGURES,
    data_figure,
    extrapolation_figure,
    fit_figure,
    loss_figure,
    nodes_figure,
    save_figure,
    waves_figure,
)

__all__ = [
    "FIGURES",
    "data_figure",
    "extrapolation_figure",
    "fit_figure",
    "frame_count",
    "frames",
    "loss_figure",
    "nodes_figure",
    "save_figure",
    "waves_figure",
    "write_gif",
    "write_mp4",
]
