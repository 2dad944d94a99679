"""Domain errors: each carries an API error code, an HTTP status and a Vietnamese message."""

from flask_babel import gettext as _


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def to_dict(self) -> dict:
        err = {"code": self.code, "message": self.message}
        if self.field:
            err["field"] = self.field
        return {"error": err}


class BadRequest(DomainError):
    """A request that cannot be read at all (400): broken JSON, bad characters."""

    status = 400
    code = "bad_request"


class UnsupportedMediaType(DomainError):
    """A body in a format the endpoint does not take (415)."""

    status = 415
    code = "unsupported_media_type"


class ValidationError(DomainError):
    """Input that cannot be accepted (422)."""

    status = 422
    code = "invalid"


class PermissionDenied(DomainError):
    """The user's role or agency may not do this (403)."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """Not allowed in the current state (409)."""

    status = 409
    code = "conflict"


class StaleVersion(Conflict):
    code = "stale_version"

    def __init__(self, message: str | None = None, **kw):
        super().__init__(message or _("Hồ sơ đã được cập nhật bởi người khác. Vui lòng tải lại trang."), **kw)
