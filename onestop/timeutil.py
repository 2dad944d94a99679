"""Time zone helpers: everything is stored in UTC and shown in the configured zone."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def zone() -> ZoneInfo:
    """The zone deadlines are computed in (ONESTOP_TIMEZONE)."""
    name = DEFAULT_ZONE
    if has_app_context():
        name = current_app.config.get("ONESTOP_TIMEZONE", DEFAULT_ZONE)
    return ZoneInfo(name)


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)


def local(dt: datetime | None) -> datetime | None:
    """The moment in the configured zone."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone())


def parse_iso(value: str) -> datetime:
    """Parse ISO-8601; a moment without offset is taken as local time. Raises ValueError."""
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=zone())
        return dt.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"moment out of range: {value}") from None


def iso(dt: datetime | None) -> str | None:
    """ISO-8601 in local time with its offset, e.g. 2026-11-21T09:30:00+07:00."""
    if dt is None:
        return None
    return local(dt).replace(microsecond=0).isoformat()


def fmt_date(dt) -> str:
    if dt is None:
        return ""
    if isinstance(dt, datetime):
        dt = local(dt)
    return dt.strftime("%d/%m/%Y")


def fmt_datetime(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return local(dt).strftime("%H:%M %d/%m/%Y")
