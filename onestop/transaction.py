"""One commit per request (indico's `RH.process`): views and domain functions only flush.

After a view has built its answer, the request commits when the answer is a
success (status < 400) and rolls back otherwise, or when the view raised. The
answer is therefore complete before anything is committed, and a commit that
fails answers 503 instead of pretending. A view that must keep what it wrote
despite answering an error (a failed sign-in's counter) says so with
`keep_on_error()`. Files written during a transaction that rolls back are
deleted (`track_file`), so a failed intake leaves no orphan scan on disk.
"""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy.orm as so
from flask import Flask, g, has_request_context
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .extensions import db

log = logging.getLogger(__name__)
_FILES = "onestop_written_files"


def keep_on_error() -> None:
    """Commit this request's changes even though its answer is an error (status >= 400)."""
    if has_request_context():
        g.onestop_keep_on_error = True


def discard() -> None:
    """Roll back now, e.g. before showing a form again with the state as it was."""
    db.session.rollback()


def track_file(path: Path) -> None:
    """Remember a file written in the current transaction: it is deleted if the transaction rolls back."""
    db.session.info.setdefault(_FILES, []).append(Path(path))


@event.listens_for(so.Session, "after_commit")
def _files_kept(session) -> None:
    session.info.pop(_FILES, None)


@event.listens_for(so.Session, "after_rollback")
def _files_discarded(session) -> None:
    for path in session.info.pop(_FILES, []):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not delete %s after a rollback", path)


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_or_roll_back(response):
        if response.status_code >= 400 and not g.get("onestop_keep_on_error"):
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except (DBAPIError, SQLAlchemyError):
            app.logger.exception("commit failed")
            db.session.rollback()
            from .blueprints.main.errors import error_response

            answer, status = error_response(503)
            return app.make_response((answer, status))
        return response

    @app.teardown_request
    def roll_back_after_exception(exc):
        if exc is not None:
            db.session.rollback()
