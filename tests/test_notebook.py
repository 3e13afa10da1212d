"""Tests for nnfit.notebook: the Run that plots, animates and shows itself.

The example notebook runs in a fresh python3 kernel of this interpreter:
the kernel spec comes from ipykernel itself (jupyter_client's native
kernel) through a KernelSpecManager with no kernel folders, so no
per-user or system-wide kernel spec is read or needed.
"""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from nnfit import analysis, notebook
from nnfit import run as core
from nnfit.errors import NnfitError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "what_neural_networks_do.ipynb"
SHORT = {"steps": 50, "record_every": 1}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cos_run():
    return notebook.fit(activation="cos", hidden=3, **SHORT)


@pytest.fixture(scope="module")
def batch_run():
    return notebook.fit(seeds=3, seed=7, **SHORT)


def _data_uri(text: str, mime: str) -> bytes:
    """The bytes of the first data URI of a mime type in some HTML."""
    start = text.index(f'src="data:{mime};base64,') + len(f'src="data:{mime};base64,')
    return base64.b64decode(text[start : text.index('"', start)])


class _Cells(HTMLParser):
    """The text of every table cell of some HTML, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.inside = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self.inside = True
            self.cells.append("")

    def handle_endtag(self, tag):
        self.inside = self.inside and tag not in ("td", "th")

    def handle_data(self, data):
        if self.inside:
            self.cells[-1] += data


def _rows(html: str) -> list[tuple[str, str]]:
    """Neighbouring cells as (name, value) pairs."""
    cells = _Cells(html).cells
    return list(zip(cells, cells[1:], strict=False))


def test_fit_returns_the_notebook_run_with_the_changes(cos_run):
    assert isinstance(cos_run, notebook.Run)
    assert isinstance(cos_run, core.Run)
    assert (cos_run.spec.activation, cos_run.spec.hidden) == ("cos", 3)


def test_fit_gives_the_numbers_of_the_core_fit(cos_run):
    plain = core.fit(activation="cos", hidden=3, **SHORT)
    np.testing.assert_array_equal(plain.params["w"], cos_run.params["w"])


def test_from_core_shares_the_arrays():
    plain = core.fit(**SHORT)
    run = notebook.Run.from_core(plain)
    assert isinstance(run, notebook.Run)
    assert run.params["w"] is plain.params["w"]
    assert run.history is plain.history


@pytest.mark.parametrize("view", notebook.VIEWS)
def test_plot_returns_a_figure_for_each_view(cos_run, view):
    figure = cos_run.plot(view)
    assert isinstance(figure, Figure)
    assert figure.axes


def test_plot_draws_the_net_asked_for(batch_run):
    first, last = batch_run.plot("data", 0), batch_run.plot("data", 2)
    points = [figure.axes[0].collections[0].get_offsets() for figure in (first, last)]
    assert not np.array_equal(points[0], points[1])


def test_plot_rejects_an_unknown_view(cos_run):
    with pytest.raises(NnfitError, match="view 'weights'.*nodes"):
        cos_run.plot("weights")


def test_plot_rejects_a_net_out_of_range(cos_run):
    with pytest.raises(NnfitError, match="net 3 is out of range"):
        cos_run.plot("fit", net=3)


def test_plot_rejects_waves_for_a_sigmoid_run(batch_run):
    with pytest.raises(NnfitError, match="periodic"):
        batch_run.plot("waves")


def test_plot_teaches_ipython_to_show_figures_as_png(cos_run, monkeypatch):
    from IPython.core.formatters import PNGFormatter

    formatter = PNGFormatter()
    shell = types.SimpleNamespace(
        display_formatter=types.SimpleNamespace(formatters={"image/png": formatter})
    )
    fake = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    figure = cos_run.plot("nodes")
    assert formatter(figure).startswith(PNG)


def test_animate_inline_is_a_gif_image(cos_run):
    animation = cos_run.animate()
    html = animation._repr_html_()
    assert html.startswith("<img")
    gif = Image.open(io.BytesIO(_data_uri(html, "image/gif")))
    assert (gif.format, gif.n_frames) == ("GIF", animation.frames)


def test_animate_inline_keeps_to_max_frames(cos_run, monkeypatch):
    monkeypatch.setattr(notebook, "MAX_FRAMES", 10)
    animation = cos_run.animate()
    gif = Image.open(io.BytesIO(animation.data))
    assert 5 < gif.n_frames <= 10


def test_animate_inline_video_is_an_mp4(cos_run):
    animation = cos_run.animate(video=True, every=10)
    html = animation._repr_html_()
    assert html.startswith("<video")
    # An MP4 starts with its ftyp box.
    assert _data_uri(html, "video/mp4")[4:8] == b"ftyp"


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_animate_writes_the_file_its_suffix_names(cos_run, tmp_path, suffix):
    path = cos_run.animate(tmp_path / f"training{suffix}", every=10)
    assert path == tmp_path / f"training{suffix}"
    head = path.read_bytes()[:8]
    assert head[:3] == b"GIF" if suffix == ".gif" else head[4:8] == b"ftyp"


def test_animate_rejects_another_suffix(cos_run, tmp_path):
    with pytest.raises(NnfitError, match=r"\.avi.*use \.gif or \.mp4"):
        cos_run.animate(tmp_path / "training.avi")


def test_animate_needs_recorded_curves():
    run = notebook.fit(steps=10, record_curves=False)
    with pytest.raises(NnfitError, match="record_curves=True"):
        run.animate()


def test_animation_save_writes_its_bytes(cos_run, tmp_path):
    animation = cos_run.animate(every=10)
    path = animation.save(tmp_path / "out" / "training.gif")
    assert path.read_bytes() == animation.data


def test_animation_save_rejects_the_wrong_suffix(cos_run, tmp_path):
    with pytest.raises(NnfitError, match="ending in .gif"):
        cos_run.animate(every=10).save(tmp_path / "training.mp4")


def test_summary_has_one_row_per_net_with_spec_and_metrics(batch_run):
    table = batch_run.summary()
    expected = ["seed", *notebook.SPEC_COLUMNS, *analysis.METRICS]
    assert list(table.columns) == [*expected, "diverged_at", "success"]
    assert table["seed"].tolist() == [7, 8, 9]
    assert table["activation"].tolist() == ["sigmoid"] * 3
    np.testing.assert_array_equal(table["r2"], batch_run.metrics["r2"])


def test_summary_success_follows_the_analysis_criterion(batch_run):
    expected = analysis.succeeded(batch_run.metrics, batch_run.samples)
    assert batch_run.summary()["success"].tolist() == expected.tolist()


def test_summary_names_user_data_by_its_label():
    x = np.linspace(0, 1, 20)
    run = notebook.fit(x=x, y=x**2, data="points.csv", steps=20)
    assert run.summary()["target"].tolist() == ["points.csv"]


def test_repr_html_shows_the_metrics_and_a_png(cos_run):
    html = cos_run._repr_html_()
    rows = _rows(html)
    for name in ("train_mse", "r2", "interp_mse", "extrap_mse", "dead_units"):
        value = cos_run.metrics[name][0]
        shown = dict(rows)[name]
        assert float(shown) == pytest.approx(value, rel=1e-3, abs=1e-12)
    assert _data_uri(html, "image/png").startswith(PNG)


def test_repr_html_shows_the_spec(cos_run):
    html = cos_run._repr_html_()
    assert "3 cos nodes fitting sin" in html
    assert ("activation", "cos") in _rows(html)


def test_repr_html_counts_successes_over_a_batch(batch_run):
    successes = int(batch_run.summary()["success"].sum())
    assert f"{successes} of 3" in batch_run._repr_html_()


def test_repr_html_escapes_the_data_label():
    x = np.linspace(0, 1, 20)
    run = notebook.fit(x=x, y=x, data="<b>a</b>.csv", steps=20)
    html = run._repr_html_()
    assert "&lt;b&gt;a&lt;/b&gt;.csv" in html
    assert "<b>a</b>" not in html


def test_repr_is_one_short_line(cos_run):
    text = repr(cos_run)
    assert text.startswith("<nnfit Run: 3 cos nodes fitting 'sin', 50 steps")
    assert "\n" not in text and len(text) < 200


def test_save_and_load_round_trip_to_the_notebook_run(cos_run, tmp_path):
    folder = cos_run.save(tmp_path / "cos")
    loaded = notebook.load_run(folder)
    assert isinstance(loaded, notebook.Run)
    np.testing.assert_array_equal(loaded.params["v"], cos_run.params["v"])
    assert loaded.summary().equals(cos_run.summary())


def test_run_load_is_the_notebook_run(cos_run, tmp_path):
    folder = cos_run.save(tmp_path / "cos")
    assert type(notebook.Run.load(folder)) is notebook.Run


def test_importing_nnfit_imports_no_view_and_no_matplotlib():
    code = (
        "import sys, nnfit, nnfit.notebook\n"
        "heavy = [m for m in sys.modules if m.startswith(('nnfit.views', "
        "'matplotlib', 'pandas'))]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_package_exports_the_notebook_run():
    import nnfit

    assert (nnfit.fit, nnfit.Run, nnfit.load_run) == (
        notebook.fit,
        notebook.Run,
        notebook.load_run,
    )


def test_example_notebook_runs_top_to_bottom(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    book = nbformat.read(EXAMPLE, as_version=4)
    # No kernel folders: "python3" is ipykernel's own spec on sys.executable.
    specs = KernelSpecManager(kernel_dirs=[])
    kernel = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)
    client = nbclient.NotebookClient(
        book, km=kernel, timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    # Raises CellExecutionError on the first cell that fails.
    client.execute(cleanup_kc=True)

    outputs = [out for cell in book.cells for out in cell.get("outputs", [])]
    kinds = {kind for out in outputs for kind in out.get("data", {})}
    assert {"image/png", "text/html"} <= kinds


def test_public_fit_takes_every_option_of_the_core_fit():
    import nnfit

    x = np.linspace(0, 1, 20)
    run = nnfit.fit(x=x, y=2 * x, x_unit="s", y_unit="m", steps=5)
    assert isinstance(run, nnfit.Run) and run.y_unit == "m"
