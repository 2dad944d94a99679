"""The audit log: append-only rows for sign-ins, dossier actions, admin changes, exports."""
from flask import has_request_context, request

from . import rows
from .models import AuditLog


def client_ip() -> str | None:
    if not has_request_context():
        return None
    # Behind a reverse proxy, ONESTOP_PROXY_COUNT makes ProxyFix set remote_addr from
    # X-Forwarded-For; the raw header is never trusted here.
    return request.remote_addr or None


def record(action: str, *, actor=None, target=None, target_type: str | None = None,
           target_id=None, details: dict | None = None, actor_name: str | None = None) -> AuditLog:
    """Write one audit row in the session's transaction (committed, or rolled back, with the change it describes)."""
    if target is not None:
        target_type = target_type or type(target).__name__.lower()
        target_id = target_id if target_id is not None else (
            getattr(target, "code", None) or getattr(target, "identifier", None)
            or getattr(target, "username", None) or getattr(target, "id", None)
        )
    (entry,) = rows.insert(AuditLog, [{
        "action": action,
        "actor_id": getattr(actor, "id", None),
        "actor_name": actor_name or getattr(actor, "username", None),
        "ip": client_ip(),
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "details": details,
    }])
    return entry
