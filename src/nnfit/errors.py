"""nnfit's exceptions: one base class, so a front end can tell user errors apart.

Every message is one sentence that names the argument, shows the value, says
what is allowed and how to fix it. The CLI prints it and exits with code 2;
the web server replies 4xx with it.
"""

from __future__ import annotations


class NnfitError(ValueError):
    """Bad input to nnfit: the message says what was wrong and what is allowed."""


class SpecError(NnfitError):
    """A fit specification holds a value outside what nnfit accepts."""


class DataError(NnfitError):
    """User data (arrays, a CSV file) cannot be used as training samples."""


class ShapeError(NnfitError):
    """Two arrays that must match element for element have different shapes."""
