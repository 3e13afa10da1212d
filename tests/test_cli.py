import json
import subprocess
import sys

import numpy as np
import pytest

from nnfit.cli import main
from nnfit.run import Run


def nnfit_process(*args, cwd=None):
    """Run the CLI in a new process, as a user would (x64 off, float32)."""
    return subprocess.run(
        [sys.executable, "-m", "nnfit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_fit_writes_the_run_views_and_a_summary(tmp_path):
    done = nnfit_process("fit", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    assert "train MSE" in done.stdout and "dead units" in done.stdout
    for name in ("spec.json", "metrics.json", "arrays.npz", "fit.png", "nodes.png"):
        assert (tmp_path / "run" / name).is_file()
    run = Run.load(tmp_path / "run")
    assert run.spec.activation == "sigmoid"
    assert run.params["w"].dtype == np.float32


@pytest.mark.parametrize(
    "args, words",
    [
        (["fit", "--hidden", "abc"], "--hidden"),
        (["fit", "--hidden", "0"], "hidden must be between 1"),
        (["fit", "--activation", "softmax"], "activation 'softmax' is not known"),
        (["fit", "--optimizer", "rmsprop"], "optimizer must be one of adam, sgd"),
        (["fit", "--range", "3,1"], "x_range must go from low to high"),
        (["fit", "--range", "a,b"], "--range must be two numbers"),
        (["fit", "--views", "fit,movie"], "unknown view(s) movie"),
        (["fit", "sin(x"], "Cannot parse expression"),
        (["fit", "__import__('os')"], "expression"),
        (["fit", "--lr", "-1"], "lr must be above 0"),
        (["fit", "--bogus"], "No such option"),
        (["fit", "-x**2"], "a formula that starts with a minus goes last, after --"),
        (["fit", "co2", "--train-fraction", "1.5"], "--train-fraction 1.5 is not a"),
        (["fit", "co2", "--train-until", "2030"], "--train-until 2030 holds out no"),
        (["fit", "missing.csv"], "missing.csv"),
        (["list", "things"], "cannot list 'things'"),
    ],
)
def test_bad_input_gives_one_sentence_and_exit_2(args, words, tmp_path, capsys):
    code = main([*args, "--out", str(tmp_path)] if args[0] == "fit" else args)
    err = capsys.readouterr().err
    assert code == 2
    assert words in err
    assert "Traceback" not in err
    assert err.startswith("Error: ") and err.count("\n") == 1


def test_divergence_keeps_results_and_exits_non_zero(tmp_path):
    # Case nan-guard, through the CLI: tanh, 10 nodes, SGD with lr 1.0.
    folder = tmp_path / "run"
    done = nnfit_process(
        "fit",
        "--activation",
        "tanh",
        "--optimizer",
        "sgd",
        "--lr",
        "1",
        "--out",
        str(folder),
    )
    assert done.returncode == 1
    assert "diverged at step" in done.stderr
    assert "smaller learning rate" in done.stderr
    assert "Traceback" not in done.stderr
    saved = json.loads((folder / "metrics.json").read_text())
    assert saved["nets"][0]["diverged_at"] > 0


def test_a_formula_starting_with_a_minus_fits_after_the_double_dash(tmp_path):
    args = ["fit", "--steps", "20", "--views", "fit", "--out", str(tmp_path)]
    assert main([*args, "--", "-x**2/10"]) == 0
    assert Run.load(tmp_path).spec.target == "-x**2/10"


def test_dead_units_are_in_the_summary_and_metrics_file(tmp_path, capsys):
    # Case dead-relu: the CLI summary and metrics.json report dead units.
    code = main(
        [
            "fit",
            "--activation",
            "relu",
            "--range=-3.1416,3.1416",
            "--lr",
            "0.01",
            "--steps",
            "2000",
            "--seeds",
            "5",
            "--out",
            str(tmp_path),
        ]
    )
    shown = capsys.readouterr().out
    assert code == 0
    saved = json.loads((tmp_path / "metrics.json").read_text())
    counts = [row["dead_units"] for row in saved["nets"]]
    assert len(counts) == 5
    for count in counts:
        assert f"{count} of 10" in shown


def test_fit_reads_a_csv_of_measurements(tmp_path, capsys):
    x = np.linspace(0, 6, 40)
    lines = ["time,value"] + [f"{a},{b}" for a, b in zip(x, np.sin(x), strict=True)]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    code = main(
        [
            "fit",
            str(tmp_path / "data.csv"),
            "--activation",
            "tanh",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    run = Run.load(tmp_path / "run")
    assert run.data == "data.csv"
    np.testing.assert_allclose(np.sort(run.samples.x[0]), x)
    assert run.metrics["r2"][0] > 0.95
    # The header names what x and y measure: the axes say so.
    assert (run.x_unit, run.y_unit) == ("time", "value")


def test_a_csv_without_a_header_keeps_plain_axes(tmp_path):
    lines = [f"{a},{a * a}" for a in range(8)]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "run"
    args = ["fit", str(tmp_path / "data.csv"), "--steps", "20", "--views", "fit"]
    assert main([*args, "--out", str(out)]) == 0
    run = Run.load(out)
    assert (run.x_unit, run.y_unit) == (None, None)


def test_list_shows_the_registries(capsys):
    assert main(["list", "activations"]) == 0
    listed = capsys.readouterr().out
    assert "sigmoid" in listed and "cos" in listed
    assert main(["list", "targets"]) == 0
    assert "sin" in capsys.readouterr().out


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "Usage" in capsys.readouterr().out


def test_compare_writes_one_figure_and_a_table(tmp_path, capsys):
    code = main(
        [
            "compare",
            "--activations",
            "tanh,relu:20,cos:3",
            "--steps",
            "100",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert (tmp_path / "compare.png").is_file()
    rows = (tmp_path / "compare.csv").read_text().splitlines()
    assert rows[0].startswith("activation,hidden") and len(rows) == 4
    assert "relu" in capsys.readouterr().out


def test_compare_rejects_a_bad_width(tmp_path, capsys):
    assert main(["compare", "--activations", "relu:many", "--out", str(tmp_path)]) == 2
    assert "NAME:HIDDEN" in capsys.readouterr().err


def test_serve_refuses_a_port_out_of_range(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port must be between 1 and 65535" in capsys.readouterr().err


def test_a_formula_with_a_slash_is_a_formula_not_a_path(tmp_path, capsys):
    assert main(["fit", "sin(x)/x", "--steps", "50", "--out", str(tmp_path)]) == 0
    assert Run.load(tmp_path).spec.target == "sin(x)/x"


@pytest.mark.parametrize(
    "args, words",
    [
        (["fit", "--out", "{file}"], "cannot be used as an output folder"),
        (["fit", "co2", "--noise", "0.2"], "--samples, --noise and --range"),
        (["fit", "co2", "--x", "0"], "shipped series"),
        (["fit", "(" * 300 + "x" + ")" * 300], "more than the limit of 500"),
        (["fit", "--range=-1e308,1e308"], "rescale x"),
        (["fit", "1e300*sin(x)"], "rescale"),
        (["fit", "--seeds", "500", "--views", "gif"], "record_curves=False"),
    ],
)
def test_more_bad_input_gives_one_sentence_and_exit_2(args, words, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = [arg.replace("{file}", str(blocker)) for arg in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_a_reused_folder_keeps_no_stale_views(tmp_path, capsys):
    assert (
        main(
            [
                "fit",
                "--activation",
                "cos",
                "--hidden",
                "3",
                "--steps",
                "20",
                "--views",
                "waves,fit",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert (tmp_path / "waves.png").is_file()
    assert main(["fit", "--steps", "20", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "waves.png").exists()


def test_report_pages_snake_and_saw_runs(tmp_path, capsys):
    for activation in ("snake", "saw"):
        folder = tmp_path / activation
        assert (
            main(
                [
                    "fit",
                    "--activation",
                    activation,
                    "--steps",
                    "20",
                    "--out",
                    str(folder),
                ]
            )
            == 0
        )
        assert main(["report", str(folder)]) == 0
        assert (folder / "index.html").is_file()


def test_a_long_fit_records_at_most_a_thousand_steps(tmp_path, capsys):
    assert (
        main(["fit", "--steps", "3000", "--views", "gif", "--out", str(tmp_path)]) == 0
    )
    run = Run.load(tmp_path)
    assert run.spec.record_every == 3 and len(run.history.steps) == 1001


def test_a_shipped_series_keeps_its_units_and_held_out_years(tmp_path, capsys):
    assert main(["fit", "CO2", "--steps", "20", "--out", str(tmp_path)]) == 0
    run = Run.load(tmp_path)
    assert (run.data, run.x_unit, run.y_unit) == ("co2", "decimal year", "ppm")
    assert run.samples.test_x.min() >= 1990 > run.samples.x.max()
    assert np.isfinite(run.metrics["heldout_mse"][0])
    assert "held-out MSE" in capsys.readouterr().out


def test_the_spectrum_view_is_written_for_a_periodic_fit(tmp_path, capsys):
    code = main(
        [
            "fit",
            "--activation",
            "snake",
            "--steps",
            "20",
            "--views",
            "spectrum",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert (tmp_path / "spectrum.png").is_file()
