"""One commit per request (indico's `RH.process`): views and domain functions only flush.

After a view has built its answer, the request commits when the answer is a
success (status < 400) and rolls back otherwise, or when the view raised. The
answer is therefore complete before anything is committed, and a commit that
fails answers 503 instead of pretending. A view that must keep what it wrote
despite answering an error (a failed sign-in's counter) says so with
`keep_on_error()`. Files written during a transaction that rolls back are
deleted (`track_file`), so a failed intake leaves no orphan scan on disk.
Once the commit has succeeded the answer is remembered, and an error later in
the request (another after-request hook) still sends that answer, never a 500.
"""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy.orm as so
from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .errors import DomainError
from .extensions import db

log = logging.getLogger(__name__)
_FILES = "onestop_written_files"
_KEEP = "onestop.keep_on_error"


def keep_on_error() -> None:
    """Commit this request's changes even though its answer is an error (status >= 400)."""
    if has_request_context():
        request.environ[_KEEP] = True  # per request: `g` lives as long as the app context


def kept_on_error() -> bool:
    """Whether this request asked to keep its changes despite an error answer."""
    return has_request_context() and bool(request.environ.get(_KEEP))


def discard() -> None:
    """Roll back now, e.g. before showing a form again with the state as it was."""
    db.session.rollback()


def track_file(path: Path) -> None:
    """Remember a file written in the current transaction: it is deleted if the transaction rolls back."""
    db.session.info.setdefault(_FILES, []).append(Path(path))


def track_stored(delete) -> None:
    """Remember how to remove what the current transaction stored elsewhere (e.g. an S3 object), on rollback."""
    db.session.info.setdefault(_FILES, []).append(delete)


@event.listens_for(so.Session, "after_commit")
def _files_kept(session) -> None:
    session.info.pop(_FILES, None)


@event.listens_for(so.Session, "after_rollback")
def _files_discarded(session) -> None:
    for path in session.info.pop(_FILES, []):
        try:
            path.unlink(missing_ok=True) if isinstance(path, Path) else path()
        except Exception:  # noqa: BLE001 - a file left behind is logged, never a failed request
            log.warning("could not delete %s after a rollback", path)


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_or_roll_back(response):
        from .blueprints.main import errors

        if errors.committed_answer() is not None:  # an error page after the commit: nothing left to commit
            return response
        if response.status_code >= 400 and not request.environ.get(_KEEP):
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except DomainError as exc:  # a value refused by the checks that run when the session flushes
            db.session.rollback()
            return app.make_response(errors.error_response(exc.status, exc.code, exc.message, exc.field))
        except (DBAPIError, SQLAlchemyError):
            app.logger.exception("commit failed")
            try:
                db.session.rollback()
            except SQLAlchemyError:
                db.session.close()
            return app.make_response(errors.database_unavailable())
        errors.remember_committed(response)
        return response

    @app.teardown_request
    def roll_back_after_exception(exc):
        if exc is not None:
            db.session.rollback()
