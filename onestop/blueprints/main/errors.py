"""Error pages in Vietnamese, JSON errors under /api and /open311; the session is rolled back."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def register(app):
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "csrf", _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                                             "Vui lòng tải lại trang và thử lại."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code >= 500:
            db.session.rollback()
        return error_response(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return error_response(500)
