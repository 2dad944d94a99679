"""Fixtures: the app on SQLite (or on PostgreSQL when TEST_DATABASE_URL is set), clients, users."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from support import IS_POSTGRES, clean_tables, make_app

from onestop.extensions import db, limiter


@pytest.fixture(scope="session")
def _schema():
    app = make_app()
    with app.app_context():
        db.drop_all()
        _drop_leftovers()
        db.create_all()
    yield
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_leftovers():
    if IS_POSTGRES:
        db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()


@pytest.fixture
def app(_schema, request):
    marker = request.node.get_closest_marker("config")
    overrides = marker.kwargs if marker else {}
    app = make_app(**overrides)

    @app.teardown_request
    def _forget_login(exc):
        # The test keeps one app context open, so `g` would carry the signed-in user
        # from one request (or client) to the next.
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)  # the language Flask-Babel cached for that request

    with app.app_context():
        clean_tables()
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo province: agencies, procedures and staff (password: onestop2026)."""
    from onestop.devdata import demo as demo_data

    demo_data.load()
    db.session.commit()
    return demo_data


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str = "tiepnhan", password: str = "onestop2026"):
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def pytest_configure(config):
    config.addinivalue_line("markers", "config(**overrides): app configuration for this test")
