"""Field checks shared by the forms and the API, with Vietnamese messages."""
from __future__ import annotations

import re
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from .errors import ValidationError

ID_NUMBER_RE = re.compile(r"^\d{12}$")
# Vietnamese mobile numbers: 0 or +84, then a 3/5/7/8/9 prefix and 8 digits.
PHONE_RE = re.compile(r"^(?:0|\+84|84)(?:3|5|7|8|9)\d{8}$")
TAX_CODE_RE = re.compile(r"^\d{10}(?:-\d{3})?$")


def clean_str(value, field: str, label: str, *, required: bool = False, max_len: int = 255) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(_("%(label)s là bắt buộc.", label=label), field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError(_("%(label)s phải là chuỗi ký tự.", label=label), field=field)
    value = " ".join(value.split())
    if len(value) > max_len:
        raise ValidationError(_("%(label)s không được dài quá %(max_len)s ký tự.", label=label, max_len=max_len),
                              field=field)
    return value


def id_number(value, field: str = "applicant.id_number", required: bool = True) -> str | None:
    value = clean_str(value, field, _("Số CCCD"), required=required, max_len=20)
    if value is None:
        return None
    value = value.replace(" ", "")
    if not ID_NUMBER_RE.match(value):
        raise ValidationError(_("Số CCCD phải gồm đúng 12 chữ số."), field=field)
    return value


def phone(value, field: str = "applicant.phone", required: bool = True) -> str | None:
    value = clean_str(value, field, _("Số điện thoại"), required=required, max_len=20)
    if value is None:
        return None
    compact = re.sub(r"[\s.\-]", "", value)
    if not PHONE_RE.match(compact):
        raise ValidationError(
            _("Số điện thoại di động không hợp lệ (10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09)."),
            field=field,
        )
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    elif compact.startswith("84"):
        compact = "0" + compact[2:]
    return compact


def email(value, field: str = "applicant.email", required: bool = False) -> str | None:
    value = clean_str(value, field, "Email", required=required, max_len=255)
    if value is None:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(_("Địa chỉ email không hợp lệ."), field=field) from None


def count(value, field: str, label: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError(_("%(label)s phải là số nguyên không âm.", label=label), field=field)
    try:
        number = int(value)
    except ValueError:
        raise ValidationError(_("%(label)s phải là số nguyên không âm.", label=label), field=field) from None
    if number < 0:
        raise ValidationError(_("%(label)s không được âm.", label=label), field=field)
    if number > 1000:
        raise ValidationError(_("%(label)s quá lớn.", label=label), field=field)
    return number


def money(value, field: str, label: str) -> int:
    """A non-negative amount of đồng."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError(_("%(label)s phải là số tiền (đồng), số nguyên không âm.", label=label), field=field)
    text = str(value).replace(".", "").replace(" ", "") if isinstance(value, str) else value
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(_("%(label)s phải là số tiền (đồng), số nguyên không âm.", label=label),
                              field=field) from None
    if number < 0:
        raise ValidationError(_("%(label)s không được âm.", label=label), field=field)
    if number > 10**12:
        raise ValidationError(_("%(label)s quá lớn.", label=label), field=field)
    return number


def person_name(value, field: str = "applicant.full_name") -> str:
    """A person's or organisation's name: required, at most 200 characters, no markup characters (issue 19)."""
    name = clean_str(value, field, _("Họ và tên"), required=True, max_len=200)
    if any(c in name for c in "<>"):
        raise ValidationError(_("Họ và tên không được chứa ký tự < hoặc >."), field=field)
    return name


def applicant(data) -> dict:
    """Check an applicant: full name, 12-digit ID, mobile phone; email and address optional."""
    if not isinstance(data, dict):
        raise ValidationError(_("Thiếu thông tin người nộp hồ sơ."), field="applicant")
    return {
        "full_name": person_name(data.get("full_name")),
        "id_number": id_number(data.get("id_number")),
        "phone": phone(data.get("phone")),
        "email": email(data.get("email")),
        "address": clean_str(data.get("address"), "applicant.address", _("Địa chỉ"), max_len=500),
        "tax_code": tax_code(data.get("tax_code")),
    }


def tax_code(value, field: str = "applicant.tax_code") -> str | None:
    value = clean_str(value, field, _("Mã số thuế"), max_len=20)
    if value is None:
        return None
    if not TAX_CODE_RE.match(value):
        raise ValidationError(_("Mã số thuế phải gồm 10 chữ số (hoặc 10 chữ số, dấu gạch và 3 chữ số)."),
                              field=field)
    return value


def documents(items, field: str = "documents") -> list[dict]:
    """Check the list of documents received: name and non-negative counts."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError(_("Danh sách giấy tờ không hợp lệ."), field=field)
    if len(items) > 200:
        raise ValidationError(_("Danh sách giấy tờ quá dài."), field=field)
    cleaned = []
    for i, item in enumerate(items):
        f = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(_("Giấy tờ không hợp lệ."), field=f)
        cleaned.append({
            "name": clean_str(item.get("name"), f"{f}.name", _("Tên giấy tờ"), required=True, max_len=500),
            "originals": count(item.get("originals"), f"{f}.originals", _("Số bản chính")),
            "copies": count(item.get("copies"), f"{f}.copies", _("Số bản sao")),
            "certified_copies": count(item.get("certified_copies"), f"{f}.certified_copies",
                                      _("Số bản sao chứng thực")),
        })
    return cleaned


def reason(value, field: str = "reason", label: str | None = None) -> str:
    return clean_str(value, field, label or _("Lý do"), required=True, max_len=2000)


def not_in_future(value: datetime, now: datetime, field: str = "received_at") -> datetime:
    if value > now:
        raise ValidationError(_("Thời điểm tiếp nhận không được ở tương lai."), field=field)
    return value
