"""The training animation: the net's curve after each recorded step.

The static part of a frame (axes, target, samples, shading, legend) is drawn
once and kept as a bitmap; each frame restores that bitmap, moves the
changing artists (the output line, the node lines, the step and loss) with
set_ydata / set_text and draws only them (blitting). Frames are RGB arrays;
`write_gif` maps them to one fixed palette through a lookup table and lets
Pillow encode, `write_mp4` pipes them to ffmpeg (imageio-ffmpeg).

Example:
    >>> run = nnfit.fit(steps=1000)
    >>> write_gif(run, "training.gif", every=5)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import offset_copy
from PIL import Image

from nnfit.errors import NnfitError
from nnfit.network import hidden_outputs
from nnfit.run import Run
from nnfit.views import style

Progress = Callable[[int, int], None]
# Frames of a written animation unless asked otherwise: every k-th record.
FRAMES = 250
SIZE = (640, 360)
# Narrower frames drop the title and the legend.
WIDE_ENOUGH = 560
DPI = 100
# Frames whose node lines are computed in one go.
CHUNK = 64
# Bits kept per colour channel by the palette lookup table.
BITS = 5


class Scene:
    """One figure set up for blitting: a static background, moving artists.

    Args:
        run: a finished run that recorded curves.
        net: which net of the batch.
        size: frame size in pixels (width, height).
        nodes: also draw each node's contribution as a thin line.
        wide: show the whole extrapolation grid with the training range
            shaded, instead of the training range only.

    Example:
        >>> scene = Scene(run, size=(640, 360), nodes=True)
        >>> last = next(scene.rgba(scene.records(every=1)[-1:])).copy()
    """

    def __init__(
        self,
        run: Run,
        net: int = 0,
        size: tuple[int, int] = SIZE,
        nodes: bool = False,
        wide: bool = False,
    ) -> None:
        self.run, self.net = run, style.check_net(run, net)
        self.size = _check_size(size)
        self.curves = run.recorded_curves(self.net)
        self.keep = slice(None) if wide else run.samples.inside
        self.x = run.samples.grid[self.keep]
        self.loss = run.loss(self.net)

        width, height = self.size
        # Frames larger than SIZE scale up as a whole, text included.
        dpi = DPI * max(1.0, min(width / SIZE[0], height / SIZE[1]))
        # A hundredth of a pixel more, so rounding never loses a pixel.
        inches = ((width + 0.01) / dpi, (height + 0.01) / dpi)
        self.figure = Figure(figsize=inches, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self._draw_static(wide)
        self._add_moving(nodes)

        self.canvas.draw()
        self.figure.set_layout_engine("none")
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def _draw_static(self, wide: bool) -> None:
        ax, run = self.ax, self.run
        if wide:
            style.shade_training_range(ax, run)
        style.draw_target(ax, run, inside=not wide)
        style.draw_samples(ax, run, self.net, s=10)
        ax.set_xlim(self.x[0], self.x[-1])
        # A narrow frame keeps the title's row for the step and loss only.
        title = f"{style.nodes_phrase(run)} fitting {style.fitted(run)}"
        ax.set_title(title if self.wide_enough else "\u00a0", fontsize=10, loc="left")
        ax.tick_params(labelsize=8)
        ax.set_xlabel("x", fontsize=9, labelpad=1)
        ax.set_ylabel("y", fontsize=9, labelpad=1)
        ax.grid(True, color="#e0e0e0", lw=0.5)
        ax.set_axisbelow(True)

    def _add_moving(self, nodes: bool) -> None:
        ax, run = self.ax, self.run
        hidden = run.spec.hidden
        self.node_lines = []
        if nodes:
            for i in range(hidden):
                (line,) = ax.plot(
                    self.x,
                    self.x * 0,
                    color=style.node_colour(i),
                    lw=0.8,
                    animated=True,
                    label="nodes" if i == 0 else None,
                )
                self.node_lines.append(line)
        (self.line,) = ax.plot(
            self.x,
            self.curves[0, self.keep],
            color=style.NET,
            lw=2.0,
            animated=True,
            label="net output",
        )
        self._add_counter()

        known = [run.samples.y[self.net]]
        if run.samples.truth is not None:
            known.append(run.samples.truth[self.keep])
        extra = [self.curves[-1, self.keep]]
        if nodes:
            extra += list(self._shares(np.array([len(self.curves) - 1]))[0])
        low, high = style.y_limits(known, extra)
        if self.wide_enough:
            # A band on top for the legend, in one row.
            ax.set_ylim(low, high + 0.2 * (high - low))
            ax.legend(loc="upper left", ncols=6, fontsize=8, frameon=False)
        else:
            ax.set_ylim(low, high)

    def _add_counter(self) -> None:
        """'step 120    MSE 0.0123' in the title's row, at the right.

        The words are static; only the numbers are redrawn each frame (text
        is most of a frame's cost, and each text drawn costs apart from its
        glyphs, so both numbers share one text artist).
        """
        font = FontProperties(family="monospace", size=9)
        renderer = self.canvas.get_renderer()
        width, _, _ = renderer.get_text_width_height_descent("0" * 10, font, False)
        cell = width / 10 * 72 / self.figure.dpi

        def text(cells: int, content: str, animated: bool):
            # Left edge `cells` characters left of the axes' right edge.
            place = offset_copy(
                self.ax.transAxes, self.figure, x=-cells * cell, y=6, units="points"
            )
            return self.ax.text(
                1.0, 1.0, content, transform=place, ha="left", va="baseline",
                fontproperties=font, animated=animated, in_layout=False,
            )  # fmt: skip

        # Cells: "step " (5), the step (6), "  MSE " (6), the loss (9). One
        # moving text holds both numbers, spaced to pass the static words.
        text(26, "step", False)
        text(13, "MSE", False)
        self.numbers = text(21, "", True)

    @property
    def wide_enough(self) -> bool:
        """Whether the frame has room for a title and a legend."""
        return self.size[0] >= WIDE_ENOUGH

    @property
    def colours(self) -> list[str]:
        """The colours of the moving artists."""
        return [style.NET] + [line.get_color() for line in self.node_lines]

    def records(self, every: int) -> np.ndarray:
        """The record indices shown: every `every`-th one, and always the last."""
        every = _check_every(every)
        count = len(self.curves)
        shown = np.arange(0, count, every)
        return shown if shown[-1] == count - 1 else np.append(shown, count - 1)

    def rgba(self, records: np.ndarray) -> Iterator[np.ndarray]:
        """Draw each record; yield the canvas's RGBA buffer, (H, W, 4) uint8.

        The buffer is the canvas's own and is redrawn for the next record:
        copy what must outlive one step of the iteration.
        """
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            shares = self._shares(chunk) if self.node_lines else None
            for k, record in enumerate(chunk):
                yield self._draw(record, None if shares is None else shares[k])

    def _draw(self, record: int, shares: np.ndarray | None) -> np.ndarray:
        self.canvas.restore_region(self.background)
        if shares is not None:
            for line, share in zip(self.node_lines, shares, strict=True):
                line.set_ydata(share)
                self.ax.draw_artist(line)
        self.line.set_ydata(self.curves[record, self.keep])
        self.ax.draw_artist(self.line)

        step = int(self.run.history.steps[record])
        loss = self.loss[step]
        shown = f"{loss:.4g}" if np.isfinite(loss) else "diverged"
        self.numbers.set_text(f"{step:<6}{'':6}{shown}")
        self.ax.draw_artist(self.numbers)
        return np.asarray(self.canvas.buffer_rgba())

    def _shares(self, records: np.ndarray) -> np.ndarray:
        """Node shares v_i h_i(x) at some records, (len, H, X), in y units."""
        run, net = self.run, self.net
        scale = run.samples.scaling
        # The records of one net, read as a batch of nets: (records, H) each.
        params = {
            k: jnp.asarray(v[records, net]) for k, v in run.history.params.items()
        }
        # u: (records, X), the shown x in standardised units.
        u = (self.x - scale.x_mean[net]) / scale.x_std[net]
        u = jnp.asarray(np.tile(u, (len(records), 1)), params["w"].dtype)
        h = np.asarray(hidden_outputs(params, u, run.activation), np.float64)
        return np.asarray(params["v"])[:, :, None] * h * scale.y_std[net]


def frames(
    run: Run,
    net: int = 0,
    every: int = 1,
    size: tuple[int, int] = SIZE,
    nodes: bool = False,
    wide: bool = False,
) -> Iterator[np.ndarray]:
    """The training animation as RGB frames, one per shown record.

    Args:
        run: a finished run that recorded curves (record_curves=True).
        net: which net of the batch.
        every: show every `every`-th record (and always the last).
        size: frame size in pixels, (width, height).
        nodes: also draw each node's contribution as a thin line.
        wide: show the whole extrapolation range, training range shaded.

    Returns:
        An iterator of uint8 arrays of shape (height, width, 3).

    Example:
        >>> first = next(frames(nnfit.fit(steps=100)))
        >>> first.shape
        (360, 640, 3)
    """
    # Built before iterating, so bad arguments fail at the call.
    scene = Scene(run, net, size, nodes, wide)
    records = scene.records(every)
    return (rgba[:, :, :3].copy() for rgba in scene.rgba(records))


def frame_count(run: Run, every: int = 1) -> int:
    """How many frames `frames` yields for a run at `every`."""
    every, count = _check_every(every), len(run.history.steps)
    return -(-count // every) + ((count - 1) % every != 0)


def every_for(run: Run, frames: int) -> int:
    """The smallest step between shown records that keeps at most `frames`."""
    every = max(1, -(-len(run.history.steps) // frames))
    while frame_count(run, every) > frames:
        every += 1
    return every


def write_gif(
    run: Run,
    path: str | Path,
    net: int = 0,
    every: int = 1,
    fps: float = 25,
    size: tuple[int, int] = SIZE,
    nodes: bool = False,
    wide: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the training animation as a looping GIF.

    Every frame is mapped to one fixed palette (the first frame's colours and
    the moving artists' colours and their blends), without dithering, through
    a lookup table on the top BITS bits of each channel.

    Args:
        run: a finished run that recorded curves.
        path: the .gif file to write; missing folders are created.
        net: which net of the batch.
        every: show every `every`-th record (and always the last).
        fps: frames per second; GIF stores delays in hundredths of a second.
        size: frame size in pixels, (width, height).
        nodes: also draw each node's contribution as a thin line.
        wide: show the whole extrapolation range, training range shaded.
        progress: called with (frames done, frames in all).

    Returns:
        The path written.

    Example:
        >>> write_gif(nnfit.fit(steps=200), "training.gif", every=2)
    """
    path = _out_path(path, ".gif")
    fps = _check_fps(fps)
    scene = Scene(run, net, size, nodes, wide)
    records = scene.records(every)
    images = _palette_images(scene, records, progress)

    first = next(images)
    first.save(
        path,
        save_all=True,
        append_images=images,
        duration=1000 / fps,
        loop=0,
        optimize=False,
    )
    return path


def write_mp4(
    run: Run,
    path: str | Path,
    net: int = 0,
    every: int = 1,
    fps: float = 25,
    size: tuple[int, int] = SIZE,
    nodes: bool = False,
    wide: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the training animation as an H.264 MP4 (yuv420p) with ffmpeg.

    Odd frame sizes are rounded up to even ones, as yuv420p needs.

    Args:
        run: a finished run that recorded curves.
        path: the .mp4 file to write; missing folders are created.
        net, every, size, nodes, wide: as for `frames`.
        fps: frames per second.
        progress: called with (frames done, frames in all).

    Returns:
        The path written.

    Raises:
        NnfitError: imageio-ffmpeg cannot find an ffmpeg executable.

    Example:
        >>> write_mp4(nnfit.fit(steps=200), "training.mp4")
    """
    path = _out_path(path, ".mp4")
    fps = _check_fps(fps)
    width, height = _check_size(size)
    size = (width + width % 2, height + height % 2)
    writer = _ffmpeg_writer(path, size, fps)

    scene = Scene(run, net, size, nodes, wide)
    records = scene.records(every)
    with warnings.catch_warnings():
        # imageio-ffmpeg starts ffmpeg by fork and exec (shielding it from
        # Ctrl-C); JAX warns on every fork, but this child only execs ffmpeg.
        warnings.filterwarnings("ignore", r"os\.fork\(\) was called", RuntimeWarning)
        writer.send(None)
    try:
        for done, rgba in enumerate(scene.rgba(records), start=1):
            writer.send(np.ascontiguousarray(rgba[:, :, :3]).tobytes())
            if progress:
                progress(done, len(records))
    finally:
        writer.close()
    return path


def _ffmpeg_writer(path: Path, size: tuple[int, int], fps: float):
    import imageio_ffmpeg

    try:
        imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        raise NnfitError(
            "cannot write an MP4: imageio-ffmpeg finds no ffmpeg executable; "
            "install ffmpeg (or set IMAGEIO_FFMPEG_EXE), or write a GIF instead."
        ) from None
    return imageio_ffmpeg.write_frames(
        str(path),
        size,
        fps=fps,
        codec="libx264",
        pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p",
        macro_block_size=2,
        ffmpeg_log_level="error",
    )


def _palette_images(
    scene: Scene, records: np.ndarray, progress: Progress | None
) -> Iterator[Image.Image]:
    """Each frame as a palette image, all sharing one palette."""
    lookup = palette = None
    width, height = scene.size
    for done, rgba in enumerate(scene.rgba(records), start=1):
        if lookup is None:
            palette = fixed_palette(rgba[:, :, :3], scene.colours)
            lookup = palette_lookup(palette)
        indices = lookup[_colour_keys(rgba)]
        image = Image.frombuffer("P", (width, height), indices, "raw", "P", 0, 1)
        image.putpalette(palette.tobytes())
        if progress:
            progress(done, len(records))
        yield image


def fixed_palette(first: np.ndarray, colours: list[str]) -> np.ndarray:
    """A palette of at most 256 colours for every frame, shape (P, 3) uint8.

    It holds white, black, the moving artists' exact colours and their blends
    with the backgrounds they cross (antialiased edges), and fills the rest
    with the first frame's own colours (median cut).

    Args:
        first: the first frame, (H, W, 3) uint8.
        colours: the moving artists' colours (matplotlib colour specs).

    Returns:
        The palette, exact colours first.
    """
    exact = [(1.0, 1.0, 1.0), (0.0, 0.0, 0.0)] + [to_rgb(c) for c in colours]
    grounds = [(1.0, 1.0, 1.0), to_rgb(style.SHADE), to_rgb(style.TARGET)]
    blends = [
        tuple(a * np.array(c) + (1 - a) * np.array(g))
        for c in exact[2:]
        for g in grounds
        for a in (0.2, 0.4, 0.6, 0.8)
    ]
    fixed = np.round(np.array(exact + blends) * 255).astype(np.uint8)
    fixed = _unique_rows(fixed)[:192]

    free = 256 - len(fixed)
    sample = Image.fromarray(np.ascontiguousarray(first))
    median = sample.quantize(free, method=Image.Quantize.MEDIANCUT)
    found = np.array(median.getpalette()[: 3 * free], np.uint8).reshape(-1, 3)
    return _unique_rows(np.concatenate([fixed, found]))[:256]


def palette_lookup(palette: np.ndarray) -> np.ndarray:
    """For every colour key, the nearest palette index: (2**(3 * BITS),) uint8.

    A key stands for a cube of 2**(8 - BITS) levels a side; it maps to the
    palette colour nearest the cube's centre, except that a cube holding a
    palette colour maps to that colour (the earliest, when several share
    it), so white stays white and every exact colour stays exact.
    """
    levels = 1 << BITS
    keys = np.arange(levels**3)
    # A key holds red in its low bits, then green, then blue (see _colour_keys).
    channels = [(keys >> (BITS * i)) & (levels - 1) for i in range(3)]
    centres = np.stack(channels, axis=1) * (256 / levels) + 128 / levels

    lookup = np.empty(len(keys), np.uint8)
    colours = palette.astype(np.float64)
    for start in range(0, len(keys), 4096):
        block = centres[start : start + 4096]
        distance = ((block[:, None, :] - colours[None, :, :]) ** 2).sum(axis=2)
        lookup[start : start + 4096] = distance.argmin(axis=1)

    own = _colour_keys(np.column_stack([palette, np.zeros(len(palette), np.uint8)]))
    cubes, first = np.unique(own, return_index=True)
    lookup[cubes] = first
    return lookup


def _colour_keys(rgba: np.ndarray) -> np.ndarray:
    """Each pixel's key: the top BITS bits of red, green and blue, (...).

    rgba: uint8, (..., 4), contiguous in its last axis.
    """
    # One little-endian uint32 per pixel: red in the low byte.
    packed = np.ascontiguousarray(rgba).view("<u4")[..., 0]
    drop, mask = 8 - BITS, (1 << BITS) - 1
    red = (packed >> drop) & mask
    green = (packed >> (8 + drop - BITS)) & (mask << BITS)
    blue = (packed >> (16 + drop - 2 * BITS)) & (mask << (2 * BITS))
    return red | green | blue


def _unique_rows(colours: np.ndarray) -> np.ndarray:
    _, first = np.unique(colours, axis=0, return_index=True)
    return colours[np.sort(first)]


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(side) for side in size)
    except (TypeError, ValueError):
        width = height = 0
    if not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise NnfitError(
            f"size {size!r} is not a frame size; give (width, height) in pixels, "
            "each from 64 to 4096, e.g. (640, 360)."
        )
    return width, height


def _check_every(every: int) -> int:
    if int(every) != every or every < 1:
        raise NnfitError(
            f"every={every!r} must be a whole number of records, 1 or more."
        )
    return int(every)


def _check_fps(fps: float) -> float:
    if not 0 < fps <= 100:
        raise NnfitError(f"fps={fps!r} must be above 0 and at most 100.")
    return float(fps)


def _out_path(path: str | Path, suffix: str) -> Path:
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise NnfitError(
            f"cannot write {str(path)!r} here: this writes {suffix} files; "
            f"give a path ending in {suffix}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
