"""Tests for nnfit.views.animation: frames by blitting, GIF and MP4 files."""

from __future__ import annotations

import imageio_ffmpeg
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import nnfit
from nnfit.errors import NnfitError
from nnfit.views import animation, style

SMALL = (320, 180)


@pytest.fixture(scope="module")
def run():
    return nnfit.fit(steps=50, record_every=5)


def has_ffmpeg() -> bool:
    try:
        imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return False
    return True


def test_frames_are_rgb_of_the_asked_size(run):
    shown = list(animation.frames(run, size=SMALL))
    assert len(shown) == len(run.history.steps)
    assert {frame.shape for frame in shown} == {(180, 320, 3)}
    assert shown[0].dtype == np.uint8


@pytest.mark.parametrize("size", [(640, 360), (641, 361), (1000, 563), (96, 64)])
def test_frame_has_exactly_the_asked_pixels(run, size):
    first = next(animation.frames(run, size=size))
    assert first.shape == (size[1], size[0], 3)


def test_every_keeps_the_last_record(run):
    # 11 records (steps 0, 5, ..., 50); every 3 shows 0, 3, 6, 9 and 10.
    scene = animation.Scene(run, size=SMALL)
    assert scene.records(3).tolist() == [0, 3, 6, 9, 10]
    assert animation.frame_count(run, every=3) == 5
    assert len(list(animation.frames(run, every=3, size=SMALL))) == 5


@pytest.mark.parametrize("wide", [False, True])
def test_curves_are_drawn_on_the_sorted_grid(run, wide):
    # unsorted-x: the samples are unsorted, the animated curve never zigzags.
    assert np.any(np.diff(run.samples.x[0]) < 0)
    scene = animation.Scene(run, size=SMALL, wide=wide)
    shown = run.samples.grid if wide else run.samples.grid[run.samples.inside]
    assert np.array_equal(scene.line.get_xdata(), shown)


def test_frames_change_as_the_net_learns(run):
    shown = list(animation.frames(run, every=10, size=SMALL))
    assert np.abs(shown[0].astype(int) - shown[-1]).sum() > 0


def test_target_pixel_is_blue(run):
    scene = animation.Scene(run, size=SMALL)
    frame = next(scene.rgba(np.array([0])))[:, :, :3]
    samples = run.samples
    grid, truth = samples.grid[samples.inside], samples.truth[samples.inside]
    # The grid point farthest from every sample and from the net's curve.
    gap = np.abs(grid[:, None] - samples.x[0][None, :]).min(axis=1)
    gap = gap * np.abs(truth - scene.curves[0, samples.inside])
    at = int(np.argmax(gap))

    px, py = scene.ax.transData.transform((grid[at], truth[at]))
    red, green, blue = frame[SMALL[1] - int(round(py)), int(round(px))].astype(int)
    assert blue > red + 60 and blue > green + 20


def test_node_lines_sum_to_the_output(run):
    scene = animation.Scene(run, size=SMALL, nodes=True)
    last = len(scene.curves) - 1
    for _ in scene.rgba(np.array([last])):
        pass
    scale = run.samples.scaling
    c = run.history.params["c"][last, 0] * scale.y_std[0] + scale.y_mean[0]
    shares = [line.get_ydata() for line in scene.node_lines]
    assert len(shares) == run.spec.hidden
    assert np.allclose(np.sum(shares, axis=0) + c, scene.line.get_ydata(), atol=1e-4)


def nearest_colours(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """The palette colour nearest each pixel (N, 3), by brute force."""
    distance = ((pixels[:, None, :] - palette[None, :, :].astype(int)) ** 2).sum(2)
    return palette[distance.argmin(axis=1)]


def test_palette_lookup_is_close_to_the_nearest_colour(run):
    scene = animation.Scene(run, size=SMALL, nodes=True)
    rgba = next(scene.rgba(np.array([len(scene.curves) - 1]))).copy()
    frame = rgba[:, :, :3].reshape(-1, 3).astype(int)
    palette = animation.fixed_palette(rgba[:, :, :3], scene.colours)
    lookup = animation.palette_lookup(palette)
    mapped = palette[lookup[animation._colour_keys(rgba)]].reshape(-1, 3)

    # Reference: every pixel mapped to its truly nearest palette colour.
    nearest = np.concatenate(
        [nearest_colours(part, palette) for part in np.array_split(frame, 16)]
    )
    error = np.abs(mapped.astype(int) - frame).max(axis=1)
    best = np.abs(nearest.astype(int) - frame).max(axis=1)
    assert len(palette) <= 256
    assert error.mean() < 1.5
    assert error.mean() < best.mean() + 0.5


def test_palette_holds_the_exact_artist_colours(run):
    frame = next(animation.frames(run, size=SMALL))
    palette = animation.fixed_palette(frame, [style.NET, style.node_colour(0)])
    for colour in (style.NET, style.node_colour(0), "white"):
        exact = np.round(np.array(to_rgb(colour)) * 255)
        assert np.any(np.all(palette == exact, axis=1)), colour


def test_gif_has_one_frame_per_record(run, tmp_path):
    path = animation.write_gif(run, tmp_path / "t.gif", size=SMALL, fps=20)
    with Image.open(path) as gif:
        assert gif.n_frames == len(run.history.steps)
        assert gif.info["loop"] == 0
        assert gif.info["duration"] == 50
        first = np.asarray(gif.convert("RGB"))
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB"))
    assert first.shape == (180, 320, 3)
    assert np.abs(first.astype(int) - last).sum() > 0


def test_gif_reports_progress(run, tmp_path):
    calls = []
    animation.write_gif(
        run,
        tmp_path / "p.gif",
        every=2,
        size=SMALL,
        progress=lambda *a: calls.append(a),
    )
    total = animation.frame_count(run, every=2)
    assert calls == [(done, total) for done in range(1, total + 1)]


def test_gif_needs_a_gif_suffix(run, tmp_path):
    with pytest.raises(NnfitError, match=r"\.gif"):
        animation.write_gif(run, tmp_path / "t.png", size=SMALL)


@pytest.mark.parametrize(
    ("option", "value"), [("every", 0), ("size", (10, 10)), ("fps", 0)]
)
def test_bad_options_are_refused(run, tmp_path, option, value):
    with pytest.raises(NnfitError, match=option):
        animation.write_gif(run, tmp_path / "t.gif", **{option: value})


@pytest.mark.skipif(not has_ffmpeg(), reason="imageio-ffmpeg finds no ffmpeg")
def test_mp4_is_written(run, tmp_path):
    calls = []
    path = animation.write_mp4(
        run, tmp_path / "t.mp4", size=(321, 181), progress=lambda *a: calls.append(a)
    )
    assert path.stat().st_size > 1000
    assert calls[-1] == (len(run.history.steps),) * 2
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == len(run.history.steps)


def test_mp4_without_ffmpeg_says_so(run, tmp_path, monkeypatch):
    def missing():
        raise RuntimeError("no ffmpeg")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", missing)
    with pytest.raises(NnfitError, match="ffmpeg"):
        animation.write_mp4(run, tmp_path / "t.mp4", size=SMALL)
