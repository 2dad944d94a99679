"""What a report covers: the period (month, quarter, year or from/to) and the agency scope a user may see."""
from __future__ import annotations

import calendar as pycal
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _

from ..agencies import subtree_ids
from ..errors import PermissionDenied, ValidationError
from ..extensions import db
from ..models import Agency, User
from ..timeutil import zone

PERIOD_KINDS = ("month", "quarter", "year", "custom")
FIRST_YEAR, LAST_YEAR = 2010, 2045
LONGEST_DAYS = 366 * 5


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first local day
    last: date  # last local day (inclusive)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=zone()).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=zone()).astimezone(UTC)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("Tháng %(m)02d/%(y)d", m=self.first.month, y=self.first.year)
        if self.kind == "quarter":
            return _("Quý %(q)d/%(y)d", q=(self.first.month - 1) // 3 + 1, y=self.first.year)
        if self.kind == "year":
            return _("Năm %(y)d", y=self.first.year)
        return _("Từ %(a)s đến %(b)s", a=self.first.strftime("%d/%m/%Y"), b=self.last.strftime("%d/%m/%Y"))

    def params(self) -> dict:
        """Query-string parameters that select this period again."""
        if self.kind == "custom":
            return {"kind": "custom", "from": self.first.isoformat(), "to": self.last.isoformat()}
        out = {"kind": self.kind, "year": self.first.year}
        if self.kind == "month":
            out["month"] = self.first.month
        if self.kind == "quarter":
            out["quarter"] = (self.first.month - 1) // 3 + 1
        return out


def _int(value, name: str, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(_("%(label)s không hợp lệ.", label=label), field=name) from None
    if not low <= number <= high:
        raise ValidationError(_("%(label)s phải từ %(low)d đến %(high)d.", label=label, low=low, high=high),
                              field=name)
    return number


def _date(value, name: str, label: str) -> date:
    text = str(value or "").strip()
    try:
        if "/" in text:
            d, m, y = (int(x) for x in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValidationError(_("%(label)s không hợp lệ (dd/mm/yyyy).", label=label), field=name) from None


def parse_period(args, today: date | None = None) -> Period:
    """The period chosen by query parameters: kind=month|quarter|year|custom, year, month, quarter, from, to."""
    today = today or datetime.now(zone()).date()
    kind = (args.get("kind") or "month").strip()
    if kind not in PERIOD_KINDS:
        raise ValidationError(_("Loại kỳ báo cáo không hợp lệ."), field="kind")
    if kind == "custom":
        first = _date(args.get("from"), "from", _("Ngày bắt đầu"))
        last = _date(args.get("to"), "to", _("Ngày kết thúc"))
        if last < first:
            raise ValidationError(_("Ngày kết thúc phải không sớm hơn ngày bắt đầu."), field="to")
        if (last - first).days > LONGEST_DAYS:
            raise ValidationError(_("Kỳ báo cáo không được dài quá 5 năm."), field="to")
        if first.year < FIRST_YEAR or last.year > LAST_YEAR:
            raise ValidationError(_("Kỳ báo cáo phải nằm trong các năm 2010-2045."), field="from")
        return Period("custom", first, last)
    year = _int(args.get("year") or today.year, "year", _("Năm"), FIRST_YEAR, LAST_YEAR)
    if kind == "year":
        return Period("year", date(year, 1, 1), date(year, 12, 31))
    if kind == "quarter":
        q = _int(args.get("quarter") or (today.month - 1) // 3 + 1, "quarter", _("Quý"), 1, 4)
        first = date(year, 3 * q - 2, 1)
        last_month = 3 * q
        return Period("quarter", first, date(year, last_month, pycal.monthrange(year, last_month)[1]))
    month = _int(args.get("month") or today.month, "month", _("Tháng"), 1, 12)
    return Period("month", date(year, month, 1), date(year, month, pycal.monthrange(year, month)[1]))


@dataclass
class Scope:
    """Whole province (agency None) or one agency and everything below it."""

    agency: Agency | None
    agency_ids: list[int] | None = None

    @property
    def label(self) -> str:
        return self.agency.name if self.agency else _("Toàn tỉnh")

    @property
    def identifier(self) -> str:
        return self.agency.identifier if self.agency else ""


def _agency(identifier: str) -> Agency | None:
    return db.session.execute(db.select(Agency).filter_by(identifier=identifier)).scalar_one_or_none()


def resolve_scope(user: User, identifier: str | None) -> Scope:
    """The scope a user asked for: admins anything, leaders their agency or one below it."""
    identifier = (identifier or "").strip()
    if user.role == "admin":
        if not identifier:
            return Scope(None)
        agency = _agency(identifier)
        if agency is None:
            raise ValidationError(_("Không tìm thấy cơ quan %(code)s.", code=identifier), field="agency")
        return Scope(agency, subtree_ids(agency.id))
    if user.role != "leader":
        raise PermissionDenied(_("Chỉ lãnh đạo và quản trị được xem báo cáo."))
    own = subtree_ids(user.agency_id)
    if not identifier or identifier == user.agency.identifier:
        return Scope(user.agency, own)
    agency = _agency(identifier)
    if agency is None or agency.id not in own:
        raise PermissionDenied(_("Bạn chỉ được xem báo cáo của cơ quan mình và các đơn vị trực thuộc."))
    return Scope(agency, subtree_ids(agency.id))


def scope_choices(user: User) -> list[Agency]:
    """Agencies the user may pick as a scope."""
    query = db.select(Agency).order_by(Agency.identifier)
    if user.role != "admin":
        query = query.where(Agency.id.in_(subtree_ids(user.agency_id)))
    return list(db.session.execute(query).scalars())
