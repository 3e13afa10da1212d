"""A griffe extension for nnfit's API pages: "Example:" starts Examples.

nnfit's docstrings head their doctest lines "Example:". Griffe's Google
parser knows the plural "Examples:" and renders the singular as a note of
plain Markdown, where ">>>" reads as nested quotes and `a[0]` as a link.
Renaming the heading before the docstring is parsed makes the lines code.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(Extension):
    """Rename each docstring's "Example:" heading to "Examples:"."""

    def on_instance(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = HEADING.sub(r"\1Examples:", obj.docstring.value)
