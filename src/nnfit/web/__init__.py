"""The live playground: a page where a net fits a curve while you watch.

`nnfit serve` calls `serve`; tests and embedders build the app with
`create_app(limits)`. The page and its scripts ship in `static/` and load
nothing from the network.

Example:
    >>> from nnfit.web import serve
    >>> serve("127.0.0.1", 8000, open_browser=True)  # doctest: +SKIP
"""

from nnfit.web.app import create_app, serve
from nnfit.web.protocol import Limits, ProtocolError, Settings
from nnfit.web.session import Session

__all__ = ["Limits", "ProtocolError", "Session", "Settings", "create_app", "serve"]
