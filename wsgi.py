"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn wsgi:app`).

Start-up builds ~140,000 objects that live as long as the process (modules, classes, the models' mappers,
the URL map). The cyclic garbage collector would walk them all several times while they are being built and
four more times when the process exits (0.3-0.5 s of a cron-driven `onestop sweep` on this machine), and
finds next to nothing to free among them. So it is off while the app is built, and what start-up built is
then frozen (`gc.freeze()`: never examined again, nor at exit); everything made afterwards is collected as
usual. docs/performance.md, "CLI start-up (session 26)".
"""
import gc

import click


def _for_an_app_command() -> bool:
    """Whether the flask command line loads the app to run one of the app's commands (`onestop sweep`,
    `db upgrade`, `--help`): none serves a page, so the web layer waits until something builds a URL
    (onestop.OneStopApp). `flask run`, `shell` and `routes` load the app inside their own command and get
    it whole at once; gunicorn and the tests load it outside any command."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.parent is None


gc.disable()
try:
    from onestop import create_app

    app = create_app(defer_web=_for_an_app_command())
finally:
    gc.enable()
gc.freeze()
