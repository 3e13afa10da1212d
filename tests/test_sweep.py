import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import nnfit.sweep as sweep_module
from nnfit import analysis
from nnfit.batches import main_waves
from nnfit.cli import main
from nnfit.errors import NnfitError, SpecError
from nnfit.run import fit
from nnfit.spec import FitSpec
from nnfit.sweep import (
    Criterion,
    as_cell,
    cell_key,
    grid,
    load_sweep,
    plan,
    summarise,
    sweep,
    wilson,
)

# Tiny grids: few steps and seeds, float64 so that equal means equal.
TINY = {"steps": 40, "dtype": "float64"}


def test_grid_expands_every_combination_once():
    cells = grid(activation=["tanh", "cos"], hidden=[1, 2, 2], seeds=5, steps=80)
    assert [(c.activation, c.hidden) for c in cells] == [
        ("tanh", 1),
        ("tanh", 2),
        ("cos", 1),
        ("cos", 2),
    ]
    assert all(c.seeds == 5 and c.steps == 80 for c in cells)
    assert all(not c.record_curves and c.record_every == 80 for c in cells)


def test_grid_refuses_an_unknown_axis_and_names_the_allowed_ones():
    with pytest.raises(SpecError, match="cannot sweep over width.*hidden"):
        grid(width=[1, 2])


def test_grid_takes_one_x_range_as_one_value():
    cells = grid(x_range=(-1.0, 1.0), seeds=2)
    assert len(cells) == 1 and cells[0].x_range == (-1.0, 1.0)


def test_plan_trains_only_missing_seeds_in_nearly_equal_chunks():
    cell = as_cell(FitSpec(seeds=10))
    done = {cell_key(cell): {0, 1, 2, 3}}
    batches = plan([cell], done, chunk=4)
    pieces = sorted((b.spec.seed, b.spec.seeds) for b in batches)
    assert pieces == [(4, 3), (7, 3)]


def test_sweep_rows_equal_the_same_specs_fitted_one_by_one():
    result = sweep(
        activation=["tanh", "cos"], hidden=[3], seeds=5, chunk=3, workers=1, **TINY
    )
    assert len(result.table) == 10
    for row in result.table.itertuples():
        spec = FitSpec(
            activation=row.activation,
            hidden=3,
            seed=row.seed,
            record_curves=False,
            record_every=TINY["steps"],
            **TINY,
        )
        alone = fit(spec)
        for name in ("train_mse", "interp_mse", "extrap_mse", "r2"):
            np.testing.assert_allclose(
                getattr(row, name), alone.metrics[name][0], rtol=1e-9
            )
        waves = main_waves(alone.user_params, row.activation)
        np.testing.assert_allclose(row.frequency, waves["frequency"][0], rtol=1e-9)


def test_resume_after_an_interruption_trains_nothing_twice(tmp_path, monkeypatch):
    axes = {"activation": ["tanh", "cos"], "hidden": [2], "seeds": 6, **TINY}
    trained = []
    real_train = sweep_module.train_batch

    def counting(spec):
        trained.extend(
            (spec.activation, seed) for seed in range(spec.seed, spec.seed + spec.seeds)
        )
        return real_train(spec)

    def stop_after_first_batch(done, total):
        if done > 0:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "train_batch", counting)
    with pytest.raises(KeyboardInterrupt):
        sweep(out=tmp_path, chunk=3, workers=1, progress=stop_after_first_batch, **axes)
    assert len(trained) == 3
    assert len(list((tmp_path / "batches").glob("*.parquet"))) == 1

    resumed = sweep(out=tmp_path, chunk=3, workers=1, **axes)
    assert len(trained) == 12 and len(set(trained)) == 12
    assert (resumed.trained, resumed.loaded) == (9, 3)
    whole = sweep(chunk=3, workers=1, **axes)
    pd.testing.assert_frame_equal(resumed.table, whole.table)


def test_a_finished_sweep_run_again_trains_nothing(tmp_path):
    axes = {"activation": "tanh", "hidden": [2], "seeds": 4, **TINY}
    first = sweep(out=tmp_path, workers=1, **axes)
    again = sweep(out=tmp_path, workers=1, **axes)
    assert (again.trained, again.loaded) == (0, 4)
    pd.testing.assert_frame_equal(first.table, again.table)
    pd.testing.assert_frame_equal(load_sweep(tmp_path).table, first.table)
    assert len(pd.read_csv(tmp_path / "table.csv")) == 4


def test_the_process_pool_gives_the_same_table_as_this_process():
    axes = {"activation": ["tanh", "cos"], "hidden": [2], "seeds": 4, **TINY}
    pooled = sweep(chunk=2, workers=2, **axes)
    alone = sweep(chunk=2, workers=1, **axes)
    pd.testing.assert_frame_equal(pooled.table, alone.table)


def test_the_workers_are_kept_for_the_next_sweep_until_closed():
    axes = {"activation": "tanh", "hidden": [2], "seeds": 4, **TINY}
    sweep(chunk=2, workers=2, **axes)
    pool = sweep_module._POOLS[2]
    sweep(chunk=2, workers=2, seed=4, **axes)
    assert sweep_module._POOLS[2] is pool
    sweep_module.close_workers()
    assert not sweep_module._POOLS


def test_the_dask_path_gives_the_same_table_as_the_local_path():
    distributed = pytest.importorskip("distributed")
    axes = {"activation": ["tanh", "cos"], "hidden": [2], "seeds": 4, **TINY}
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        on_dask = sweep(chunk=2, scheduler=cluster.scheduler_address, **axes)
    local = sweep(chunk=2, workers=2, **axes)
    pd.testing.assert_frame_equal(on_dask.table, local.table)


def test_success_is_the_documented_criterion_of_analysis():
    spec = FitSpec(activation="sigmoid", hidden=4, seeds=8, **TINY)
    run = fit(as_cell(spec))
    for fraction in (0.05, 0.5):
        table = sweep([spec], criterion=Criterion(fraction), workers=1).table
        expected = analysis.succeeded(run.metrics, run.samples, fraction)
        np.testing.assert_array_equal(table["success"], expected)
        assert (table["criterion"] == Criterion(fraction).name).all()


def test_the_criterion_falls_back_to_r2_without_a_true_curve():
    table = pd.DataFrame(
        {
            "interp_mse": [0.01, np.nan, np.nan],
            "target_variance": [0.5, np.nan, np.nan],
            "r2": [0.0, 0.99, 0.9],
        }
    )
    assert Criterion(0.05).apply(table).tolist() == [True, True, False]


@pytest.mark.parametrize("fraction", [0, 1.5, "x", True])
def test_a_criterion_outside_0_to_1_is_refused(fraction):
    with pytest.raises(SpecError, match="success fraction"):
        Criterion(fraction)


def test_wilson_matches_statsmodels():
    successes, trials = (
        np.array([0, 3, 50, 97, 100]),
        np.array([100, 10, 100, 100, 100]),
    )
    low, high = wilson(successes, trials, 0.95)
    ref_low, ref_high = proportion_confint(successes, trials, 0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, atol=1e-12)


def test_summarise_counts_successes_and_dead_fraction_per_group():
    table = pd.DataFrame(
        {
            "activation": ["relu"] * 4 + ["cos"] * 2,
            "hidden": [10] * 4 + [3] * 2,
            "success": [True, False, True, True, True, False],
            "interp_mse": [0.1, 0.2, 0.3, 0.4, 0.0, 1.0],
            "extrap_mse": [1.0] * 6,
            "dead_units": [2, 0, 0, 2, 0, 0],
        }
    )
    summary = summarise(table)
    assert summary["activation"].tolist() == ["relu", "cos"]
    assert summary["successes"].tolist() == [3, 1]
    assert summary["success_rate"].tolist() == [0.75, 0.5]
    assert summary["dead_fraction"].tolist() == [0.1, 0.0]


def test_gpu_without_a_gpu_is_one_clear_sentence():
    import jax

    if any(device.platform == "gpu" for device in jax.devices()):
        pytest.skip("this machine has a GPU")
    with pytest.raises(NnfitError, match="JAX finds no GPU"):
        sweep(activation="tanh", seeds=2, device="gpu", **TINY)


def test_sweep_command_writes_the_table_figures_and_a_summary(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = "sweep --activation tanh,cos --hidden 1..2 --seeds 3 --steps 30"
    code = main([*args.split(), "--workers", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Trained 12 nets" in printed and "interp_mse <" in printed
    for name in ("table.parquet", "table.csv", "success.png", "errors.png"):
        assert (out / name).is_file()
    assert (out / "frequencies.png").is_file()
    assert len(pd.read_parquet(out / "table.parquet")) == 12


@pytest.mark.parametrize(
    "args, words",
    [
        (["--hidden", "1..x"], "--hidden must be whole numbers"),
        (["--lr", "fast"], "--lr must be numbers"),
        (["--activation", "softmax"], "activation 'softmax' is not known"),
        (["--success-fraction", "2"], "success fraction must be a number between"),
        (["--device", "tpu"], "device must be one of cpu, gpu"),
        (["--init", "zeros"], "init must be one of"),
    ],
)
def test_sweep_command_bad_input_is_one_sentence_and_exit_2(
    args, words, tmp_path, capsys
):
    code = main(["sweep", *args, "--out", str(tmp_path), "--seeds", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and err.startswith("Error: ")
    assert "Traceback" not in err
