"""Reception desk forms. Field checks reuse onestop.validation so messages match the API's."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, Form, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import FieldList, FormField

from ... import validation
from ...errors import ValidationError
from ...inputs import ascii_int, is_ascii_digits
from ...status import Channel

CHANNEL_CHOICES = Channel.choices({Channel.COUNTER, Channel.POSTAL})
COUNT_FIELDS = (("originals", _l("Số bản chính")), ("certified_copies", _l("Số bản sao chứng thực")),
                ("copies", _l("Số bản chụp")))


class DocumentEntry(Form):
    """One line of the procedure's checklist (a sub-form: the parent form carries CSRF)."""

    name = HiddenField()
    received = BooleanField(_l("Đã nhận"))
    originals = StringField(_l("Bản chính"))
    certified_copies = StringField(_l("Bản sao chứng thực"))
    copies = StringField(_l("Bản chụp"))


class IntakeForm(FlaskForm):
    procedure_code = HiddenField()
    documents = FieldList(FormField(DocumentEntry))
    full_name = StringField(_l("Họ và tên người nộp"))
    id_number = StringField(_l("Số CCCD (12 chữ số)"))
    phone = StringField(_l("Số điện thoại"))
    email = StringField(_l("Email"))
    address = StringField(_l("Địa chỉ"))
    tax_code = StringField(_l("Mã số thuế (doanh nghiệp, nếu có)"))
    channel = SelectField(_l("Kênh nộp"), choices=CHANNEL_CHOICES, default=Channel.COUNTER.value,
                          validate_choice=False)
    fee = StringField(_l("Phí, lệ phí (đồng)"))
    sets = StringField(_l("Số bộ hồ sơ"), default="1")
    note = TextAreaField(_l("Ghi chú"))
    reason = TextAreaField(_l("Lý do (bắt buộc khi từ chối; ghi thêm khi yêu cầu bổ sung)"))
    scans = MultipleFileField(_l("Bản quét hồ sơ (PDF, JPEG, PNG)"))

    # domain field name -> form field name
    FIELD_MAP = {
        "applicant.full_name": "full_name", "applicant.id_number": "id_number", "applicant.phone": "phone",
        "applicant.email": "email", "applicant.address": "address", "applicant.tax_code": "tax_code",
        "applicant": "full_name", "channel": "channel", "fee": "fee", "sets": "sets", "note": "note",
        "reason": "reason", "scans": "scans", "procedure_code": "procedure_code", "documents": "documents",
        "received_at": "channel",
    }

    def fill_documents(self, procedure) -> None:
        """The procedure's checklist, each line checked with the counts the procedure asks for."""
        while self.documents.entries:
            self.documents.pop_entry()
        for doc in procedure.documents:
            self.documents.append_entry({"name": doc.name, "received": True, "originals": str(doc.originals),
                                         "certified_copies": "0", "copies": str(doc.copies)})

    def applicant(self) -> dict:
        return {"full_name": self.full_name.data, "id_number": self.id_number.data, "phone": self.phone.data,
                "email": self.email.data, "address": self.address.data, "tax_code": self.tax_code.data}

    def received_documents(self) -> list[dict]:
        return [{"name": e.form.name.data, "originals": e.form.originals.data,
                 "certified_copies": e.form.certified_copies.data, "copies": e.form.copies.data}
                for e in self.documents.entries if e.form.received.data]

    def missing_documents(self) -> list[str]:
        return [e.form.name.data for e in self.documents.entries if not e.form.received.data and e.form.name.data]

    def field_for(self, field: str):
        """The field a domain error concerns (the applicant's name when it names none of ours)."""
        if field.startswith("documents[") and "]" in field:
            index = field[len("documents["):field.index("]")]
            sub = field[field.index("]") + 2:] or "name"
            if is_ascii_digits(index) and int(index) < len(self.received_documents()):
                entries = [e for e in self.documents.entries if e.form.received.data]
                return getattr(entries[int(index)].form, sub, entries[int(index)].form.name)
        return getattr(self, self.FIELD_MAP.get(field, "full_name"))

    def add_error(self, exc: ValidationError) -> None:
        """Put a domain error next to the field it concerns."""
        target = self.field_for(exc.field or "")
        target.errors = list(target.errors) + [exc.message]

    def check(self, outcome: str) -> bool:
        """Run every field check for the chosen outcome; collect all messages, not just the first."""
        checks = [lambda: validation.person_name(self.full_name.data)]
        if outcome in ("preview", "accept"):
            checks += [
                lambda: _channel(self.channel.data),
                lambda: validation.id_number(self.id_number.data),
                lambda: validation.phone(self.phone.data),
                lambda: validation.email(self.email.data),
                lambda: validation.clean_str(self.address.data, "applicant.address", _("Địa chỉ"), max_len=500),
                lambda: validation.tax_code(self.tax_code.data),
                lambda: validation.money(self.fee.data or "0", "fee", _("Lệ phí")),
                lambda: (validation.count(self.sets.data, "sets", _("Số bộ hồ sơ"))
                         or _at_least_one(self.sets.data)),
                lambda: validation.clean_str(self.note.data, "note", _("Ghi chú"), max_len=2000),
            ]
            checks += self._document_checks()
        if outcome == "refuse":
            checks.append(lambda: validation.reason(self.reason.data))
        if outcome == "supplement":
            checks.append(lambda: validation.clean_str(self.reason.data, "reason", _("Lý do"), max_len=2000))
            if not self.missing_documents() and not (self.reason.data or "").strip():
                checks.append(_raise(_("Bỏ dấu chọn các giấy tờ còn thiếu hoặc ghi rõ nội dung cần bổ sung."),
                                     "documents"))
        seen: set[tuple[str, str]] = set()
        for check in checks:
            try:
                check()
            except ValidationError as exc:
                if (exc.field or "", exc.message) not in seen:
                    seen.add((exc.field or "", exc.message))
                    self.add_error(exc)
        return not self.has_errors()

    def _document_checks(self):
        checks = []
        received = [e for e in self.documents.entries if e.form.received.data]
        for entry in received:
            sub = entry.form
            for name, label in COUNT_FIELDS:
                checks.append(_field_check(getattr(sub, name), lambda v, lb=label: validation.count(v, "x", str(lb))))
            checks.append(_field_check(sub.originals, lambda _v, s=sub: _has_copies(s)))
        if self.documents.entries and len(received) < len(self.documents.entries):
            checks.append(_raise(
                _("Hồ sơ còn thiếu giấy tờ (chưa đánh dấu đã nhận). Hãy yêu cầu bổ sung, hoàn thiện hồ sơ "
                  "hoặc đánh dấu các giấy tờ đã nhận."), "documents"))
        return checks

    def has_errors(self) -> bool:
        if any(f.errors for f in self if f.name != "documents"):
            return True
        return bool(self.documents.errors) or any(
            sub.errors for e in self.documents.entries for sub in e.form)


def _channel(value) -> None:
    if value not in dict(CHANNEL_CHOICES):
        raise ValidationError(_("Kênh nộp tại bàn tiếp nhận phải là Trực tiếp hoặc Bưu chính công ích."),
                              field="channel")


def _at_least_one(value) -> None:
    if str(value or "").strip() in ("", "0"):
        raise ValidationError(_("Số bộ hồ sơ phải từ 1 trở lên."), field="sets")


def _raise(message: str, field: str):
    def check():
        raise ValidationError(message, field=field)
    return check


def _field_check(form_field, fn):
    """A check whose error goes straight onto one (sub-form) field."""
    def check():
        try:
            fn(form_field.data)
        except ValidationError as exc:
            if exc.message not in form_field.errors:
                form_field.errors = list(form_field.errors) + [exc.message]
    return check


def _has_copies(sub) -> None:
    total = 0
    for name, _label in COUNT_FIELDS:
        try:
            total += validation.count(getattr(sub, name).data, "x", "x")
        except ValidationError:
            return
    if total == 0:
        raise ValidationError(_("Giấy tờ đã nhận phải có ít nhất một bản."), field="x")


class ApplicantLookupForm(FlaskForm):
    """GET form: fill the applicant from their latest dossier."""

    class Meta:
        csrf = False

    lookup_id = StringField(_l("Số CCCD của người nộp"))


class ActionForm(FlaskForm):
    """Desk actions on one dossier; `version` guards against concurrent changes."""

    version = HiddenField()
    next = HiddenField()
    reason = TextAreaField(_l("Lý do"))
    collected_by = StringField(_l("Họ tên người nhận kết quả"))
    collected_id_number = StringField(_l("Số CCCD người nhận"))

    FIELD_MAP = {"reason": "reason", "collected_by": "collected_by",
                 "collected_id_number": "collected_id_number"}

    def version_number(self) -> int | None:
        value = (self.version.data or "").strip()
        return ascii_int(value)

    def field_for(self, field: str):
        """The field a domain error concerns; None when it belongs to no field of this form."""
        name = self.FIELD_MAP.get(field)
        return getattr(self, name) if name else None


class SupplementSlipForm(FlaskForm):
    """Ask an online/postal applicant for completion: the ticked documents are missing."""

    reason = TextAreaField(_l("Nội dung cần bổ sung, hoàn thiện"))


class ScanForm(FlaskForm):
    scans = MultipleFileField(_l("Bản quét (PDF, JPEG, PNG)"))
