"""The command line starts without what its commands do not use (issue 18: CLI start-up).

`flask --app wsgi ...` loads the app to run one of its commands; Alembic, APScheduler, the blueprints and
the heavy libraries (PDF, seals, spreadsheets, QR codes, S3, browsers) are imported only when something
uses them, and what a command sees of the app (its commands, its URLs, its templates) is the same as the
whole app's. No timing here: bench/startup.py measures it.
"""
from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import threading

import pytest
from flask import url_for
from support import DATABASE_URL, FILES_DIR, SIGNING_DIR

from config import BASE_DIR, TestConfig
from onestop import create_app

NOT_AT_START = ("alembic", "flask_migrate", "apscheduler", "onestop.blueprints", "weasyprint", "pyhanko",
                "openpyxl", "segno", "boto3", "botocore", "playwright")


def _flask(*args, importtime=False, timeout=120):
    # ONESTOP_SCHEDULER on: a command must still not import APScheduler (the schedule starts with a request)
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, ONESTOP_SCHEDULER="1", ONESTOP_ENV="development",
               ONESTOP_FILES_DIR=FILES_DIR, ONESTOP_SIGNING_DIR=SIGNING_DIR,
               ONESTOP_INSTANCE=os.environ.get("ONESTOP_INSTANCE") or str(BASE_DIR / "instance"))
    env.pop("TEST_DATABASE_URL", None)
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "flask", "--app", "wsgi", *args]
    return subprocess.run(cmd, cwd=str(BASE_DIR), env=env, capture_output=True, text=True, timeout=timeout)


def _commands(help_text: str) -> set[str]:
    return set(re.findall(r"^  ([a-z0-9-]+)\s", help_text.split("Commands:", 1)[1], re.M))


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in NOT_AT_START))


def _app(defer_web: bool):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=DATABASE_URL, ONESTOP_FILES_DIR=FILES_DIR, ONESTOP_SIGNING_DIR=SIGNING_DIR)
    return create_app(config, defer_web=defer_web)


def _names(funcs) -> list[str]:
    return [f.__qualname__ for f in funcs]


def _shape(app) -> dict:
    """Everything the web layer registers, in registration order where order matters."""
    rules = sorted((r.rule, r.endpoint, tuple(sorted(r.methods))) for r in app.url_map.iter_rules())
    return {
        "rules": rules,
        "views": sorted(app.view_functions),
        "blueprints": list(app.blueprints),
        "before_request": {k: _names(v) for k, v in app.before_request_funcs.items()},
        "after_request": {k: _names(v) for k, v in app.after_request_funcs.items()},
        "teardown_request": {k: _names(v) for k, v in app.teardown_request_funcs.items()},
        "context_processors": {k: _names(v) for k, v in app.template_context_processors.items()},
        "error_handlers": {scope: {code: sorted(c.__name__ for c in handlers) for code, handlers in codes.items()}
                           for scope, codes in app.error_handler_spec.items()},
        "filters": sorted(app.jinja_env.filters),
        "globals": sorted(app.jinja_env.globals),
        "commands": sorted(app.cli.commands),
        "login_message": str(app.login_manager.login_message),
    }


def test_help_lists_every_command_and_imports_nothing_heavy(app):
    result = _flask("onestop", "--help", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    listed = _commands(result.stdout)
    assert listed == set(app.cli.commands["onestop"].commands)
    assert {"sweep", "generate", "demo", "scheduler", "portal-sync", "certificates", "partitions"} <= listed
    assert _heavy(_imported(result.stderr)) == []


def test_the_cron_sweep_imports_nothing_heavy(app):
    result = _flask("onestop", "sweep", "--at", "2026-11-20T10:00:00+07:00", "--force", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"overdue": 0' in result.stdout.strip().splitlines()[-1]
    assert _heavy(_imported(result.stderr)) == []


def test_flask_db_still_migrates_and_lists_its_commands(app):
    top = _flask("--help")
    assert top.returncode == 0, top.stderr
    assert {"db", "onestop", "run", "shell", "routes"} <= _commands(top.stdout)
    assert re.search(r"^  db\s+Perform database migrations", top.stdout, re.M)
    group = _flask("db", "--help")
    assert group.returncode == 0, group.stderr
    assert {"upgrade", "downgrade", "current", "heads", "migrate"} <= _commands(group.stdout)
    heads = _flask("db", "heads")
    assert heads.returncode == 0, heads.stderr
    assert re.search(r"^[0-9a-f]{12} \(head\)$", heads.stdout, re.M)


def test_gunicorn_and_commands_collect_garbage_after_start_up():
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, ONESTOP_SCHEDULER="0")
    env.pop("TEST_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.isenabled(), gc.get_freeze_count() > 0, "
                          "wsgi.app.web_loaded)"], cwd=str(BASE_DIR), env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "True"]  # outside a command (gunicorn) the app is whole at once
    assert gc.isenabled()


def test_a_deferred_app_becomes_the_whole_app_on_first_need(_schema):
    deferred = _app(defer_web=True)
    assert not deferred.web_loaded
    assert "onestop" in deferred.cli.commands and "db" in deferred.cli.commands
    eager = _app(defer_web=False)
    assert eager.web_loaded
    assert _shape(deferred) == _shape(eager)
    assert deferred.web_loaded


def test_url_for_in_a_command_builds_every_url(_schema):
    app = _app(defer_web=True)
    with app.app_context(), app.test_request_context(base_url="https://motcua.example.vn"):
        assert url_for("main.healthz", _external=True) == "https://motcua.example.vn/healthz"
        assert url_for("queue.status", token="abc").endswith("/abc")
        assert url_for("lookup.index") == "/lookup/"
    assert app.web_loaded


def test_a_mail_template_rendered_by_a_command_has_its_filters(_schema):
    app = _app(defer_web=True)
    with app.app_context():
        template = app.jinja_env.get_template("email/digest.txt")  # uses |datetime (onestop/templating.py)
        assert template is not None
    assert app.web_loaded


def test_the_first_request_of_a_deferred_app_gets_the_whole_web_layer(app):
    deferred = _app(defer_web=True)
    response = deferred.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"
    assert "Content-Security-Policy" in response.headers  # the headers' after-request hook is there too
    assert deferred.test_client().get("/khong-co-trang-nay").status_code == 404


@pytest.mark.parametrize("threads", [4])
def test_threads_that_need_the_urls_at_once_all_see_them_all(_schema, threads):
    app = _app(defer_web=True)
    expected = len(list(_app(defer_web=False).url_map.iter_rules()))
    barrier = threading.Barrier(threads)
    seen = []

    def work():
        barrier.wait()
        seen.append(len(list(app.url_map.iter_rules())))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert seen == [expected] * threads
