"""`flask --app wsgi onestop ...`: the operators' command line."""
from flask import Flask
from flask.cli import AppGroup

from . import core, generate, sweep


def register(app: Flask) -> None:
    group = AppGroup("onestop", help="OneStop: quản trị dữ liệu một cửa (one-stop administration).")
    core.register(group)
    sweep.register(group)
    generate.register(group)
    app.cli.add_command(group)
