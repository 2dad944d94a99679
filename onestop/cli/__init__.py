"""`flask --app wsgi onestop ...`: the operators' command line."""
from flask import Flask
from flask.cli import AppGroup

from . import core, generate, partitions, sweep


def register(app: Flask) -> None:
    group = AppGroup("onestop", help="OneStop: quản trị dữ liệu một cửa (one-stop administration).")
    core.register(group)
    sweep.register(group)
    generate.register(group)
    partitions.register(group)
    # -- commands: issue 15 (portal sync) --
    from . import portal
    portal.register(group)
    # -- commands: issue 16 (certificates) --
    from . import certificates
    certificates.register(group)
    # -- commands: issue 21 (queue) --
    # -- commands: issue 18 (performance) --
    from . import score766
    score766.register(group)
    # -- commands: issue 20 (integrity) --
    app.cli.add_command(group)
