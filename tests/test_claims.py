import numpy as np
import pandas as pd
import pytest

from nnfit.claims import (
    QUICK,
    ClaimsPlan,
    judge,
    load_claims,
    run_claims,
    save_claims,
)
from nnfit.cli import main
from nnfit.errors import SpecError
from nnfit.sweep import Criterion
from nnfit.views.sweep_figures import claims_section

# The article's grid, shrunk: one init, the widths the rules look at.
PLAN = ClaimsPlan(
    seeds=10,
    sigmoid=tuple(range(6, 13)),
    relu=(10, 30, 100),
    cos=(1, 2, 3),
    inits=(None,),
    others=(),
)
OWN_INIT = {"sigmoid": "range", "relu": "range", "cos": "spectrum"}


def fake_nets(activation, hidden, successes, nets=10, **columns):
    """A cell of a sweep table with a chosen number of successes."""
    rows = {
        "cell": f"{activation}-{hidden}",
        "activation": activation,
        "hidden": hidden,
        "init": OWN_INIT[activation],
        "seed": np.arange(nets),
        "success": np.arange(nets) < successes,
        "interp_mse": 0.01,
        "r2": 0.9,
        "extrap_mse": 1.0,
        "dead_units": 0,
        "target_variance": 0.5,
        "frequency": np.nan,
        "phase": np.nan,
    }
    return pd.DataFrame({**rows, **columns})


def fake_table():
    cells = [fake_nets("sigmoid", h, 9 if h >= 8 else 3) for h in PLAN.sigmoid]
    cells += [
        fake_nets("relu", 10, 0, dead_units=2),
        fake_nets("relu", 30, 5, dead_units=3),
        fake_nets("relu", 100, 10, dead_units=10, extrap_mse=40.0),
        fake_nets("cos", 1, 5),
        fake_nets("cos", 2, 10),
        fake_nets(
            "cos",
            3,
            8,
            extrap_mse=0.002,
            frequency=[1.0] * 9 + [0.5],
            phase=[-np.pi / 2] * 8 + [np.pi / 2] * 2,
        ),
    ]
    return pd.concat(cells, ignore_index=True)


def verdicts_by_claim(result):
    return {v.claim: v for v in result.verdicts}


def test_smallest_reliable_sigmoid_width_is_read_from_the_rates():
    verdicts = verdicts_by_claim(judge(fake_table(), PLAN, Criterion()))
    smallest = next(v for c, v in verdicts.items() if c.startswith("About 7"))
    assert smallest.number == 8
    assert smallest.holds is True
    assert "8 nodes (90%" in smallest.shown


def test_relu_verdicts_follow_their_rules():
    verdicts = verdicts_by_claim(judge(fake_table(), PLAN, Criterion()))
    relu = {c: v for c, v in verdicts.items() if c.startswith("ReLU needs")}
    assert [v.number for v in relu.values()] == [0.0, 0.5, 1.0]
    assert all(v.holds for v in relu.values())
    dead = next(v for c, v in verdicts.items() if c.startswith("Some ReLU"))
    # Dead fractions 0.2, 0.1 and 0.1: mean over all nets.
    assert dead.number == pytest.approx((0.2 + 0.1 + 0.1) / 3)


def test_cos_one_node_lucky_holds_and_three_nodes_at_80_percent_does_not():
    verdicts = verdicts_by_claim(judge(fake_table(), PLAN, Criterion()))
    one = next(v for c, v in verdicts.items() if c.startswith("1 cos node"))
    two = next(v for c, v in verdicts.items() if c.startswith("2 cos nodes"))
    three = next(v for c, v in verdicts.items() if c.startswith("3 cos nodes fit"))
    assert (one.number, one.holds) == (0.5, True)
    assert two.holds is None
    assert (three.number, three.holds) == (0.8, False)


def test_extrapolation_holds_when_only_cos_is_below_the_threshold():
    verdicts = verdicts_by_claim(judge(fake_table(), PLAN, Criterion()))
    outside = next(v for c, v in verdicts.items() if c.startswith("Outside"))
    assert outside.number == pytest.approx(1.0 / 0.002)
    assert outside.holds is True


def test_frequency_and_phase_are_counted_with_their_tolerances():
    verdicts = verdicts_by_claim(judge(fake_table(), PLAN, Criterion()))
    frequency = next(v for c, v in verdicts.items() if "frequency" in c)
    phase = next(v for c, v in verdicts.items() if "phase" in c)
    assert (frequency.number, frequency.holds) == (0.9, True)
    assert (phase.number, phase.holds) == (0.8, False)


def test_the_looser_criterion_is_applied_to_the_errors_again():
    # MSE 0.03: above 0.05 x 0.5 = 0.025, below 0.1 x 0.5 = 0.05.
    table = fake_table()
    sigmoid_10 = (table["activation"] == "sigmoid") & (table["hidden"] == 10)
    table.loc[sigmoid_10, ["interp_mse", "success"]] = [0.03, False]
    result = judge(table, PLAN, Criterion(0.05))
    fits = next(v for v in result.verdicts if v.claim.startswith("10 sigmoid"))
    assert (fits.holds, fits.holds_looser) == (False, True)


def test_a_plan_without_widths_is_refused():
    with pytest.raises(SpecError, match="relu widths"):
        ClaimsPlan(relu=())


def test_unmeasured_claims_hold_neither_way():
    table = fake_table()
    result = judge(table[table["activation"] != "relu"], PLAN, Criterion())
    relu = [v for v in result.verdicts if v.claim.startswith("ReLU")]
    assert relu and all(v.holds is None for v in relu)
    assert all(v.shown == "not measured" for v in relu)


def test_claims_run_end_to_end_and_round_trip_through_a_folder(tmp_path):
    result = run_claims(QUICK, out=tmp_path, workers=1)
    assert result.table.groupby("cell").size().min() == QUICK.seeds
    assert {v.holds for v in result.verdicts} <= {True, False, None}
    assert set(result.extrapolation["activation"]) == {"sigmoid", "relu", "cos"}

    save_claims(result, tmp_path)
    loaded = load_claims(tmp_path)
    pd.testing.assert_frame_equal(loaded.verdict_table(), result.verdict_table())
    pd.testing.assert_frame_equal(loaded.table, result.table)
    assert loaded.plan == QUICK
    section = claims_section(loaded)
    assert (tmp_path / "success.png").is_file() and len(section.tables) == 2


def test_claims_command_writes_the_page_and_places_it_in_the_demo(tmp_path, capsys):
    out, demo = tmp_path / "claims", tmp_path / "demo"
    code = main(
        ["claims", "--quick", "--workers", "1", "--out", str(out), "--demo", str(demo)]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "The article's claims, measured" in printed
    for folder in (out, demo / "claims"):
        for name in ("claims.html", "claims.json", "claims.csv", "success.png"):
            assert (folder / name).is_file()
    page = (out / "claims.html").read_text()
    assert "10 sigmoid nodes fit sin(x)" in page and "data:image/png" in page
    verdicts = pd.read_csv(out / "claims.csv")
    assert list(verdicts.columns) == [
        "claim",
        "measured",
        "number",
        "shown",
        "holds",
        "holds_looser",
    ]
