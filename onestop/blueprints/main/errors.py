"""Error pages in Vietnamese, JSON errors under /api and /open311; the session is rolled back.

Two promises: a database that cannot be reached answers 503 with a clear message
(never a 500 with a trace), and an answer whose changes were already committed is
sent as it was built even if something fails afterwards (never a 500 that makes
the client send the same dossier twice).
"""
from flask import has_request_context, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from ... import transaction
from ...errors import DomainError
from ...extensions import db

MESSAGES = {
    400: ("bad_request", _l("Yêu cầu không hợp lệ.")),
    401: ("unauthorized", _l("Cần đăng nhập hoặc mã truy cập (token) hợp lệ.")),
    403: ("forbidden", _l("Bạn không có quyền truy cập nội dung này.")),
    404: ("not_found", _l("Không tìm thấy trang hoặc hồ sơ yêu cầu.")),
    405: ("method_not_allowed", _l("Phương thức không được hỗ trợ.")),
    409: ("conflict", _l("Yêu cầu xung đột với trạng thái hiện tại.")),
    413: ("too_large", _l("Tệp hoặc yêu cầu quá lớn.")),
    415: ("unsupported_media_type", _l("Định dạng dữ liệu không được hỗ trợ.")),
    422: ("invalid", _l("Dữ liệu không hợp lệ.")),
    429: ("too_many_requests", _l("Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.")),
    500: ("server_error", _l("Hệ thống gặp sự cố. Vui lòng thử lại sau.")),
    503: ("unavailable", _l("Hệ thống tạm thời không sẵn sàng. Vui lòng thử lại sau.")),
}
DATABASE_DOWN = _l("Hệ thống tạm thời không kết nối được cơ sở dữ liệu. Vui lòng thử lại sau ít phút. "
                   "Nếu vừa gửi biểu mẫu, hãy kiểm tra lại kết quả trước khi gửi lại.")
# Errors that mean "the database is not there right now" (restart, network, pool exhausted, locked).
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)
RETRY_AFTER_SECONDS = 30
_COMMITTED = "onestop.committed_response"


def wants_json() -> bool:
    path = request.path
    return (path.startswith("/api/") or path.startswith("/open311/")
            or request.accept_mimetypes.best == "application/json")


def error_response(status: int, code: str | None = None, message: str | None = None, field: str | None = None):
    default_code, default_message = MESSAGES.get(status, ("error", _l("Đã có lỗi xảy ra.")))
    code, message = code or default_code, str(message or default_message)
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        return jsonify(body), status
    template = "errors/error.html"
    return render_template(template, status=status, message=message), status


def database_unavailable():
    """503 with Retry-After: the request changed nothing, the client may try again."""
    body, status = error_response(503, "database_unavailable", str(DATABASE_DOWN))
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, UNAVAILABLE) or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)


def remember_committed(response) -> None:
    """Called right after a successful commit: this answer is the truth from now on.

    Kept in the request's environ, not in `g`: an app context (and its `g`) may outlive one request.
    """
    request.environ.setdefault(_COMMITTED, response)


def committed_answer():
    """The answer of a request whose commit already succeeded, if any."""
    return request.environ.get(_COMMITTED) if has_request_context() else None


def _send_committed(app, committed):
    """The committed answer, with the session cookie it would have carried (signing in, flashed messages)."""
    app.logger.exception("error after the commit on %s; sending the committed answer", request.path)
    if not app.session_interface.is_null_session(session):
        app.session_interface.save_session(app, session, committed)
    return committed


def _safe_rollback(app) -> None:
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:  # the connection is gone: nothing to undo
        app.logger.warning("rollback failed; the connection is discarded")
        db.session.close()


def register(app):
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if not transaction.kept_on_error():  # e.g. a wrong lookup key's count is kept with the 404
            _safe_rollback(app)
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "csrf", _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                                             "Vui lòng tải lại trang và thử lại."))

    @app.errorhandler(sa_exc.DataError)
    def data_refused(exc):
        """The database refused a value (too long, out of range) that slipped past the input checks."""
        _safe_rollback(app)
        app.logger.warning("database refused a value on %s: %s", request.path, exc.orig)
        return error_response(422, "invalid", _("Dữ liệu không hợp lệ: giá trị quá dài hoặc vượt giới hạn cho phép."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code >= 500:
            committed = committed_answer()
            if committed is not None:  # failed after the commit (see `unexpected`)
                return _send_committed(app, committed)
            _safe_rollback(app)
            original = getattr(exc, "original_exception", None)
            if original is not None and is_unavailable(original):
                return database_unavailable()
            if exc.code == 503:
                body, status = error_response(503)
                return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return error_response(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        committed = committed_answer()
        if committed is not None:
            return _send_committed(app, committed)
        _safe_rollback(app)
        if is_unavailable(exc):
            app.logger.warning("database unavailable on %s: %s", request.path, exc)
            return database_unavailable()
        app.logger.exception("Unhandled error on %s", request.path)
        return error_response(500)
