"""Shared set-up: JAX's x64 switch on from the start.

Reference checks run in float64, which needs JAX's x64 switch; turning it on
once, before any test, keeps every test's dtypes the same whatever the order.
The float32 path with x64 off is covered by the CLI tests (new processes).
"""

from __future__ import annotations

from nnfit.training import use_dtype

use_dtype("float64")
