"""The audit log in sentences staff understand, instead of action codes and JSON.

`describe(row, names)` turns one audit row into a sentence ("Nguyễn Văn A chuyển
hồ sơ … sang Sở Tài nguyên và Môi trường"), the changes it made as rows
"Field: before → after", and the facts worth knowing beside it (the note, the
channel). `describe_rows(rows)` does that for a page of rows, looking up in a
few queries the names the sentences use in place of ids and codes: who acted,
which agency, where a dossier was forwarded to. Everything is translated
through Flask-Babel, so it needs an application context.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .extensions import db
from .models import ACTION_LABELS, AGENCY_KINDS, ROLE_LABELS, Agency, AuditLog, Dossier, DossierEvent, User
from .status import Channel, DossierStatus, Rating
from .templating import money
from .timeutil import fmt_date

# Filter choices for the audit page: an action code or the prefix of a family of them.
ACTION_GROUPS: tuple[tuple[str, object], ...] = (
    ("auth.", _l("Đăng nhập, đăng xuất")),
    ("auth.login_failed", _l("Đăng nhập không thành công")),
    ("dossier.", _l("Xử lý hồ sơ")),
    ("admin.agency", _l("Cơ quan")),
    ("admin.user", _l("Tài khoản cán bộ")),
    ("admin.token", _l("Mã truy cập API")),
    ("admin.procedure", _l("Thủ tục hành chính")),
    ("admin.calendar", _l("Lịch làm việc")),
    ("settings.", _l("Thiết lập quy định")),
    ("report.", _l("Xuất báo cáo")),
    ("register.", _l("Xuất sổ theo dõi hồ sơ")),
    ("province.", _l("Giao diện cổng của tỉnh")),
    ("queue.", _l("Quầy tiếp nhận")),
    ("pakn.", _l("Phản ánh, kiến nghị")),
    ("integrity.", _l("Dấu hiệu cò mồi")),
)


@dataclass(frozen=True)
class Change:
    """One field an action changed: "label: before → after"."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Fact:
    """Something worth knowing beside the sentence: "label: value"."""

    label: str
    value: str


@dataclass(frozen=True)
class Description:
    sentence: str
    changes: list[Change] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


@dataclass
class Names:
    """Names the sentences use in place of ids and codes, looked up once per page."""

    actors: dict[int, str] = field(default_factory=dict)       # user id -> full name
    agencies: dict[str, str] = field(default_factory=dict)     # identifier -> name
    forwarded_to: dict[int, str] = field(default_factory=dict)  # audit row id -> name of the receiving agency

    def agency(self, identifier) -> str:
        if not identifier:
            return _("(trống)")
        return self.agencies.get(identifier, identifier)


# -- who -------------------------------------------------------------------------------------


def actor(row, names: Names) -> str:
    """Who acted, as people call them: the full name, "Công dân", the command line or the system."""
    if row.actor_id is not None and row.actor_id in names.actors:
        return names.actors[row.actor_id]
    if row.actor_name == "citizen":
        return _("Công dân")
    if row.actor_name == "cli":
        return _("Quản trị viên (dòng lệnh)")
    return row.actor_name or _("Hệ thống")


# -- values ----------------------------------------------------------------------------------


def _blank() -> str:
    return _("(trống)")


def _yes_no(value) -> str:
    return _("có") if value else _("không")


def _plain(value) -> str:
    """Any stored value as a reader sees it (no JSON punctuation)."""
    if value is None or value == "" or value == []:
        return _blank()
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, list):
        return "; ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _label_in(labels: dict, value) -> str:
    if value is None or value == "":
        return _blank()
    return str(labels.get(value, value))


def _documents(value, names: Names) -> str:
    if not isinstance(value, list) or not value:
        return _plain(value)
    return "; ".join(
        _("%(name)s (%(originals)s bản chính, %(copies)s bản sao)", name=d.get("name"),
          originals=d.get("originals", 0), copies=d.get("copies", 0)) if isinstance(d, dict) else _plain(d)
        for d in value)


def _route(value, names: Names) -> str:
    if not isinstance(value, list) or not value:
        return _plain(value)
    return " → ".join(
        f"{names.agency(s.get('agency'))} ({s.get('time')})" if isinstance(s, dict) else _plain(s) for s in value)


def _time_unit(value, names: Names) -> str:
    return _label_in({"working_days": _l("ngày làm việc"), "working_hours": _l("giờ làm việc")}, value)


def _clock(value, names: Names) -> str:
    return _label_in({"restart": _l("Tính lại thời hạn từ đầu"), "pause": _l("Tạm dừng, cộng thêm thời gian chờ")},
                     value)


def _calendar_kind(value, names: Names) -> str:
    return _label_in({"off": _l("Ngày nghỉ"), "work": _l("Ngày làm việc (làm bù)")}, value)


def _active(on, off):
    def show(value, names: Names) -> str:
        return str(on) if value else str(off)
    return show


def _money(value, names: Names) -> str:
    try:
        return money(int(value))
    except (TypeError, ValueError):
        return _plain(value)


def _agency_value(value, names: Names) -> str:
    return names.agency(value)


def _labelled(labels):
    def show(value, names: Names) -> str:
        return _label_in(labels, value)
    return show


def _plain_value(value, names: Names) -> str:
    return _plain(value)


# Per kind of target: key -> (label, how its value reads). Keys not listed show as stored.
_FIELDS: dict[str, dict[str, tuple]] = {
    "agency": {
        "identifier": (_l("Mã định danh"), _plain_value),
        "name": (_l("Tên cơ quan"), _plain_value),
        "kind": (_l("Loại cơ quan"), _labelled(AGENCY_KINDS)),
        "parent": (_l("Cơ quan cấp trên"), _agency_value),
        "address": (_l("Địa chỉ"), _plain_value),
        "phone": (_l("Điện thoại"), _plain_value),
        "active": (_l("Trạng thái"), _active(_l("Đang hoạt động"), _l("Đã ngừng hoạt động"))),
    },
    "user": {
        "username": (_l("Tên đăng nhập"), _plain_value),
        "full_name": (_l("Họ và tên"), _plain_value),
        "email": (_l("Email"), _plain_value),
        "role": (_l("Vai trò"), _labelled(ROLE_LABELS)),
        "agency": (_l("Cơ quan"), _agency_value),
        "active": (_l("Trạng thái"), _active(_l("Đang hoạt động"), _l("Đã vô hiệu hóa"))),
        "locked": (_l("Tạm khóa đăng nhập"), lambda v, n: _yes_no(v)),
    },
    "apitoken": {
        "user": (_l("Tài khoản"), _plain_value),
        "prefix": (_l("Tiền tố"), _plain_value),
        "name": (_l("Ghi chú"), _plain_value),
        "revoked": (_l("Đã thu hồi"), lambda v, n: _yes_no(v)),
    },
    "procedure": {
        "code": (_l("Mã thủ tục"), _plain_value),
        "name": (_l("Tên thủ tục"), _plain_value),
        "field": (_l("Lĩnh vực"), _plain_value),
        "time_limit": (_l("Thời hạn giải quyết"), _plain_value),
        "time_unit": (_l("Đơn vị thời gian"), _time_unit),
        "same_day": (_l("Giải quyết trong ngày"), lambda v, n: _yes_no(v)),
        "fee": (_l("Lệ phí"), _money),
        "receiving_agency": (_l("Cơ quan tiếp nhận"), _agency_value),
        "clock_on_supplement": (_l("Khi yêu cầu bổ sung"), _clock),
        "result_location": (_l("Nơi trả kết quả"), _plain_value),
        "documents": (_l("Thành phần hồ sơ"), _documents),
        "route": (_l("Quy trình"), _route),
        "active": (_l("Trạng thái"), _active(_l("Đang áp dụng"), _l("Đã ngừng áp dụng"))),
    },
    "queue_counter": {
        "agency": (_l("Bộ phận"), _agency_value),
        "number": (_l("Số quầy"), _plain_value),
        "name": (_l("Tên quầy"), _plain_value),
        "fields": (_l("Lĩnh vực phục vụ"), _plain_value),
        "active": (_l("Trạng thái"), _active(_l("Đang sử dụng"), _l("Không sử dụng"))),
    },
    "province_face": {
        "name": (_l("Tên tỉnh, thành phố"), _plain_value),
        "banner_color": (_l("Màu nền dải tiêu đề"), _plain_value),
        "address": (_l("Địa chỉ"), _plain_value),
        "hotline": (_l("Đường dây nóng"), _plain_value),
        "working_hours": (_l("Giờ làm việc"), _plain_value),
        "emblem": (_l("Ảnh biểu trưng"), lambda v, n: _("đã thay đổi")),
    },
    "calendar": {
        "kind": (_l("Điều chỉnh"), _calendar_kind),
        "reason": (_l("Lý do"), _plain_value),
    },
}


# What the sentence already names, so the list of a new record's fields leaves it out.
_IN_SENTENCE = {"agency": {"identifier", "name"}, "user": {"username"}, "apitoken": {"user", "prefix"},
                "procedure": {"code", "name"}}


def _show(kind: str, key: str, value, names: Names) -> tuple[str, str]:
    label, show = _FIELDS.get(kind, {}).get(key, (key, _plain_value))
    if value is None or value == "":
        return str(label), _blank()
    return str(label), show(value, names)


def changes(kind: str, details, names: Names) -> list[Change]:
    """The fields whose value differs between details["before"] and details["after"], readable."""
    if not isinstance(details, dict):
        return []
    before, after = details.get("before"), details.get("after")
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        if before.get(key) == after.get(key):
            continue
        label, old = _show(kind, key, before.get(key), names)
        _label, new = _show(kind, key, after.get(key), names)
        rows.append(Change(label, old, new))
    return rows


# -- sentences -------------------------------------------------------------------------------

_SENTENCES = {
    "auth.login": _l("%(actor)s đăng nhập"),
    "auth.logout": _l("%(actor)s đăng xuất"),
    "auth.login_locked": _l("%(actor)s đăng nhập khi tài khoản đang bị tạm khóa"),
    "auth.password_change": _l("%(actor)s đổi mật khẩu đăng nhập của mình"),
    "auth.password_change_failed": _l("%(actor)s nhập sai mật khẩu hiện tại khi đổi mật khẩu"),
    "admin.agency_create": _l("%(actor)s thêm cơ quan %(agency)s"),
    "admin.agency_update": _l("%(actor)s sửa thông tin cơ quan %(agency)s"),
    "admin.user_create": _l("%(actor)s tạo tài khoản cho người dùng %(username)s"),
    "admin.user_update": _l("%(actor)s sửa thông tin người dùng %(username)s"),
    "admin.user_activate": _l("%(actor)s kích hoạt lại tài khoản của người dùng %(username)s"),
    "admin.user_deactivate": _l("%(actor)s vô hiệu hóa tài khoản của người dùng %(username)s"),
    "admin.user_reset_password": _l("%(actor)s đặt lại mật khẩu của người dùng %(username)s"),
    "admin.user_unlock": _l("%(actor)s mở khóa đăng nhập cho người dùng %(username)s"),
    "admin.token_create": _l("%(actor)s cấp mã truy cập API %(prefix)s… cho người dùng %(username)s"),
    "admin.token_revoke": _l("%(actor)s thu hồi mã truy cập API %(prefix)s… của người dùng %(username)s"),
    "admin.procedure_create": _l("%(actor)s thêm thủ tục %(procedure)s"),
    "admin.procedure_update": _l("%(actor)s sửa thủ tục %(procedure)s"),
    "admin.procedure_activate": _l("%(actor)s áp dụng lại thủ tục %(procedure)s"),
    "admin.procedure_deactivate": _l("%(actor)s ngừng áp dụng thủ tục %(procedure)s"),
    "admin.procedure_delete": _l("%(actor)s xóa thủ tục %(procedure)s"),
}

_DOSSIER_SENTENCES = {
    "intake": _l("%(actor)s tiếp nhận hồ sơ %(code)s"),
    "accept": _l("%(actor)s tiếp nhận hồ sơ %(code)s"),
    "submit": _l("%(actor)s đăng ký hồ sơ %(code)s, chờ kiểm tra để tiếp nhận"),
    "refuse": _l("%(actor)s từ chối tiếp nhận hồ sơ %(code)s"),
    "request_supplement": _l("%(actor)s yêu cầu bổ sung hồ sơ %(code)s"),
    "supplement_received": _l("%(actor)s nhận giấy tờ bổ sung của hồ sơ %(code)s"),
    "request_payment": _l("%(actor)s yêu cầu thực hiện nghĩa vụ tài chính cho hồ sơ %(code)s"),
    "payment_received": _l("%(actor)s xác nhận đã thực hiện nghĩa vụ tài chính cho hồ sơ %(code)s"),
    "stop": _l("%(actor)s dừng xử lý hồ sơ %(code)s"),
    "complete": _l("%(actor)s hoàn thành xử lý hồ sơ %(code)s, chuyển trả kết quả"),
    "return": _l("%(actor)s trả kết quả hồ sơ %(code)s"),
    "withdraw": _l("%(actor)s ghi nhận công dân rút hồ sơ %(code)s"),
    "apologize": _l("%(actor)s lập phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ %(code)s"),
    "reassign": _l("%(actor)s phân công xử lý hồ sơ %(code)s"),
    "ask_completion": _l("%(actor)s yêu cầu công dân hoàn thiện hồ sơ trực tuyến %(code)s"),
    "online_completion": _l("%(actor)s hoàn thiện hồ sơ trực tuyến %(code)s"),
    "online_supplement": _l("%(actor)s nộp bổ sung trực tuyến cho hồ sơ %(code)s"),
}

_LOGIN_FAILURES = {
    "wrong password": _l("%(actor)s đăng nhập không thành công: sai mật khẩu"),
    "inactive": _l("%(actor)s đăng nhập không thành công: tài khoản đã bị vô hiệu hóa"),
}

def _after_or_before(details) -> dict:
    """The state the row describes: after a change, or before a deletion."""
    if not isinstance(details, dict):
        return {}
    for key in ("after", "before"):
        if isinstance(details.get(key), dict):
            return details[key]
    return {}


def _agency_phrase(row, state: dict) -> str:
    name = state.get("name")
    return f"{name} ({row.target_id})" if name else str(row.target_id or "")


def _procedure_phrase(row, state: dict) -> str:
    name = state.get("name")
    return f"{row.target_id} – {name}" if name else str(row.target_id or "")


def _dossier(row, who: str, names: Names) -> Description:
    action = row.action.split(".", 1)[1]
    details = row.details if isinstance(row.details, dict) else {}
    code = row.target_id or ""
    facts: list[Fact] = []
    if action == "forward":
        agency = names.forwarded_to.get(row.id)
        sentence = (_("%(actor)s chuyển hồ sơ %(code)s sang %(agency)s", actor=who, code=code, agency=agency)
                    if agency else _("%(actor)s chuyển hồ sơ %(code)s sang bước xử lý tiếp theo", actor=who, code=code))
    elif action == "attach":
        sentence = _("%(actor)s đính kèm tệp “%(name)s” vào hồ sơ %(code)s", actor=who,
                     name=details.get("name") or "", code=code)
    elif action in ("contact_code", "contact_confirmed"):
        contact = details.get("contact") or ""
        sentence = (_("%(actor)s gửi mã xác nhận tới %(contact)s, liên hệ ghi trên hồ sơ %(code)s", actor=who,
                      contact=contact, code=code) if action == "contact_code" else
                    _("%(actor)s xác nhận %(contact)s là liên hệ của chính người nộp hồ sơ %(code)s", actor=who,
                      contact=contact, code=code))
    elif action == "feedback":
        rating = Rating.parse(details.get("rating"))
        sentence = _("%(actor)s đánh giá hồ sơ %(code)s: %(rating)s", actor=who, code=code,
                     rating=rating.label if rating else _plain(details.get("rating")))
    elif action in _DOSSIER_SENTENCES:
        sentence = str(_DOSSIER_SENTENCES[action]) % {"actor": who, "code": code}
    else:
        sentence = _("%(actor)s: %(action)s – hồ sơ %(code)s", actor=who, code=code,
                     action=str(ACTION_LABELS.get(action, action)))
    if details.get("procedure"):
        facts.append(Fact(_("Thủ tục"), str(details["procedure"])))
    channel = Channel.parse(details.get("channel"))
    if channel is not None:
        facts.append(Fact(_("Kênh tiếp nhận"), channel.label))
    status_changes = []
    before, after = DossierStatus.parse(details.get("status_from")), DossierStatus.parse(details.get("status_to"))
    if before is not None and after is not None and before != after:
        status_changes.append(Change(_("Trạng thái"), before.label, after.label))
    if details.get("note"):
        facts.append(Fact(_("Ghi chú"), event_note(_Note(action, str(details["note"])))))
    return Description(sentence, status_changes, facts)


@dataclass(frozen=True)
class _Note:
    action: str
    note: str


def _calendar(row, who: str, names: Names) -> Description:
    details = row.details if isinstance(row.details, dict) else {}
    try:
        day = fmt_date(date.fromisoformat(row.target_id or ""))
    except ValueError:
        day = row.target_id or ""
    after = details.get("after") if isinstance(details.get("after"), dict) else None
    kind = after.get("kind") if after else None
    if kind == "off":
        sentence = _("%(actor)s đặt ngày %(day)s là ngày nghỉ", actor=who, day=day)
    elif kind == "work":
        sentence = _("%(actor)s đặt ngày %(day)s là ngày làm việc (làm bù)", actor=who, day=day)
    else:
        sentence = _("%(actor)s bỏ điều chỉnh ngày %(day)s, trở lại lịch mặc định", actor=who, day=day)
    return Description(sentence, changes("calendar", details, names))


def _import(row, who: str, names: Names) -> Description:
    details = row.details if isinstance(row.details, dict) else {}
    summary = details.get("after") if isinstance(details.get("after"), dict) else {}
    sentence = _("%(actor)s nhập danh mục thủ tục từ tệp %(file)s: %(created)s thủ tục mới, %(updated)s cập nhật, "
                 "%(unchanged)s không đổi", actor=who, file=row.target_id or "",
                 created=summary.get("created", 0), updated=summary.get("updated", 0),
                 unchanged=summary.get("unchanged", 0))
    facts = [Fact(label, ", ".join(map(str, details[key])))
             for key, label in (("created", _("Thủ tục mới")), ("updated", _("Thủ tục cập nhật")))
             if details.get(key)]
    return Description(sentence, facts=facts)


def _register(row, who: str, names: Names) -> Description:
    details = row.details if isinstance(row.details, dict) else {}
    agency, _sep, year = (row.target_id or "").partition("/")
    sentence = _("%(actor)s xuất sổ theo dõi hồ sơ năm %(year)s của %(agency)s (XLSX)", actor=who, year=year,
                 agency=names.agency(agency))
    facts = []
    if details.get("procedure"):
        facts.append(Fact(_("Thủ tục"), str(details["procedure"])))
    status = DossierStatus.parse(details.get("status"))
    if status is not None:
        facts.append(Fact(_("Trạng thái"), status.label))
    return Description(sentence, facts=facts)


def _report(row, who: str, names: Names) -> Description:
    details = row.details if isinstance(row.details, dict) else {}
    sentence = _("%(actor)s xuất báo cáo (%(format)s)", actor=who, format=str(details.get("format") or "").upper())
    facts = [Fact(_("Phạm vi"), names.agency(details["scope"]) if details.get("scope") else _("Toàn tỉnh"))]
    period = details.get("period") if isinstance(details.get("period"), dict) else {}
    if period.get("from") and period.get("to"):
        try:
            facts.append(Fact(_("Kỳ báo cáo"), f"{fmt_date(date.fromisoformat(period['from']))} – "
                                              f"{fmt_date(date.fromisoformat(period['to']))}"))
        except (TypeError, ValueError):
            pass
    elif period.get("year"):
        if period.get("month"):
            text = _("Tháng %(month)s/%(year)s", month=period["month"], year=period["year"])
        elif period.get("quarter"):
            text = _("Quý %(quarter)s/%(year)s", quarter=period["quarter"], year=period["year"])
        else:
            text = _("Năm %(year)s", year=period["year"])
        facts.append(Fact(_("Kỳ báo cáo"), text))
    return Description(sentence, facts=facts)


def _settings(row, who: str, names: Names) -> Description:
    from . import settings

    details = row.details if isinstance(row.details, dict) else {}
    rows = []
    for key, change in (details.get("changes") or {}).items():
        rule = settings.BY_KEY.get(key)
        change = change if isinstance(change, dict) else {}
        rows.append(Change(str(rule.label) if rule else key, _plain(change.get("from")), _plain(change.get("to"))))
    return Description(_("%(actor)s thay đổi thiết lập quy định của tỉnh", actor=who), rows)


def _province_face(row, who: str, names: Names) -> Description:
    details = row.details if isinstance(row.details, dict) else {}
    facts = [Fact(*_show("province_face", key, value, names)) for key, value in details.items()]
    return Description(_("%(actor)s thay đổi giao diện cổng của tỉnh (đầu trang, chân trang)", actor=who),
                       facts=facts)


def _counter(row, who: str, names: Names) -> Description:
    details = row.details if isinstance(row.details, dict) else {}
    state = _after_or_before(details)
    values = {"actor": who, "number": state.get("number") or "", "agency": names.agency(state.get("agency"))}
    if row.action == "queue.counter_created":
        facts = [Fact(*_show("queue_counter", key, value, names)) for key, value in state.items()
                 if key not in ("number", "agency") and value not in (None, "", [])]
        return Description(_("%(actor)s thêm quầy số %(number)s của %(agency)s", **values), facts=facts)
    return Description(_("%(actor)s sửa quầy số %(number)s của %(agency)s", **values),
                       changes("queue_counter", details, names))


def _integrity_review(row, who: str, names: Names) -> Description:
    from .status import LeadKind

    details = row.details if isinstance(row.details, dict) else {}
    kind = LeadKind.parse(details.get("kind"))
    sentence = _("%(actor)s ghi kết quả xem xét dấu hiệu “%(kind)s”", actor=who,
                 kind=kind.label if kind else _plain(details.get("kind")))
    facts = [Fact(_("Đối tượng"), str(details["key"]))] if details.get("key") else []
    if details.get("note"):
        facts.append(Fact(_("Kết quả xem xét"), str(details["note"])))
    return Description(sentence, facts=facts)


def _pakn(row, who: str, names: Names) -> Description:
    from .status import PaknKind

    details = row.details if isinstance(row.details, dict) else {}
    code = row.target_id or ""
    if row.action == "pakn.answer":
        return Description(_("%(actor)s trả lời phản ánh, kiến nghị %(code)s", actor=who, code=code),
                           facts=[Fact(_("Trả lời sau hạn"), _yes_no(details.get("late")))])
    kind = PaknKind.parse(details.get("kind"))
    sentence = _("%(actor)s gửi %(kind)s %(code)s tới %(agency)s", actor=who, code=code,
                 kind=str(kind.label).lower() if kind else _("phản ánh, kiến nghị"),
                 agency=names.agency(details.get("agency")))
    facts = [Fact(_("Hồ sơ liên quan"), str(details["dossier"]))] if details.get("dossier") else []
    return Description(sentence, facts=facts)


def _blank_form(row, who: str, names: Names) -> Description:
    details = row.details if isinstance(row.details, dict) else {}
    sentence = _("%(actor)s đăng mẫu đơn, tờ khai “%(document)s” của thủ tục %(procedure)s", actor=who,
                 document=details.get("document") or "", procedure=row.target_id or "")
    facts = [Fact(_("Tệp"), str(details["name"]))] if details.get("name") else []
    return Description(sentence, facts=facts)


def _login_failed(row, who: str, names: Names) -> Description:
    reason = row.details.get("reason") if isinstance(row.details, dict) else None
    if reason == "unknown user":
        sentence = _("Đăng nhập không thành công với tên đăng nhập “%(name)s”: không có tài khoản này",
                     name=row.actor_name or "")
    elif reason in _LOGIN_FAILURES:
        sentence = str(_LOGIN_FAILURES[reason]) % {"actor": who}
    else:
        sentence = _("%(actor)s đăng nhập không thành công", actor=who)
    return Description(sentence)


_SPECIAL = {
    "auth.login_failed": _login_failed,
    "admin.calendar_set": _calendar,
    "admin.procedures_import": _import,
    "register.export": _register,
    "report.export": _report,
    "settings.update": _settings,
    "province.face": _province_face,
    "queue.counter_created": _counter,
    "queue.counter_saved": _counter,
    "integrity.review": _integrity_review,
    "pakn.file": _pakn,
    "pakn.answer": _pakn,
    "admin.blank_form": _blank_form,
}


def describe(row, names: Names | None = None) -> Description:
    """One audit row as a sentence, its changes and its facts."""
    names = names or Names()
    who = actor(row, names)
    action = row.action or ""
    if action in _SPECIAL:
        return _SPECIAL[action](row, who, names)
    if action.startswith("dossier."):
        return _dossier(row, who, names)
    details = row.details if isinstance(row.details, dict) else {}
    if action not in _SENTENCES:
        return Description(f"{who}: {action}", facts=[Fact(_("Chi tiết"), _plain(details))] if details else [])
    state = _after_or_before(details)
    username = row.target_id
    if action.startswith("admin.token_"):
        username = state.get("user") or (row.target_id if row.target_type == "user" else "")
    sentence = str(_SENTENCES[action]) % {
        "actor": who, "username": username or "", "prefix": state.get("prefix") or details.get("prefix") or "",
        "agency": _agency_phrase(row, state), "procedure": _procedure_phrase(row, state),
    }
    kind = row.target_type or ""
    if action.endswith(("_create", "_delete")):  # a whole record, not a change: what it held
        said = _IN_SENTENCE.get(kind, set())
        facts = [Fact(*_show(kind, key, value, names)) for key, value in state.items()
                 if key not in said and value not in (None, "", []) and value is not False]
        return Description(sentence, facts=facts)
    return Description(sentence, changes(kind, details, names))


# -- a page of rows --------------------------------------------------------------------------

_AGENCY_KEYS = ("parent", "agency", "receiving_agency")


def _agency_identifiers(row) -> set[str]:
    found: set[str] = set()
    details = row.details if isinstance(row.details, dict) else {}
    for state in (details.get("before"), details.get("after")):
        if not isinstance(state, dict):
            continue
        found.update(state[k] for k in _AGENCY_KEYS if isinstance(state.get(k), str))
        for step in state.get("route") or []:
            if isinstance(step, dict) and isinstance(step.get("agency"), str):
                found.add(step["agency"])
    if row.action == "register.export" and row.target_id:
        found.add(row.target_id.partition("/")[0])
    if row.action == "report.export" and isinstance(details.get("scope"), str):
        found.add(details["scope"])
    if row.action == "pakn.file" and isinstance(details.get("agency"), str):
        found.add(details["agency"])
    return found


def _forward_targets(rows: list) -> dict[int, str]:
    """Where each forwarding on the page sent the dossier.

    The audit row and the dossier's history event are written together, one
    each per forwarding, so the n-th forwarding audited for a dossier is its
    n-th forward event. Dossiers whose history and audit rows do not pair up
    (bulk-generated demo data has no audit rows) are left without a destination.
    """
    codes = {r.target_id for r in rows if r.action == "dossier.forward" and r.target_id}
    if not codes:
        return {}
    events: dict[str, list[str]] = {}
    for code, name in db.session.execute(
            sa.select(Dossier.code, Agency.name)
            .join(DossierEvent, DossierEvent.dossier_id == Dossier.id)
            .join(Agency, Agency.id == DossierEvent.to_agency_id)
            .where(Dossier.code.in_(codes), DossierEvent.action == "forward")
            .order_by(DossierEvent.id)):
        events.setdefault(code, []).append(name)
    audited: dict[str, list[int]] = {}
    for audit_id, code in db.session.execute(
            sa.select(AuditLog.id, AuditLog.target_id)
            .where(AuditLog.action == "dossier.forward", AuditLog.target_id.in_(codes))
            .order_by(AuditLog.id)):
        audited.setdefault(code, []).append(audit_id)
    found = {}
    for code, ids in audited.items():
        if len(ids) == len(events.get(code, [])):
            found.update(zip(ids, events[code], strict=True))
    return found


def names_for(rows: Iterable) -> Names:
    """The names a page of audit rows needs, in three or four small queries."""
    rows = list(rows)
    actor_ids = {r.actor_id for r in rows if r.actor_id is not None}
    identifiers = set().union(*(_agency_identifiers(r) for r in rows)) if rows else set()
    names = Names()
    if actor_ids:
        names.actors = dict(db.session.execute(
            sa.select(User.id, User.full_name).where(User.id.in_(actor_ids))).all())
    if identifiers:
        names.agencies = dict(db.session.execute(
            sa.select(Agency.identifier, Agency.name).where(Agency.identifier.in_(identifiers))).all())
    names.forwarded_to = _forward_targets(rows)
    return names


def describe_rows(rows: Iterable) -> list[Description]:
    """A page of audit rows described, in the same order."""
    rows = list(rows)
    names = names_for(rows)
    return [describe(row, names) for row in rows]


# -- notes the system writes itself ----------------------------------------------------------

_SYSTEM_NOTES = {
    # action: (the stored Vietnamese note, as a pattern; how it reads in the reader's language)
    "intake": (r"Hẹn trả kết quả: (?P<at>.+)", _l("Hẹn trả kết quả: %(at)s")),
    "submit": (r"Hẹn trả kết quả: (?P<at>.+)", _l("Hẹn trả kết quả: %(at)s")),
    "accept": (r"Hẹn trả kết quả: (?P<at>.+)", _l("Hẹn trả kết quả: %(at)s")),
    "payment_received": (r"Hẹn trả: (?P<at>.+)", _l("Hẹn trả: %(at)s")),
    "request_payment": (r"Số tiền: (?P<amount>[\d.]+) đồng", _l("Số tiền: %(amount)s")),
    "return": (r"Người nhận: (?P<name>.+)", _l("Người nhận: %(name)s")),
    "reassign": (r"Phân công cho (?P<name>.+)", _l("Phân công cho %(name)s")),
}


def event_note(event) -> str:
    """A history event's note as the reader reads it.

    The workflow stores the notes it writes itself ("Hẹn trả kết quả: 05/12/2026 10:00") in Vietnamese, the
    legal record's language; they are shown in the reader's language. A person's own note is shown as typed.
    """
    note = getattr(event, "note", None) or ""
    known = _SYSTEM_NOTES.get(getattr(event, "action", None))
    if not note or known is None:
        return note
    pattern, text = known
    found = re.fullmatch(pattern, note, flags=re.DOTALL)
    if found is None:
        return note
    values = found.groupdict()
    if "amount" in values:
        values["amount"] = money(int(values["amount"].replace(".", "")))
    return str(text) % values
