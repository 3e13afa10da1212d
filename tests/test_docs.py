"""Tests for the docs: the mkdocs site builds with warnings as errors.

The API reference is generated from the docstrings by mkdocstrings, so a
docstring that griffe cannot read (a parameter missing from the signature,
a missing type) fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = (
    "nnfit.fit",
    "nnfit.Run.plot",
    "nnfit.Run.animate",
    "nnfit.Run.summary",
    "nnfit.Run.save",
    "nnfit.Run.load",
    "nnfit.load_run",
    "nnfit.FitSpec",
    "nnfit.analysis.metrics",
    "nnfit.activations.get_activation",
    "nnfit.targets.get_target",
    "nnfit.datasets.read_csv",
    "nnfit.expression.parse",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    folder = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    done = subprocess.run(
        [*command, "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return folder


def test_docs_build_strictly(site):
    assert (site / "index.html").is_file()


def test_api_page_documents_every_public_name(site):
    page = (site / "api" / "index.html").read_text()
    missing = [name for name in PUBLIC if f'id="{name}"' not in page]
    assert not missing
