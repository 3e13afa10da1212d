import json

import numpy as np
import pytest

from nnfit.errors import DataError, ShapeError
from nnfit.run import Run, fit


def test_sigmoid_10_reaches_the_noise_level_on_the_default_sin():
    run = fit(seeds=10, record_curves=False)
    # Noise std 0.1, so the noise variance is 0.01.
    assert np.median(run.metrics["train_mse"]) < 0.015
    assert np.median(run.metrics["r2"]) > 0.97


def test_cos_3_extrapolates_ten_times_better_than_sigmoid_10():
    cos = fit(activation="cos", hidden=3, seeds=20, record_curves=False)
    sigmoid = fit(activation="sigmoid", hidden=10, seeds=20, record_curves=False)
    assert np.mean(sigmoid.metrics["extrap_mse"]) >= 10 * np.mean(
        cos.metrics["extrap_mse"]
    )
    assert np.median(sigmoid.metrics["extrap_mse"]) >= 10 * np.median(
        cos.metrics["extrap_mse"]
    )


def test_same_spec_and_seed_give_the_same_numbers():
    first = fit(activation="relu", hidden=20, steps=200, seed=7)
    again = fit(activation="relu", hidden=20, steps=200, seed=7)
    np.testing.assert_array_equal(first.params["w"], again.params["w"])
    np.testing.assert_array_equal(first.samples.y, again.samples.y)


def test_a_batch_of_seeds_matches_each_seed_alone():
    batch = fit(activation="tanh", steps=200, seed=3, seeds=3, dtype="float64")
    for net in range(3):
        alone = fit(activation="tanh", steps=200, seed=3 + net, dtype="float64")
        np.testing.assert_allclose(
            batch.metrics["train_mse"][net], alone.metrics["train_mse"][0], rtol=1e-9
        )


def test_save_and_load_round_trip_exactly(tmp_path):
    run = fit(activation="cos", hidden=3, steps=100, record_every=10, seeds=2)
    loaded = Run.load(run.save(tmp_path / "run"))
    assert loaded.spec == run.spec
    for key in "wbvc":
        np.testing.assert_array_equal(loaded.params[key], run.params[key])
        np.testing.assert_array_equal(
            loaded.history.params[key], run.history.params[key]
        )
    np.testing.assert_array_equal(loaded.history.curves, run.history.curves)
    np.testing.assert_array_equal(loaded.history.loss, run.history.loss)
    np.testing.assert_array_equal(loaded.samples.x, run.samples.x)
    np.testing.assert_array_equal(loaded.samples.truth, run.samples.truth)
    np.testing.assert_array_equal(loaded.diverged_at, run.diverged_at)
    for name, values in run.metrics.items():
        np.testing.assert_array_equal(loaded.metrics[name], values)


def test_loading_a_folder_that_is_not_a_run_says_so(tmp_path):
    with pytest.raises(DataError, match="is not a readable nnfit run folder"):
        Run.load(tmp_path)


def test_dead_relu_units_are_counted_per_run_and_saved(tmp_path):
    # Case dead-relu: sin on [-pi, pi], ReLU, 10 nodes, Adam 0.01, 2000 steps.
    run = fit(
        activation="relu",
        x_range=(-np.pi, np.pi),
        lr=0.01,
        steps=2000,
        seeds=5,
        record_curves=False,
    )
    u = run.samples.scaling.x_to_unit(run.samples.x)
    z = run.params["w"][:, :, None] * u[:, None, :] + run.params["b"][:, :, None]
    expected = np.sum(np.all(z <= 0, axis=2), axis=1)
    np.testing.assert_array_equal(run.metrics["dead_units"], expected)

    saved = json.loads((run.save(tmp_path / "r") / "metrics.json").read_text())
    assert [row["dead_units"] for row in saved["nets"]] == expected.tolist()


def test_a_hand_made_dead_unit_is_found():
    run = fit(activation="relu", hidden=4, steps=1)
    params = {key: value.copy() for key, value in run.params.items()}
    # Kink far right of the data, active only to its right: dead on the data.
    params["w"][0, 0], params["b"][0, 0] = 1.0, -100.0
    from nnfit.analysis import dead_units

    assert dead_units(params, run.samples, run.activation)[0] >= 1


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("adam", 0.01)])
def test_unscaled_x_fits_because_inputs_are_standardised(activation, optimizer, lr):
    # Case unscaled-x: sin(2 pi x / 1000) on [0, 1000].
    run = fit(
        target="sin(2*pi*x/1000)",
        x_range=(0, 1000),
        activation=activation,
        optimizer=optimizer,
        lr=lr,
        steps=2000,
        seeds=3,
        record_curves=False,
    )
    assert np.all(run.metrics["train_mse"] <= 0.02)
    # Parameters are reported in the user's units: slopes per unit of x.
    assert np.max(np.abs(run.user_params["w"])) < 1.0


def test_user_data_fits_and_has_no_true_curve():
    x = np.linspace(0, 10, 40)
    run = fit(x=x, y=2 * x + 1, activation="relu", hidden=5, steps=300, data="line")
    assert run.data == "line"
    assert run.samples.truth is None
    assert np.isnan(run.metrics["interp_mse"][0])
    assert run.metrics["r2"][0] > 0.99


def test_user_data_as_a_column_beside_a_row_is_refused():
    x = np.linspace(0, 1, 10)
    with pytest.raises(ShapeError, match=r"\(10,\).*\(10, 1\)"):
        fit(x=x, y=x[:, None])


def test_user_data_with_a_nan_names_the_index():
    y = np.ones(10)
    y[4] = np.nan
    with pytest.raises(DataError, match="index 4"):
        fit(x=np.arange(10.0), y=y)


def test_unsorted_samples_are_kept_as_drawn_and_the_grid_is_sorted():
    run = fit(steps=10)
    assert np.any(np.diff(run.samples.x[0]) < 0)
    assert np.all(np.diff(run.samples.grid) > 0)


def test_a_trend_term_joins_the_node_decomposition_exactly():
    run = fit(
        activation="cos",
        hidden=3,
        trend=True,
        steps=200,
        dtype="float64",
        target="sin(x) + 0.3*x",
    )
    grid = run.samples.grid
    shares, offset = run.contributions(grid)
    total = shares.sum(axis=1) + offset[:, None] + run.trend(grid)
    np.testing.assert_allclose(total, run.predict(grid), rtol=1e-9, atol=1e-9)

    # And in the user's units: y = sum v cos(w x + b) + c + d x.
    p = run.user_params
    by_hand = (
        (
            p["v"][0][:, None] * np.cos(p["w"][0][:, None] * grid + p["b"][0][:, None])
        ).sum(axis=0)
        + p["c"][0]
        + p["d"][0] * grid
    )
    np.testing.assert_allclose(by_hand, run.predict(grid)[0], rtol=1e-9, atol=1e-9)
    assert run.trend(grid) is not None and fit(steps=1).trend(grid) is None
