from system.stack.cli import app

app(prog_name="python -m system.stack")
