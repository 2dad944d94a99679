"""A province's settings for the rules where the law leaves a choice (defaults from DOMAIN.md).

Each rule has a default, a range and a label; a province's choice is one row of
`settings`. Reads are cached per process for a short while (like the calendar)
and dropped when an admin changes a value here, so every worker sees a change
within CACHE_SECONDS.
"""
from __future__ import annotations

import threading
import time as _time
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from . import audit
from .errors import ValidationError
from .extensions import db
from .models import Setting, User
from .timeutil import now as utcnow

CACHE_SECONDS = 30


@dataclass(frozen=True)
class Rule:
    key: str
    label: object
    help: object
    default: int
    minimum: int
    maximum: int


RULES: tuple[Rule, ...] = (
    Rule("supplement_window_days", _l("Thời hạn yêu cầu bổ sung (ngày làm việc)"),
         _l("Cơ quan chỉ được yêu cầu bổ sung hồ sơ trong số ngày làm việc này kể từ khi nhận hồ sơ."), 3, 1, 30),
    Rule("supplement_max_requests", _l("Số lần yêu cầu bổ sung tối đa"),
         _l("Mặc định một lần, với danh sách đầy đủ giấy tờ cần bổ sung."), 1, 1, 5),
    Rule("supplement_reply_days", _l("Thời hạn công dân bổ sung (ngày làm việc)"),
         _l("Quá thời hạn này hồ sơ được đánh dấu để cơ quan xem xét trả lại hoặc dừng xử lý."), 10, 1, 90),
    Rule("apology_min_days", _l("Lập phiếu xin lỗi trước hạn ít nhất (ngày làm việc)"),
         _l("Phiếu xin lỗi và hẹn lại phải được lập trước ngày hẹn trả ít nhất số ngày làm việc này."), 1, 0, 10),
    Rule("apology_max_days", _l("Hẹn lại chậm nhất (ngày làm việc sau hẹn cũ)"),
         _l("Ngày hẹn mới không được muộn hơn ngày hẹn cũ quá số ngày làm việc này."), 15, 1, 120),
    Rule("apology_warning_days", _l("Cảnh báo cần xin lỗi trước hạn (ngày làm việc)"),
         _l("Hệ thống nhắc cơ quan đang giữ hồ sơ và soạn sẵn phiếu xin lỗi khi còn số ngày làm việc này."),
         2, 1, 10),
    # -- rules: Decision 766 weights and PAKN (issue 15) --
    Rule("w766_published_on_time", _l("QĐ 766 – điểm: công bố thủ tục đúng hạn"),
         _l("Điểm tối đa của chỉ số thủ tục được công bố, công khai đúng hạn."), 6, 0, 100),
    Rule("w766_updated_on_time", _l("QĐ 766 – điểm: cập nhật thủ tục đúng hạn"),
         _l("Điểm tối đa của chỉ số thủ tục sửa đổi được cập nhật đúng hạn."), 4, 0, 100),
    Rule("w766_published_in_full", _l("QĐ 766 – điểm: công khai đầy đủ"),
         _l("Điểm tối đa của chỉ số thủ tục được công khai đầy đủ nội dung."), 2, 0, 100),
    Rule("w766_synchronised", _l("QĐ 766 – điểm: đồng bộ hồ sơ lên Cổng quốc gia"),
         _l("Điểm tối đa của chỉ số hồ sơ được đồng bộ lên Cổng Dịch vụ công quốc gia."), 6, 0, 100),
    Rule("w766_progress", _l("QĐ 766 – điểm: tiến độ giải quyết"),
         _l("Điểm tối đa của nhóm tiến độ giải quyết (điểm = tối đa × tỷ lệ)."), 20, 0, 100),
    Rule("w766_online_full", _l("QĐ 766 – điểm: hồ sơ trực tuyến toàn trình"),
         _l("Điểm tối đa của chỉ số hồ sơ nộp trực tuyến trên số hồ sơ của thủ tục toàn trình."), 6, 0, 100),
    Rule("w766_online_procedures", _l("QĐ 766 – điểm: thủ tục cung cấp trực tuyến"),
         _l("Điểm tối đa của chỉ số thủ tục được cung cấp trực tuyến."), 2, 0, 100),
    Rule("w766_online_channel", _l("QĐ 766 – điểm: hồ sơ tiếp nhận trực tuyến"),
         _l("Điểm tối đa của chỉ số hồ sơ tiếp nhận trực tuyến trên tổng số hồ sơ tiếp nhận."), 4, 0, 100),
    Rule("w766_paid_online", _l("QĐ 766 – điểm: thanh toán trực tuyến"),
         _l("Điểm tối đa của chỉ số hồ sơ thanh toán trực tuyến trên số hồ sơ có phí, lệ phí."), 10, 0, 100),
    Rule("w766_pakn_on_time", _l("QĐ 766 – điểm: xử lý phản ánh, kiến nghị đúng hạn"),
         _l("Điểm tối đa của chỉ số phản ánh, kiến nghị được trả lời đúng hạn."), 6, 0, 100),
    Rule("w766_pakn_satisfaction", _l("QĐ 766 – điểm: hài lòng về xử lý phản ánh, kiến nghị"),
         _l("Điểm tối đa của chỉ số hài lòng về việc xử lý phản ánh, kiến nghị."), 6, 0, 100),
    Rule("w766_handling_satisfaction", _l("QĐ 766 – điểm: hài lòng về giải quyết hồ sơ"),
         _l("Điểm tối đa của chỉ số hài lòng về giải quyết hồ sơ."), 6, 0, 100),
    Rule("t766_handling_satisfaction", _l("QĐ 766 – tỷ lệ hài lòng đạt điểm tối đa (%)"),
         _l("Tỷ lệ hài lòng về giải quyết hồ sơ từ mức này trở lên được điểm tối đa (điểm = tối đa × tỷ lệ ÷ mức)."),
         90, 1, 100),
    Rule("w766_electronic_result", _l("QĐ 766 – điểm: kết quả điện tử"),
         _l("Điểm tối đa của chỉ số hồ sơ có kết quả giải quyết điện tử."), 6, 0, 100),
    Rule("w766_digitised", _l("QĐ 766 – điểm: số hóa hồ sơ khi tiếp nhận"),
         _l("Điểm tối đa của chỉ số hồ sơ được số hóa khi tiếp nhận."), 4, 0, 100),
    Rule("w766_e_certified", _l("QĐ 766 – điểm: chứng thực bản sao điện tử"),
         _l("Điểm tối đa của chỉ số bản sao chứng thực điện tử."), 2, 0, 100),
    Rule("w766_reuse", _l("QĐ 766 – điểm: tái sử dụng dữ liệu, giấy tờ"),
         _l("Điểm tối đa của chỉ số hồ sơ tái sử dụng giấy tờ đã số hóa."), 6, 0, 100),
    Rule("w766_population", _l("QĐ 766 – điểm: khai thác Cơ sở dữ liệu quốc gia về dân cư"),
         _l("Điểm tối đa của chỉ số hồ sơ được đối chiếu với Cơ sở dữ liệu quốc gia về dân cư."), 4, 0, 100),
    Rule("t766_publish_days", _l("QĐ 766 – thời hạn công bố, cập nhật thủ tục (ngày)"),
         _l("Thủ tục được công khai trong số ngày này kể từ ngày có quyết định công bố thì tính là đúng hạn."),
         5, 0, 60),
    Rule("pakn_answer_days", _l("Thời hạn trả lời phản ánh, kiến nghị (ngày làm việc)"),
         _l("Cơ quan được phản ánh, kiến nghị phải trả lời người dân trong số ngày làm việc này."), 10, 1, 60),
    # -- rules: online public services (issue 16) --
    Rule("otp_valid_minutes", _l("Thời hạn hiệu lực của mã xác nhận (phút)"),
         _l("Mã xác nhận gửi qua email hoặc tin nhắn hết hiệu lực sau số phút này."), 10, 2, 60),
    Rule("otp_max_attempts", _l("Số lần nhập sai mã xác nhận tối đa"),
         _l("Nhập sai quá số lần này, người dân phải yêu cầu mã mới."), 5, 1, 10),
    Rule("otp_max_per_hour", _l("Số mã xác nhận tối đa gửi tới một địa chỉ trong một giờ"),
         _l("Hạn chế gửi tin nhắn, email hàng loạt tới cùng một người."), 5, 1, 30),
    # -- rules: integrity thresholds (issue 20) --
    Rule("integrity_window_days", _l("Dấu hiệu cò mồi – khoảng thời gian xét (ngày)"),
         _l("Các dấu hiệu được tính trên hồ sơ của số ngày gần nhất này."), 30, 1, 366),
    Rule("integrity_min_applicants", _l("Dấu hiệu cò mồi – số người nộp khác nhau trên một liên hệ"),
         _l("Một số điện thoại hoặc email đứng sau hồ sơ của từ số người nộp khác nhau này trở lên thì được "
            "đưa vào danh sách cần xem xét."), 6, 2, 1000),
    Rule("integrity_min_collections", _l("Dấu hiệu cò mồi – số người được nhận kết quả thay"),
         _l("Một người nhận kết quả thay cho từ số người nộp khác nhau này trở lên thì được đưa vào danh sách."),
         5, 2, 1000),
    Rule("integrity_min_reports", _l("Dấu hiệu cò mồi – số phản hồi của người dân tại một nơi tiếp nhận"),
         _l("Từ số phiếu đánh giá này trở lên cho biết bị đòi tiền (hoặc phải đi lại nhiều lần) tại cùng một nơi "
            "tiếp nhận thì được đưa vào danh sách."), 2, 1, 1000),
    # -- rules: queue (issue 21) --
    # -- rules: the desk (issue 19) --
    Rule("intake_duplicate_minutes", _l("Cảnh báo trùng hồ sơ khi tiếp nhận (phút)"),
         _l("Cùng người nộp (số CCCD) và cùng thủ tục được tiếp nhận lại trong số phút này thì bộ phận một cửa "
            "được hỏi xác nhận trước khi tạo hồ sơ mới; 0 là không cảnh báo."), 10, 0, 1440),
)
BY_KEY = {rule.key: rule for rule in RULES}

_lock = threading.Lock()
_cached: dict = {"values": None, "loaded": 0.0, "bind": None}


def invalidate() -> None:
    with _lock:
        _cached["values"] = None


def current() -> dict[str, int]:
    """Every rule's value in force (the province's choice, else the default)."""
    bind = id(db.engine)
    with _lock:
        values = _cached["values"]
        if values is not None and _cached["bind"] == bind and _time.monotonic() - _cached["loaded"] < CACHE_SECONDS:
            return values
    stored = dict(db.session.execute(db.select(Setting.key, Setting.value)).all())
    values = {rule.key: int(stored.get(rule.key, rule.default)) for rule in RULES}
    with _lock:
        _cached.update(values=values, loaded=_time.monotonic(), bind=bind)
    return values


def get(key: str) -> int:
    return current()[key]


def _parse(rule: Rule, raw) -> int:
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()):
        raise ValidationError(f"{rule.label}: phải là số nguyên.", field=rule.key)
    value = int(text)
    if not rule.minimum <= value <= rule.maximum:
        raise ValidationError(f"{rule.label}: phải từ {rule.minimum} đến {rule.maximum}.", field=rule.key)
    return value


def update(actor: User, raw: dict) -> dict[str, tuple[int, int]]:
    """Check and store the given values (all or nothing); the changes as {key: (before, after)}. Flushes."""
    parsed = {key: _parse(BY_KEY[key], value) for key, value in raw.items() if key in BY_KEY}
    before = current()
    changes = {key: (before[key], value) for key, value in parsed.items() if before[key] != value}
    for key, (_old, value) in changes.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value, updated_at=utcnow(), updated_by_id=actor.id))
        else:
            row.value, row.updated_at, row.updated_by_id = value, utcnow(), actor.id
    if changes:
        db.session.flush()
        audit.record("settings.update", actor=actor, target_type="settings", target_id="rules",
                     details={"changes": {k: {"from": a, "to": b} for k, (a, b) in changes.items()}})
    invalidate()
    return changes
