"""Run the command line as ``python -m cxlens``."""

from cxlens.cli import app

app()
