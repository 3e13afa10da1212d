import json
import re
import subprocess
import sys

import pytest
from PIL import Image


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`nnfit demo --quick` in a new process, as a user runs it."""
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [sys.executable, "-m", "nnfit", "demo", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_demo_writes_every_figure_and_animation(demo):
    out, _ = demo
    assert (out / "data.png").is_file()
    for name in ("sigmoid", "relu", "cos"):
        for view in ("fit", "nodes", "extrapolation", "loss"):
            assert (out / name / f"{view}.png").is_file()
        with Image.open(out / name / "training.gif") as gif:
            assert gif.n_frames > 5
        assert (out / name / "run" / "spec.json").is_file()
    assert (out / "cos" / "waves.png").is_file()
    assert (out / "sigmoid" / "training.mp4").stat().st_size > 1000


def test_demo_metrics_hold_each_experiment_and_study(demo):
    out, _ = demo
    numbers = json.loads((out / "metrics.json").read_text())
    assert set(numbers) >= {"sigmoid", "relu", "cos", "settings"}
    for name in ("sigmoid", "relu", "cos"):
        study = numbers[name]["study"]
        assert 0 <= study["success_rate"] <= 1
        assert study["median_extrap_mse"] > 0
    assert "frequency_1_found" in numbers["cos"]["study"]
    claims = json.loads((out / "claims" / "claims.json").read_text())
    assert claims


def test_demo_page_tells_the_story_with_the_measured_numbers(demo):
    out, stdout = demo
    page = (out / "index.html").read_text()
    numbers = json.loads((out / "metrics.json").read_text())
    for title in (
        "10 sigmoid nodes",
        "100 relu nodes",
        "3 cos nodes",
        "Every prior on the same samples",
        "The saw",
        "Depth",
        "Real data: the CO2 cycle",
    ):
        assert title in page
    seed_0 = numbers["cos"]["seed_0"]["train_mse"]
    assert f"{seed_0:.4f}" in page
    # Figures and animations are embedded: the page stands alone.
    assert len(re.findall(r'src="data:image/png;base64,', page)) >= 10
    assert 'src="data:image/gif;base64,' in page
    assert "index.html" in stdout
