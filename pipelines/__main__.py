"""`python -m pipelines` is `qa`."""

from pipelines.cli import app

app(prog_name="qa")
