"""nnfit: see what a neural network actually does when it fits a curve."""

from nnfit.activations import ACTIVATIONS, Activation, get_activation
from nnfit.datasets import SERIES, Table, load_series, read_csv, split
from nnfit.errors import DataError, NnfitError, ShapeError, SpecError
from nnfit.notebook import Run, fit, load_run, sweep
from nnfit.spec import FitSpec
from nnfit.targets import TARGETS, Target, get_target
from nnfit.training import mse

__all__ = [
    "ACTIVATIONS",
    "SERIES",
    "TARGETS",
    "Activation",
    "DataError",
    "FitSpec",
    "NnfitError",
    "Run",
    "ShapeError",
    "SpecError",
    "Table",
    "Target",
    "fit",
    "get_activation",
    "get_target",
    "load_run",
    "load_series",
    "mse",
    "read_csv",
    "split",
    "sweep",
]

__version__ = "0.1.0"
