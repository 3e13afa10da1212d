"""Report: one self-contained HTML page from a run or from the demo.

A page is a title, an introduction and sections; each section holds prose,
tables, figures (PNG, embedded as data URIs) and animations (GIF embedded,
MP4 linked beside the page). Everything a section says is passed in: this
module only lays it out.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from nnfit import __version__
from nnfit.run import Run


@dataclass
class Table:
    """A small table: column headings and rows of already formatted cells."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    """One part of the page.

    Attributes:
        title: the heading.
        paragraphs: prose, one string per paragraph (plain text, escaped).
        tables: tables shown under the prose.
        images: paths of PNG or GIF files, embedded in the page.
        links: (text, relative path) pairs, e.g. the MP4 beside the page.
        anchor: the id used in the page's table of contents.
    """

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    anchor: str = ""


def write_page(
    path: str | Path, title: str, intro: list[str], sections: list[Section]
) -> Path:
    """Render the page to `path` (HTML, one file, images embedded).

    Args:
        path: where to write, e.g. out/index.html.
        title: the page's title and top heading.
        intro: paragraphs under the title.
        sections: the parts, in order.

    Returns:
        The path written.
    """
    path = Path(path)
    for number, section in enumerate(sections):
        section.anchor = section.anchor or f"section-{number + 1}"
    html = _template().render(
        title=title,
        intro=intro,
        sections=sections,
        data_uri=_data_uri,
        version=__version__,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _data_uri(image: Path) -> str:
    kind = "gif" if Path(image).suffix.lower() == ".gif" else "png"
    payload = base64.b64encode(Path(image).read_bytes()).decode("ascii")
    return f"data:image/{kind};base64,{payload}"


def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("nnfit.views", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    return environment.get_template("page.html.j2")


def write_run_page(run: Run, path: str | Path, net: int = 0) -> Path:
    """One page for a saved or fresh run: its numbers, figures and animation.

    Args:
        run: the run.
        path: the HTML file to write; figures go into a folder beside it.
        net: which net of the batch to show.

    Returns:
        The path written.
    """
    from nnfit.views import animation, figures

    path = Path(path)
    assets = path.parent / f"{path.stem}_files"
    assets.mkdir(parents=True, exist_ok=True)
    from nnfit.views.priors import spectrum_figure

    makers = [figures.fit_figure, figures.nodes_figure, figures.extrapolation_figure]
    if run.spec.activation in ("cos", "sin"):
        makers.append(figures.waves_figure)
    if run.activation.periodic:
        makers.append(spectrum_figure)
    makers.append(figures.loss_figure)
    images = [
        figures.save_figure(make(run, net), assets / f"{make.__name__}.png")
        for make in makers
    ]
    if run.history.curves is not None:
        every = animation.every_for(run, animation.FRAMES)
        gif = animation.write_gif(run, assets / "training.gif", net=net, every=every)
        images.insert(0, gif)

    spec = run.spec
    source = run.data or spec.target
    intro = [
        f"{spec.hidden} {spec.activation} nodes fitted to {source} for "
        f"{spec.steps} steps ({spec.optimizer}, learning rate {spec.lr:g}, "
        f"seed {spec.seed + net})."
    ]
    divergence = run.divergence(net)
    if divergence:
        intro.append(divergence[0].upper() + divergence[1:])
    section = Section("Metrics", tables=[_metrics_table(run, net)], images=images)
    return write_page(path, f"nnfit: {spec.activation} on {source}", intro, [section])


def _metrics_table(run: Run, net: int) -> Table:
    names = {
        "train_mse": "training MSE",
        "r2": "R² on the samples",
        "interp_mse": "MSE against the target inside the range",
        "extrap_mse": "MSE against the target outside the range",
        "dead_units": "dead units",
    }
    rows = []
    for key, label in names.items():
        value = float(run.metrics[key][net])
        rows.append([label, "—" if value != value else f"{value:.4g}"])
    return Table(["metric", "value"], rows)
