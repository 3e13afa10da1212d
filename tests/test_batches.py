import subprocess
import sys
from pathlib import Path

import numpy as np

import nnfit.sweep as sweep_module
from nnfit.batches import main_waves, train_batch


def test_a_worker_imports_no_view_no_matplotlib_and_no_pandas():
    # What a spawned worker imports to unpickle train_batch and run it.
    code = (
        "import sys, nnfit.batches; "
        "print(sorted(m for m in sys.modules if m.startswith(('nnfit.views', "
        "'matplotlib', 'nnfit.cli', 'nnfit.sweep', 'pandas'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_sweep_hands_workers_this_modules_train_batch():
    # Pickled by reference, it brings its own module into the worker, not the sweep.
    assert sweep_module.train_batch is train_batch
    assert train_batch.__module__ == "nnfit.batches"


def test_main_wave_adds_the_nodes_at_one_frequency_as_phasors():
    # cos(x - pi/2 + 0.3) + cos(x - pi/2 - 0.3) = 2 cos(0.3) cos(x - pi/2).
    params = {
        "w": np.array([[1.0, 1.005, 3.0]]),
        "b": np.array([[-np.pi / 2 + 0.3, -np.pi / 2 - 0.3, 0.0]]),
        "v": np.array([[1.0, 1.0, 0.1]]),
        "c": np.zeros(1),
    }
    waves = main_waves(params, "cos")
    assert waves["frequency"][0] in (1.0, 1.005)
    np.testing.assert_allclose(waves["phase"][0], -np.pi / 2, atol=1e-12)
    np.testing.assert_allclose(waves["amplitude"][0], 2 * np.cos(0.3), rtol=1e-12)
    assert np.isnan(main_waves(params, "tanh")["frequency"][0])


def test_pool_workers_load_no_pandas_after_a_sweep():
    sweep_module.sweep(
        activation=["cos"],
        hidden=[2],
        samples=[40],
        steps=[20],
        seeds=4,
        chunk=2,
        workers=2,
    )
    pool = sweep_module._POOLS[2]
    try:
        for pid in pool._processes:
            maps = Path(f"/proc/{pid}/maps").read_text()
            assert "pandas" not in maps and "pyarrow" not in maps
    finally:
        sweep_module.close_workers()
