import numpy as np
import pandas as pd
import pytest

from nnfit.claims import ClaimsPlan, judge
from nnfit.errors import NnfitError
from nnfit.sweep import Criterion
from nnfit.views.report import Section
from nnfit.views.sweep_figures import (
    claims_section,
    errors_figure,
    frequency_figure,
    success_figure,
    write_claims_page,
)

INITS = {"sigmoid": "range", "relu": "range", "cos": "spectrum"}


def fake_table(seed=0, nets=20):
    """A sweep table: sigmoid and cos over widths, two inits, random errors."""
    rng = np.random.default_rng(seed)
    frames = []
    for activation, widths in (("sigmoid", (1, 5, 10)), ("cos", (1, 3))):
        for init in (INITS[activation], "uniform"):
            for hidden in widths:
                interp = rng.lognormal(-4, 1.5, nets)
                frames.append(
                    pd.DataFrame(
                        {
                            "cell": f"{activation}-{init}-{hidden}",
                            "activation": activation,
                            "hidden": hidden,
                            "init": init,
                            "seed": np.arange(nets),
                            "interp_mse": interp,
                            "r2": 0.9,
                            "extrap_mse": rng.lognormal(0, 1, nets),
                            "target_variance": 0.5,
                            "dead_units": 0,
                            "success": interp < 0.025,
                            "criterion": Criterion().name,
                            "frequency": (
                                rng.normal(1, 0.05, nets)
                                if activation == "cos"
                                else np.nan
                            ),
                            "phase": -np.pi / 2,
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True)


def test_success_figure_draws_one_line_per_activation_and_init():
    figure = success_figure(fake_table())
    ax = figure.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label()[0] != "_"]
    assert len(lines) == 4
    labels = {line.get_label() for line in lines}
    assert "cos (uniform init)" in labels and "sigmoid (range init)" in labels
    rates = next(line for line in lines if line.get_label() == "cos (spectrum init)")
    assert rates.get_xdata().tolist() == [1, 3]
    assert "interp_mse < 0.05" in ax.get_title()


def test_success_band_is_the_wilson_interval():
    table = fake_table()
    figure = success_figure(table[table["activation"] == "cos"])
    bands = figure.axes[0].collections
    assert len(bands) == 2
    # Every band lies within [0, 1].
    for band in bands:
        y = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
        assert y.min() >= 0 and y.max() <= 1


def test_errors_figure_has_a_box_per_cell_inside_and_outside():
    table = fake_table()
    own = table[table["init"] != "uniform"]
    figure = errors_figure(own)
    inside, outside = figure.axes
    labels = [tick.get_text() for tick in inside.get_xticklabels()]
    assert labels == ["sigmoid 1", "sigmoid 5", "sigmoid 10", "cos 1", "cos 3"]
    assert inside.get_yscale() == "log"
    assert outside.get_title() == "outside the training range"
    threshold = [line for line in inside.get_lines() if line.get_linestyle() == "--"]
    assert threshold[0].get_ydata()[0] == pytest.approx(0.025)


def test_frequency_figure_has_one_panel_per_periodic_cell():
    figure = frequency_figure(fake_table())
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == 4
    assert visible[0].get_title() == "cos 1\nspectrum init"


def test_frequency_figure_without_periodic_nets_says_so():
    table = fake_table()
    with pytest.raises(NnfitError, match="no learned frequencies"):
        frequency_figure(table[table["activation"] == "sigmoid"])


def test_a_table_without_the_needed_columns_is_refused():
    with pytest.raises(NnfitError, match="lacks column"):
        success_figure(pd.DataFrame({"hidden": [1]}))


def test_claims_section_holds_the_verdicts_the_extrapolation_and_figures(tmp_path):
    table = fake_table()
    plan = ClaimsPlan(seeds=20, sigmoid=(1, 5, 10), relu=(100,), cos=(1, 3), others=())
    result = judge(table, plan, Criterion())
    section = claims_section(result, tmp_path)
    assert isinstance(section, Section)
    verdicts, extrapolation = section.tables
    assert verdicts.columns == ["claim", "measured", "number", "holds", "holds at 0.1"]
    assert len(verdicts.rows) == len(result.verdicts)
    assert [path.name for path in section.images] == [
        "success.png",
        "errors.png",
        "frequencies.png",
    ]
    assert all(path.stat().st_size > 10_000 for path in section.images)
    page = write_claims_page(result, tmp_path)
    assert "The claims, measured" in page.read_text()
