"""Views of a finished run: figures (PNG, SVG, PDF) and animations (GIF, MP4).

Views read a Run; they never train. They draw with matplotlib's object API
on Agg canvases, so they hold no global state and need no display.
"""

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

_ANIMATION = ("frame_count", "frames", "write_gif", "write_mp4")


def __getattr__(name: str):
    # Animation pulls in Pillow's encoder and ffmpeg's finder: load on use,
    # so a figure-only command starts faster.
    if name in _ANIMATION:
        from nnfit.views import animation

        return getattr(animation, name)
    raise AttributeError(f"module 'nnfit.views' has no attribute {name!r}")


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
