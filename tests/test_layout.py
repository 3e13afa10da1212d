"""The layout follows the data flow: the core never imports a view."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nnfit"
CORE = (
    "errors", "activations", "expression", "targets", "datasets", "samples",
    "network", "training", "spec", "run", "analysis", "sweep", "claims",
)  # fmt: skip
VIEWS = (
    "nnfit.views",
    "nnfit.web",
    "nnfit.cli",
    "nnfit.notebook",
    "nnfit.demo",
    "nnfit.studies",
    "matplotlib",
    "PIL",
    "fastapi",
    "rich",
    "typer",
)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_view(module):
    imported = _imports(PACKAGE / f"{module}.py")
    bad = {name for name in imported if name.startswith(VIEWS)}
    assert not bad, f"nnfit.{module} imports views: {sorted(bad)}"


def test_library_code_does_not_print():
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("cli.py", "cli_sweep.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print":
                pytest.fail(f"print() in {path.relative_to(PACKAGE)}:{node.lineno}")


def test_user_input_never_reaches_eval_or_exec():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "eval",
                "exec",
                "compile",
            ):
                pytest.fail(f"{node.func.id}() in {path.relative_to(PACKAGE)}")
