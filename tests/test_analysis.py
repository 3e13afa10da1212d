import json

import numpy as np
import pytest

from nnfit import analysis
from nnfit.cli import main
from nnfit.run import fit


def test_x4_on_a_wide_raw_range_fits_with_r2_above_099():
    # Case x4-raw: x**4 on [-100, 100], sigmoid 10, Adam 0.01, 3000 steps.
    run = fit(
        target="x**4",
        x_range=(-100, 100),
        samples=200,
        noise=0.0,
        activation="sigmoid",
        lr=0.01,
        steps=3000,
        seeds=2,
        record_curves=False,
    )
    assert np.all(run.metrics["r2"] > 0.99)


def test_r2_is_reported_beside_mse_and_never_accuracy(tmp_path, capsys):
    # Case r2-not-mse: a small MSE alone can hide a straight-line fit.
    code = main(
        [
            "fit",
            "(x-0.5)**2",
            "--range",
            "0,0.99",
            "--samples",
            "100",
            "--noise",
            "0",
            "--activation",
            "relu",
            "--hidden",
            "16",
            "--optimizer",
            "sgd",
            "--lr",
            "0.001",
            "--steps",
            "5000",
            "--out",
            str(tmp_path),
        ]
    )
    shown = capsys.readouterr().out
    assert code == 0
    assert "R²" in shown and "train MSE" in shown
    saved = (tmp_path / "metrics.json").read_text()
    assert "accuracy" not in shown.lower() and "accuracy" not in saved.lower()
    row = json.loads(saved)["nets"][0]
    assert 0 < row["train_mse"] < 0.01 and row["r2"] is not None


def test_r2_of_a_flat_line_is_zero_however_small_the_mse():
    run = fit(
        target="(x-0.5)**2",
        x_range=(0, 0.99),
        samples=100,
        noise=0.0,
        activation="relu",
        hidden=4,
        steps=1,
    )
    params = {key: value.copy() for key, value in run.params.items()}
    params["v"][:] = 0.0
    params["c"][:] = 0.0
    metrics = analysis.metrics(params, run.samples, run.activation)
    assert metrics["train_mse"][0] < 0.01
    assert metrics["r2"][0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("activation", ["sin", "cos"])
def test_periodic_nodes_start_at_frequencies_that_fit_sin_6x(activation):
    # Case periodic-init: sin(6x) on [-pi, pi], 10 nodes, Adam 0.01, 3000 steps.
    run = fit(
        target="sin(6*x)",
        x_range=(-np.pi, np.pi),
        samples=200,
        noise=0.0,
        activation=activation,
        lr=0.01,
        steps=3000,
        seeds=5,
        record_curves=False,
    )
    assert np.sum(run.metrics["train_mse"] < 0.01) >= 4


def test_relu_prediction_is_exactly_linear_beyond_the_outermost_kink():
    # Case relu-tails: x**2 on [-10, 10], ReLU 64, judged on [-100, 100].
    run = fit(
        target="x**2",
        x_range=(-10, 10),
        activation="relu",
        hidden=64,
        extrapolation=10,
        dtype="float64",
    )
    found = analysis.kinks(run.user_params, 0)
    grid = run.samples.grid
    assert grid.min() == pytest.approx(-100) and grid.max() == pytest.approx(100)
    prediction = run.predict(grid)[0]
    for beyond in (grid > found.max() + 1e-6, grid < found.min() - 1e-6):
        y = prediction[beyond]
        # Equal spacing, so a straight line has zero second difference.
        second = np.diff(y, 2)
        assert np.max(np.abs(second)) < 1e-9 * max(1.0, np.max(np.abs(y)))


def test_kinks_are_minus_b_over_w_in_user_units():
    params = {"w": np.array([[2.0, -1.0, 0.0]]), "b": np.array([[4.0, 3.0, 1.0]])}
    np.testing.assert_allclose(analysis.kinks(params, 0), [-2.0, 3.0])


def test_waves_read_frequency_phase_and_amplitude_in_user_units():
    # -2 cos(-3 x + 1) is 2 cos(3 x - 1 + pi).
    params = {"w": np.array([[-3.0]]), "b": np.array([[1.0]]), "v": np.array([[-2.0]])}
    (wave,) = analysis.waves(params, 0, "cos")
    assert wave.frequency == pytest.approx(3.0)
    assert wave.amplitude == pytest.approx(2.0)
    assert np.cos(wave.phase) == pytest.approx(np.cos(np.pi - 1.0))


def test_cos_3_recovers_frequency_1_in_most_seeds():
    run = fit(activation="cos", hidden=3, seeds=20, record_curves=False)
    found = analysis.frequency_found(run.user_params, "cos", 1.0, tolerance=0.02)
    assert found.mean() > 0.5


def test_sample_spectrum_peaks_at_the_target_frequency():
    run = fit(target="sin(2*x)", steps=1, noise=0.0, samples=200)
    frequencies, amplitudes = analysis.sample_spectrum(run.samples)
    assert frequencies[np.argmax(amplitudes)] == pytest.approx(2.0, rel=0.03)
    assert amplitudes.max() == pytest.approx(1.0, rel=0.15)


def test_negligible_units_are_the_ones_that_barely_move_the_output():
    run = fit(activation="tanh", hidden=3, steps=1)
    shares, _ = run.contributions(run.samples.grid)
    shares[:, 1] *= 1e-6
    flags = analysis.negligible_units(shares, run.samples)
    assert flags[0].tolist() == [False, True, False]


def test_success_is_mse_inside_below_five_percent_of_the_variance():
    run = fit(steps=1, seeds=2)
    variance = np.var(run.samples.truth[run.samples.inside])
    metrics = dict(run.metrics, interp_mse=np.array([0.049, 0.051]) * variance)
    assert analysis.succeeded(metrics, run.samples).tolist() == [True, False]


def test_a_flat_fit_is_diagnosed_with_causes():
    run = fit(activation="relu", steps=1)
    run.params["w"][:] = 1.0
    run.params["b"][:] = -1e6
    run.metrics = analysis.metrics(run.params, run.samples, run.activation)
    causes = analysis.diagnose_flat_fit(run)
    assert any("dead" in cause for cause in causes)


def test_too_many_wiggles_for_the_nodes_gives_a_note():
    run = fit(target="sin(10*x)", hidden=3, steps=1)
    assert any("turns" in note for note in run.notes)


def test_linear_pieces_counts_kinks_plus_one():
    x = np.linspace(-3, 3, 601)
    y = np.abs(x) + np.maximum(x - 1.005, 0)
    assert analysis.linear_pieces(x, y) == 3
    assert analysis.linear_pieces(x, 2 * x + 1) == 1


def test_a_deep_relu_net_trains_and_stays_piecewise_linear():
    run = fit(activation="relu", hidden=8, depth=2, steps=300, dtype="float64")
    assert run.metrics["r2"][0] > 0.5
    grid = run.samples.grid
    pieces = analysis.linear_pieces(grid, run.predict(grid)[0])
    assert 1 < pieces < grid.size // 2
