"""Forms of the inbox filters and of each action an agency takes on a dossier."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from ... import workflow
from ...inputs import DateRange, IdRange
from ...status import AGENCY_WORK, OPEN_STATES, DossierStatus
from ...timeutil import zone

INBOX_STATUS_CHOICES = [("", _l("Tất cả trạng thái")), *DossierStatus.choices(AGENCY_WORK)]
DEADLINE_CHOICES = [("", _l("Mọi tình trạng hạn")), *((s.value, s.lazy_label) for s in OPEN_STATES)]
ORDER_CHOICES = [("urgent", _l("Gấp nhất trước")), ("newest", _l("Mới nhận trước"))]


class InboxFilterForm(FlaskForm):
    """GET filters of the inbox (no CSRF: reading only)."""

    class Meta:
        csrf = False

    q = StringField(_l("Mã hồ sơ hoặc tên người nộp"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Trạng thái"), choices=INBOX_STATUS_CHOICES, validators=[Optional()])
    deadline = SelectField(_l("Tình trạng hạn"), choices=DEADLINE_CHOICES, validators=[Optional()])
    procedure = SelectField(_l("Thủ tục"), choices=[], validators=[Optional()], validate_choice=False)
    received_from = DateField(_l("Nhận từ ngày"), validators=[Optional(), DateRange()])
    received_to = DateField(_l("đến ngày"), validators=[Optional(), DateRange()])
    assignee = IntegerField(_l("Người xử lý"), widget=HiddenInput(),
                            validators=[Optional(), IdRange(_l("Người xử lý không hợp lệ."))])
    order = SelectField(_l("Sắp xếp"), choices=ORDER_CHOICES, default="urgent", validators=[Optional()])

    def validate_received_to(self, field):
        if field.data and self.received_from.data and field.data < self.received_from.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))


class ActionForm(FlaskForm):
    """Every action carries the version of the dossier the user saw."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Thực hiện"))

    def derived(self) -> dict:
        """Parameters not held by one field of the same name (lists, date + time)."""
        return {}

    def params(self, action: str) -> dict:
        """Keyword arguments of the workflow verb, read from the fields named like its parameters."""
        derived = self.derived()
        values = {}
        for name in workflow.action_params(action):
            field = getattr(self, name, None)
            if name in derived:
                values[name] = derived[name]
            elif field is not None and hasattr(field, "data"):
                values[name] = field.data if field.data not in ("", None) else None
        return values


class ForwardForm(ActionForm):
    to_agency = SelectField(_l("Chuyển đến cơ quan"), choices=[], validate_choice=False, validators=[Optional()])
    reason = TextAreaField(_l("Lý do (bắt buộc khi chuyển ngoài quy trình)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Chuyển xử lý"))


class CompleteForm(ActionForm):
    note = TextAreaField(_l("Ghi chú kết quả"), validators=[Optional(), Length(max=2000)])
    result_file = FileField(_l("Tệp kết quả (PDF, JPEG, PNG)"))
    confirm = BooleanField(_l("Tôi xác nhận kết quả đã được ký duyệt và sẵn sàng trả cho công dân."),
                           validators=[DataRequired(_l("Đánh dấu xác nhận trước khi hoàn thành xử lý."))])
    submit = SubmitField(_l("Hoàn thành, chuyển trả kết quả về Bộ phận Một cửa"))

    def validate(self, extra_validators=None) -> bool:
        """A result is required: the result file, or a note saying what the result is (e.g. a paper licence)."""
        ok = super().validate(extra_validators)
        has_file = bool(self.result_file.data and getattr(self.result_file.data, "filename", ""))
        if not has_file and not (self.note.data or "").strip():
            self.note.errors = list(self.note.errors) + [
                _l("Đính kèm tệp kết quả hoặc ghi rõ kết quả giải quyết (ví dụ: số giấy phép đã cấp).")]
            return False
        return ok


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SupplementForm(ActionForm):
    documents = MultiCheckboxField(_l("Giấy tờ cần bổ sung"), choices=[], validate_choice=False)
    other_documents = TextAreaField(_l("Giấy tờ khác (mỗi dòng một giấy tờ)"),
                                    validators=[Optional(), Length(max=4000)])
    reason = TextAreaField(_l("Lý do"), validators=[DataRequired(_l("Vui lòng nhập lý do.")), Length(max=2000)])
    submit = SubmitField(_l("Yêu cầu bổ sung hồ sơ"))

    def missing(self) -> list[str]:
        extra = [line.strip() for line in (self.other_documents.data or "").splitlines() if line.strip()]
        return list(self.documents.data or []) + extra

    def validate_other_documents(self, field):
        if not self.missing():
            raise ValidationError(_l("Chọn hoặc nhập ít nhất một giấy tờ cần bổ sung."))

    def derived(self):
        return {"documents": self.missing()}


class ConfirmForm(ActionForm):
    """Actions without input: supplement received, payment received."""


class PaymentForm(ActionForm):
    amount = IntegerField(_l("Số tiền (đồng)"), validators=[
        InputRequired(_l("Vui lòng nhập số tiền.")),
        NumberRange(min=1, max=10**12, message=_l("Số tiền phải lớn hơn 0 đồng."))])
    submit = SubmitField(_l("Yêu cầu thực hiện nghĩa vụ tài chính"))


class StopForm(ActionForm):
    reason = TextAreaField(_l("Lý do từ chối giải quyết"),
                           validators=[DataRequired(_l("Vui lòng nhập lý do.")), Length(max=2000)])
    submit = SubmitField(_l("Dừng xử lý, từ chối giải quyết"))


class ApologyForm(ActionForm):
    reason = TextAreaField(_l("Lý do chậm trễ"),
                           validators=[DataRequired(_l("Vui lòng nhập lý do.")), Length(max=2000)])
    new_date = DateField(_l("Ngày hẹn trả mới"), validators=[InputRequired(_l("Vui lòng chọn ngày hẹn mới."))])
    new_time = TimeField(_l("Giờ hẹn trả mới"), default=None,
                         validators=[InputRequired(_l("Vui lòng chọn giờ hẹn mới."))])
    submit = SubmitField(_l("Lập phiếu xin lỗi và hẹn lại"))

    def derived(self):
        return {"new_due_at": datetime.combine(self.new_date.data, self.new_time.data).replace(tzinfo=zone())}


class ReassignForm(ActionForm):
    assignee = SelectField(_l("Phân công cho"), choices=[], validate_choice=False,
                           validators=[DataRequired(_l("Vui lòng chọn cán bộ."))])
    submit = SubmitField(_l("Phân công"))


ACTION_FORMS = {
    "forward": ForwardForm,
    "complete": CompleteForm,
    "request_supplement": SupplementForm,
    "supplement_received": ConfirmForm,
    "request_payment": PaymentForm,
    "payment_received": ConfirmForm,
    "stop": StopForm,
    "apologize": ApologyForm,
    "reassign": ReassignForm,
}

