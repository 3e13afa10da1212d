"""Tests for nnfit.views.figures: every figure renders, in the user's units."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

import nnfit
from nnfit import analysis
from nnfit.errors import NnfitError
from nnfit.views import figures, style

SHORT = {"steps": 50, "record_every": 5}


@pytest.fixture(scope="module")
def sigmoid_run():
    return nnfit.fit(**SHORT)


@pytest.fixture(scope="module")
def cos_run():
    return nnfit.fit(activation="cos", hidden=3, **SHORT)


@pytest.fixture(scope="module")
def dead_relu_run():
    """A ReLU run whose first unit is dead: its kink lies right of every sample."""
    run = nnfit.fit(activation="relu", hidden=6, **SHORT)
    params = {key: value.copy() for key, value in run.params.items()}
    # Standardised x stays below about 1.8, so z = u - 3 < 0 on every sample.
    params["w"][0, 0], params["b"][0, 0] = 1.0, -3.0
    metrics = analysis.metrics(params, run.samples, run.activation)
    return dataclasses.replace(run, params=params, metrics=metrics)


@pytest.fixture(scope="module")
def data_run():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 10.0, 30)
    y = np.sqrt(x) + 0.05 * rng.standard_normal(30)
    return nnfit.fit(x=x, y=y, data="roots.csv", **SHORT)


def lines(figure: Figure) -> list[Line2D]:
    return [line for ax in figure.axes for line in ax.lines]


def by_gid(figure: Figure, gid: str) -> Line2D:
    (found,) = [line for line in lines(figure) if line.get_gid() == gid]
    return found


@pytest.mark.parametrize("name", ["data", "fit", "nodes", "extrapolation", "loss"])
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_figure_renders_and_saves(sigmoid_run, tmp_path, name, suffix):
    figure = figures.FIGURES[name](sigmoid_run)
    path = figures.save_figure(figure, tmp_path / f"{name}{suffix}")
    assert path.stat().st_size > 1000


def test_waves_figure_renders_and_saves(cos_run, tmp_path):
    path = figures.save_figure(figures.waves_figure(cos_run), tmp_path / "w.png")
    with Image.open(path) as image:
        assert image.size[0] > 800


def test_png_is_saved_at_110_dpi(sigmoid_run, tmp_path):
    path = figures.save_figure(figures.fit_figure(sigmoid_run), tmp_path / "f.png")
    with Image.open(path) as image:
        width, height = image.size
    assert (width, height) == (round(8.0 * 110), round(4.4 * 110))


def test_pdf_is_written(sigmoid_run, tmp_path):
    path = figures.save_figure(figures.loss_figure(sigmoid_run), tmp_path / "l.pdf")
    assert path.read_bytes().startswith(b"%PDF")


def test_unknown_suffix_names_the_allowed_ones(sigmoid_run, tmp_path):
    with pytest.raises(NnfitError, match=r"\.png, \.svg, \.pdf"):
        figures.save_figure(figures.fit_figure(sigmoid_run), tmp_path / "f.jpg")


def test_net_out_of_range_is_refused(sigmoid_run):
    with pytest.raises(NnfitError, match="net 3 is out of range"):
        figures.fit_figure(sigmoid_run, net=3)


@pytest.mark.parametrize("name", ["data", "fit", "nodes", "extrapolation"])
def test_curves_are_drawn_on_sorted_x(sigmoid_run, name):
    # unsorted-x: the samples are drawn unsorted, the curves never zigzag.
    assert np.any(np.diff(sigmoid_run.samples.x[0]) < 0)
    figure = figures.FIGURES[name](sigmoid_run)
    curves = [line for line in lines(figure) if len(line.get_xdata()) > 2]
    assert curves
    for line in curves:
        assert np.all(np.diff(line.get_xdata()) > 0), line.get_label()


def test_samples_are_points_in_light_green(sigmoid_run):
    figure = figures.fit_figure(sigmoid_run)
    (points,) = [c for c in figure.axes[0].collections if isinstance(c, PathCollection)]
    assert np.allclose(points.get_offsets()[:, 0], sigmoid_run.samples.x[0])
    assert same_color(points.get_facecolor()[0], style.SAMPLES)


def test_target_is_blue_and_output_dark(sigmoid_run):
    figure = figures.fit_figure(sigmoid_run)
    colours = {line.get_label(): line.get_color() for line in lines(figure)}
    assert same_color(colours["target"], style.TARGET)
    assert same_color(colours["net output"], style.NET)


def test_data_figure_without_truth_shows_only_points(data_run):
    figure = figures.data_figure(data_run)
    assert lines(figure) == []
    assert "roots.csv" in figure.axes[0].get_title()


def test_fit_figure_shows_mse_and_r2(sigmoid_run):
    figure = figures.fit_figure(sigmoid_run)
    text = " ".join(t.get_text() for t in figure.axes[0].texts)
    assert f"{sigmoid_run.metrics['train_mse'][0]:.4g}" in text
    assert f"R² {sigmoid_run.metrics['r2'][0]:.4f}" in text


def test_title_is_plain_words(sigmoid_run):
    figure = figures.fit_figure(sigmoid_run)
    assert figure.axes[0].get_title() == "10 sigmoid nodes after 50 steps"


def test_nodes_sum_plus_c_is_the_output(sigmoid_run):
    figure = figures.nodes_figure(sigmoid_run)
    shares = [by_gid(figure, f"node-{i}").get_ydata() for i in range(10)]
    c = by_gid(figure, "bias").get_ydata()[0]
    output = by_gid(figure, "output")
    assert np.allclose(np.sum(shares, axis=0) + c, output.get_ydata())
    # Reference: the run's own prediction on the same x.
    predicted = sigmoid_run.predict(np.asarray(output.get_xdata()))[0]
    assert np.allclose(output.get_ydata(), predicted, atol=1e-5)


def test_nodes_have_one_line_each_in_the_palette(sigmoid_run):
    figure = figures.nodes_figure(sigmoid_run)
    for i in range(10):
        assert same_color(by_gid(figure, f"node-{i}").get_color(), style.node_colour(i))


def test_dead_relu_unit_is_drawn_dead(dead_relu_run):
    assert dead_relu_run.metrics["dead_units"][0] >= 1
    figure = figures.nodes_figure(dead_relu_run)
    dead = by_gid(figure, "node-0")
    assert same_color(dead.get_color(), style.DEAD)
    assert dead.get_linestyle() == "--"
    assert "dead" in dead.get_label()
    assert "dead" in figure.axes[0].get_title()


def test_live_units_are_not_drawn_dead(dead_relu_run):
    mask = figures.dead_mask(dead_relu_run)
    figure = figures.nodes_figure(dead_relu_run)
    for i in np.flatnonzero(~mask):
        assert "dead" not in by_gid(figure, f"node-{i}").get_label()


def test_many_nodes_share_one_legend_entry():
    run = nnfit.fit(hidden=20, steps=10, record_every=5)
    figure = figures.nodes_figure(run)
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "node contributions (20)" in labels
    assert not any(label.startswith("node 1") for label in labels)


def test_relu_kinks_are_marked_inside_the_plot(dead_relu_run):
    figure = figures.extrapolation_figure(dead_relu_run)
    (ticks,) = [c for c in figure.axes[0].collections if c.get_gid() == "kinks"]
    assert isinstance(ticks, LineCollection)
    drawn = sorted(segment[0, 0] for segment in ticks.get_segments())

    user = dead_relu_run.user_params
    kinks = -user["b"][0] / user["w"][0]
    grid = dead_relu_run.samples.grid
    expected = sorted(kinks[(kinks >= grid[0]) & (kinks <= grid[-1])])
    assert np.allclose(drawn, expected)
    # The dead unit's kink is outside the data but inside the plot.
    assert any(k > dead_relu_run.samples.x_range[1] for k in drawn)


def test_extrapolation_covers_the_wide_grid(sigmoid_run):
    figure = figures.extrapolation_figure(sigmoid_run)
    output = [line for line in lines(figure) if line.get_label() == "net output"]
    assert np.array_equal(output[0].get_xdata(), sigmoid_run.samples.grid)


def test_waves_figure_refuses_sigmoid(sigmoid_run):
    with pytest.raises(NnfitError, match="'sigmoid'.*cos"):
        figures.waves_figure(sigmoid_run)


def test_waves_table_lists_the_waves_in_user_units(cos_run):
    figure = figures.waves_figure(cos_run)
    table = figure.axes[1].tables[0]
    waves = analysis.waves(cos_run.user_params, 0, "cos")
    for row, wave in enumerate(waves, start=1):
        assert table[row, 1].get_text().get_text() == f"{wave.frequency:.3f}"
        assert table[row, 2].get_text().get_text() == f"{wave.period:.3f}"
        assert table[row, 4].get_text().get_text() == f"{wave.amplitude:.3f}"


def test_loss_figure_draws_noise_variance(sigmoid_run):
    figure = figures.loss_figure(sigmoid_run)
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    noise = [line for line in ax.lines if line.get_label().startswith("noise")]
    assert np.allclose(noise[0].get_ydata(), sigmoid_run.samples.noise**2)


def test_loss_figure_stops_at_divergence(sigmoid_run):
    loss = sigmoid_run.history.loss.copy()
    loss[20:] = np.nan
    history = dataclasses.replace(sigmoid_run.history, loss=loss)
    run = dataclasses.replace(sigmoid_run, history=history, diverged_at=np.array([20]))

    figure = figures.loss_figure(run)
    curve = figure.axes[0].lines[0]
    assert curve.get_xdata()[-1] == 19
    assert "diverged at step 20" in figure.axes[0].get_title()
