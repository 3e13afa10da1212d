"""`python -m nnfit` runs the command line."""

from nnfit.cli import run

run()
