import numpy as np
import pytest

from nnfit.errors import NnfitError
from nnfit.run import fit
from nnfit.views import priors


@pytest.fixture(scope="module")
def runs():
    return {
        name: fit(activation=name, hidden=hidden, steps=200, record_curves=False)
        for name, hidden in (("tanh", 10), ("relu", 20), ("cos", 3))
    }


def test_compare_figure_has_a_row_of_three_panels_per_activation(runs, tmp_path):
    figure = priors.compare_figure(runs)
    assert len(figure.axes) == 9
    figure.savefig(tmp_path / "compare.png")
    assert (tmp_path / "compare.png").stat().st_size > 10_000


def test_compare_uses_the_same_samples_for_every_prior(runs):
    first, *others = runs.values()
    for run in others:
        np.testing.assert_array_equal(run.samples.x, first.samples.x)


def test_spectrum_figure_marks_each_periodic_node(runs):
    figure = priors.spectrum_figure(runs["cos"])
    ax = figure.axes[0]
    markers = [
        line
        for line in ax.lines
        if line.get_marker() == "o" and len(line.get_xdata()) == 1
    ]
    assert len(markers) == 3
    frequencies = sorted(float(line.get_xdata()[0]) for line in markers)
    np.testing.assert_allclose(
        frequencies, sorted(priors.node_frequencies(runs["cos"])), rtol=1e-12
    )


def test_spectrum_figure_refuses_a_non_periodic_run(runs):
    with pytest.raises(NnfitError, match="periodic"):
        priors.spectrum_figure(runs["tanh"])


def test_snake_frequency_counts_its_a():
    run = fit(activation="snake", hidden=2, steps=1, snake_a=1.5, train_snake_a=False)
    expected = 3.0 * np.abs(run.user_params["w"][0])
    np.testing.assert_allclose(priors.node_frequencies(run), expected)


def test_pieces_figure_draws_a_bar_per_depth():
    figure = priors.pieces_figure({1: [10, 12], 2: [9, 14]}, {1: 100, 2: 97})
    assert len(figure.axes[0].patches) == 2
