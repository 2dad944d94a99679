"""The closed vocabularies of a dossier: status, channel, deadline state, step result, rating.

Each is a StrEnum whose value is the API/database string; the members carry
what the rest of the code used to look up in parallel dicts and sets (the
national sync code, the Vietnamese label, whether the dossier is still open
and whether its clock runs). This is the one module that spells the values.
"""
from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from . import i18n

# Each vocabulary's labels, registered below its class (lazy strings, translated when rendered).
_LABELS: dict[type, dict] = {}


class _Labelled(StrEnum):
    """A StrEnum whose members have a translated label."""

    @property
    def label(self) -> str:
        return i18n.label(_LABELS[type(self)][self])

    @property
    def lazy_label(self):
        """The label, translated when it is rendered (for form choices built at import time)."""
        return _LABELS[type(self)][self]

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)

    @classmethod
    def choices(cls, members=None) -> list[tuple[str, str]]:
        """(value, label) pairs for forms, in the table's order."""
        return [(m.value, m.lazy_label) for m in cls if members is None or m in members]

    @classmethod
    def parse(cls, value):
        """The member for a string, or None when it is not one of the values."""
        try:
            return cls(value)
        except (ValueError, TypeError):
            return None


class DossierStatus(_Labelled):
    SUBMITTED = "submitted"
    RECEIVED = "received"
    NOT_ACCEPTED = "not_accepted"
    PROCESSING = "processing"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    AWAITING_PAYMENT = "awaiting_payment"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESULT_READY = "result_ready"
    RETURNED = "returned"


    @property
    def code(self) -> int:
        """The national portal's status number (1-10)."""
        return _STATUS_CODES[self]

    @property
    def is_open(self) -> bool:
        """Still in the hands of the administration."""
        return self in OPEN

    @property
    def clock_runs(self) -> bool:
        """The processing clock runs (the sweep watches these)."""
        return self in CLOCK

    @property
    def is_paused(self) -> bool:
        """Waiting for the citizen (papers or payment): the clock is held."""
        return self in PAUSED

    @property
    def is_agency_work(self) -> bool:
        """Received and not finished: the work the agencies hold."""
        return self in AGENCY_WORK


S = DossierStatus
_STATUS_CODES = {s: i for i, s in enumerate(DossierStatus, start=1)}
_STATUS_LABELS = {
    S.SUBMITTED: _l("Mới đăng ký"),
    S.RECEIVED: _l("Được tiếp nhận"),
    S.NOT_ACCEPTED: _l("Không được tiếp nhận"),
    S.PROCESSING: _l("Đang xử lý"),
    S.SUPPLEMENT_REQUESTED: _l("Yêu cầu bổ sung giấy tờ"),
    S.AWAITING_PAYMENT: _l("Yêu cầu thực hiện nghĩa vụ tài chính"),
    S.WITHDRAWN: _l("Công dân yêu cầu rút hồ sơ"),
    S.STOPPED: _l("Dừng xử lý"),
    S.RESULT_READY: _l("Đã xử lý xong"),
    S.RETURNED: _l("Đã trả kết quả"),
}
_LABELS[DossierStatus] = _STATUS_LABELS
#: the processing clock runs
CLOCK = frozenset({S.RECEIVED, S.PROCESSING})
#: waiting for the citizen
PAUSED = frozenset({S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT})
#: received and not finished
AGENCY_WORK = CLOCK | PAUSED
#: still in the hands of the administration (an online submission not yet checked included)
OPEN = AGENCY_WORK | {S.SUBMITTED}
FINISHED = frozenset(DossierStatus) - OPEN


def ordered(members) -> tuple[DossierStatus, ...]:
    """Members in the table's order (stable SQL and stable lists)."""
    return tuple(s for s in DossierStatus if s in members)


def in_(column, members) -> sa.ColumnElement[bool]:
    """`column IN (...)` for a set of statuses, in a stable order."""
    return column.in_([s.value for s in ordered(members)])


class Channel(_Labelled):
    COUNTER = "counter"
    ONLINE = "online"
    POSTAL = "postal"


    @property
    def code(self) -> int:
        return _CHANNEL_CODES[self]


_CHANNEL_CODES = {Channel.COUNTER: 1, Channel.ONLINE: 2, Channel.POSTAL: 3}
_CHANNEL_LABELS = {Channel.COUNTER: _l("Trực tiếp"), Channel.ONLINE: _l("Trực tuyến"),
                   Channel.POSTAL: _l("Bưu chính công ích")}
_LABELS[Channel] = _CHANNEL_LABELS


class DeadlineState(_Labelled):
    """Derived beside the status: on_time/due_soon/overdue while open; early/on_time/late once finished."""

    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    EARLY = "early"
    LATE = "late"


    @property
    def finished_label(self) -> str:
        """The label of a finished dossier's judgement (đúng hạn rather than trong hạn)."""
        label = _FINISHED_LABELS.get(self)
        return str(label) if label is not None else self.label


_DEADLINE_LABELS = {
    DeadlineState.ON_TIME: _l("Trong hạn"),
    DeadlineState.DUE_SOON: _l("Sắp đến hạn"),
    DeadlineState.OVERDUE: _l("Quá hạn"),
    DeadlineState.EARLY: _l("Trước hạn"),
    DeadlineState.LATE: _l("Trễ hạn"),
}
_LABELS[DeadlineState] = _DEADLINE_LABELS
_FINISHED_LABELS = {DeadlineState.ON_TIME: _l("Đúng hạn"), DeadlineState.EARLY: _l("Trước hạn"),
                    DeadlineState.LATE: _l("Trễ hạn")}
#: the judgement of a finished dossier or step
FINISH_STATES = (DeadlineState.EARLY, DeadlineState.ON_TIME, DeadlineState.LATE)
OPEN_STATES = (DeadlineState.ON_TIME, DeadlineState.DUE_SOON, DeadlineState.OVERDUE)


class StepResult(_Labelled):
    """A step's judgement on the control slip."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"



_STEP_LABELS = {StepResult.EARLY: _l("Trước hạn"), StepResult.ON_TIME: _l("Đúng hạn"),
                StepResult.LATE: _l("Quá hạn")}
_LABELS[StepResult] = _STEP_LABELS


class Rating(_Labelled):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"



_RATING_LABELS = {Rating.VERY_SATISFIED: _l("Rất hài lòng"), Rating.SATISFIED: _l("Hài lòng"),
                  Rating.NOT_SATISFIED: _l("Không hài lòng")}
_LABELS[Rating] = _RATING_LABELS


class TimeUnit(_Labelled):
    """How a procedure's time limit is counted."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"



_TIME_UNIT_LABELS = {TimeUnit.WORKING_DAYS: _l("Ngày làm việc"), TimeUnit.WORKING_HOURS: _l("Giờ làm việc"),
                     TimeUnit.CALENDAR_DAYS: _l("Ngày (kể cả ngày nghỉ)")}
_LABELS[TimeUnit] = _TIME_UNIT_LABELS


class OnlineLevel(_Labelled):
    """How far a procedure is offered online (dịch vụ công trực tuyến)."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"



_ONLINE_LABELS = {OnlineLevel.FULL: _l("Toàn trình"), OnlineLevel.PARTIAL: _l("Một phần"),
                  OnlineLevel.NONE: _l("Không trực tuyến")}
_LABELS[OnlineLevel] = _ONLINE_LABELS

# -- vocabularies: Decision 766's groups (their keys are fixed by the score766 API) --


class Score766Group(StrEnum):
    TRANSPARENCY = "transparency"
    PROGRESS = "progress"
    ONLINE = "online"
    PAYMENT = "payment"
    SATISFACTION = "satisfaction"
    DIGITISATION = "digitisation"


# -- vocabularies: PAKN and portal sync (issue 15) --


class PaknKind(_Labelled):
    """What a citizen's message to the administration is (phản ánh, kiến nghị; onestop/pakn.py)."""

    COMPLAINT = "complaint"
    RECOMMENDATION = "recommendation"


_LABELS[PaknKind] = {PaknKind.COMPLAINT: _l("Phản ánh"), PaknKind.RECOMMENDATION: _l("Kiến nghị")}


class PaknStatus(_Labelled):
    """Where a PAKN stands: waiting for the agency's answer, answered, or closed."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


_LABELS[PaknStatus] = {PaknStatus.OPEN: _l("Đang xử lý"), PaknStatus.ANSWERED: _l("Đã trả lời"),
                       PaknStatus.CLOSED: _l("Đã đóng")}


class SyncState(_Labelled):
    """Where a record for the national portal stands (onestop/portal_sync.py)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    INVALID = "invalid"


_LABELS[SyncState] = {SyncState.PENDING: _l("Chờ gửi"), SyncState.SENT: _l("Đã đồng bộ"),
                      SyncState.FAILED: _l("Gửi lỗi"), SyncState.INVALID: _l("Thiếu dữ liệu, không gửi")}


# -- vocabularies: online public services (issue 16) --


class SignatureCheck(_Labelled):
    """What verifying a signed PDF found (onestop/signing.py, the public verification page)."""

    VALID = "valid"
    TAMPERED = "tampered"
    MODIFIED = "modified"
    UNKNOWN_SIGNER = "unknown_signer"
    NO_SIGNATURE = "no_signature"
    UNREADABLE = "unreadable"


_SIGNATURE_CHECK_LABELS = {
    SignatureCheck.VALID: _l("Hợp lệ"),
    SignatureCheck.TAMPERED: _l("Không hợp lệ: nội dung tệp đã bị thay đổi sau khi ký"),
    SignatureCheck.MODIFIED: _l("Không hợp lệ: tệp đã bị sửa đổi, bổ sung sau khi ký"),
    SignatureCheck.UNKNOWN_SIGNER: _l("Không hợp lệ: chữ ký không do cơ quan nhà nước của tỉnh cấp "
                                      "(chứng thư số không được tin cậy)"),
    SignatureCheck.NO_SIGNATURE: _l("Không hợp lệ: tệp không có chữ ký số"),
    SignatureCheck.UNREADABLE: _l("Không hợp lệ: không đọc được tệp PDF (tệp bị hỏng hoặc đã bị sửa đổi)"),
}
_LABELS[SignatureCheck] = _SIGNATURE_CHECK_LABELS


# -- vocabularies: integrity (issue 20) --


class LeadKind(_Labelled):
    """What a broker lead is about (onestop/integrity.py): a lead for a person to look at, never a verdict."""

    SHARED_PHONE = "shared_phone"
    SHARED_EMAIL = "shared_email"
    ONLINE_CONTACT = "online_contact"
    COLLECTOR = "collector"
    NOTICE_CONTACT = "notice_contact"
    MONEY_ASKED = "money_asked"
    CAME_AGAIN = "came_again"


_LABELS[LeadKind] = {
    LeadKind.SHARED_PHONE: _l("Một số điện thoại đứng sau hồ sơ của nhiều người"),
    LeadKind.SHARED_EMAIL: _l("Một địa chỉ email đứng sau hồ sơ của nhiều người"),
    LeadKind.ONLINE_CONTACT: _l("Một liên hệ nộp trực tuyến hồ sơ của nhiều người"),
    LeadKind.COLLECTOR: _l("Một người nhận kết quả thay cho nhiều người"),
    LeadKind.NOTICE_CONTACT: _l("Thông báo gửi tới địa chỉ không phải của người nộp"),
    LeadKind.MONEY_ASKED: _l("Người dân cho biết bị đòi tiền hoặc được gợi ý làm nhanh"),
    LeadKind.CAME_AGAIN: _l("Người dân phải đi lại nhiều lần"),
}


# -- vocabularies: queue tickets (issue 21) --


class TicketState(_Labelled):
    """Where a queue number stands on the centre's floor (onestop/queue.py)."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    SKIPPED = "skipped"
    TRANSFERRED = "transferred"  # waiting again, at the counter it was sent to


_TICKET_STATE_LABELS = {
    TicketState.WAITING: _l("Đang chờ"), TicketState.CALLED: _l("Đã gọi"),
    TicketState.SERVING: _l("Đang phục vụ"), TicketState.DONE: _l("Đã xong"),
    TicketState.SKIPPED: _l("Đã bỏ qua"), TicketState.TRANSFERRED: _l("Chuyển quầy, đang chờ"),
}
_LABELS[TicketState] = _TICKET_STATE_LABELS



class EnumString(sa.types.TypeDecorator):
    """A string column that gives back members of its StrEnum (unknown strings stay strings)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int = 24):
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value

    def copy(self, **kw):
        return EnumString(self.enum, self.impl.length)
