"""Administration forms; values are checked by onestop.admin_ops (Vietnamese messages, nothing saved on error)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Form,
    FormField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import FieldList
from wtforms.validators import DataRequired, EqualTo

from ...inputs import ascii_int
from ...models import AGENCY_KINDS, ROLE_LABELS
from ...status import OnlineLevel, TimeUnit

DOCUMENT_EXTRA_ROWS = 3
ROUTE_EXTRA_ROWS = 2


def kind_choices():
    return list(AGENCY_KINDS.items())


def role_choices():
    return list(ROLE_LABELS.items())


class AgencyForm(FlaskForm):
    identifier = StringField(_l("Mã định danh"),
                             description=_l("Theo mã định danh điện tử, ví dụ 000.00.17.H56"))
    name = StringField(_l("Tên cơ quan"), validators=[DataRequired(_l("Vui lòng nhập tên cơ quan."))])
    parent = SelectField(_l("Cơ quan cấp trên"), validate_choice=False)
    kind = SelectField(_l("Loại cơ quan"), choices=kind_choices, validate_choice=False)
    address = StringField(_l("Địa chỉ"))
    phone = StringField(_l("Điện thoại"))
    active = BooleanField(_l("Cơ quan còn hoạt động"), default=True,
                          description=_l("Bỏ chọn khi cơ quan không còn sử dụng (ví dụ sau khi sáp nhập); "
                                         "hồ sơ đã có của cơ quan vẫn được giữ nguyên."))
    submit = SubmitField(_l("Lưu"))


class UserForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"))
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(_l("Vui lòng nhập họ và tên."))])
    email = StringField(_l("Email"))
    role = SelectField(_l("Vai trò"), choices=role_choices, validate_choice=False)
    agency = SelectField(_l("Cơ quan"), validate_choice=False)
    password = PasswordField(_l("Mật khẩu (ít nhất 12 ký tự, hoặc một cụm từ gồm 4 từ)"))
    confirm = PasswordField(_l("Nhập lại mật khẩu"),
                            validators=[EqualTo("password", _l("Mật khẩu nhập lại không khớp."))])
    submit = SubmitField(_l("Lưu"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới (ít nhất 12 ký tự, hoặc một cụm từ gồm 4 từ)"),
                             validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới."))])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"),
                            validators=[EqualTo("password", _l("Mật khẩu nhập lại không khớp."))])
    submit = SubmitField(_l("Đặt lại mật khẩu"))


class TokenForm(FlaskForm):
    name = StringField(_l("Ghi chú (ví dụ tên hệ thống tích hợp)"))
    submit = SubmitField(_l("Cấp mã truy cập API"))


class ActionForm(FlaskForm):
    """A bare form for buttons that change something (CSRF only)."""


class DocumentRow(Form):
    name = StringField(_l("Tên giấy tờ"))
    originals = StringField(_l("Bản chính"), default="1")
    copies = StringField(_l("Bản sao"), default="0")


class StepRow(Form):
    order = StringField(_l("Thứ tự"))
    agency = SelectField(_l("Cơ quan"), validate_choice=False)
    time = StringField(_l("Thời gian"))
    task = StringField(_l("Nhiệm vụ"))


class ProcedureForm(FlaskForm):
    code = StringField(_l("Mã thủ tục"), validators=[DataRequired(_l("Vui lòng nhập mã thủ tục."))])
    name = StringField(_l("Tên thủ tục"), validators=[DataRequired(_l("Vui lòng nhập tên thủ tục."))])
    field = StringField(_l("Lĩnh vực"), validators=[DataRequired(_l("Vui lòng nhập lĩnh vực."))])
    time_limit = StringField(_l("Thời hạn giải quyết"))
    time_unit = SelectField(_l("Đơn vị thời gian"), validate_choice=False, choices=TimeUnit.choices())
    same_day = BooleanField(_l("Giải quyết trong ngày (nhận sau 15 giờ thì trả ngày làm việc tiếp theo)"))
    fee = StringField(_l("Lệ phí (đồng)"), default="0")
    receiving_agency = SelectField(_l("Nơi tiếp nhận chính"), validate_choice=False)
    clock_on_supplement = SelectField(
        _l("Khi yêu cầu bổ sung hồ sơ"), validate_choice=False,
        choices=[("restart", _l("Tính lại thời hạn từ đầu (Nghị định 61/2018, Điều 19.4)")),
                 ("pause", _l("Tạm dừng, cộng thêm thời gian chờ bổ sung"))])
    result_location = StringField(_l("Nơi trả kết quả"))
    # Decree 118/2025: where it may be received, who decides, how it is offered online, on what basis.
    receiving_desks = SelectMultipleField(_l("Các nơi khác được tiếp nhận"), validate_choice=False,
                                          description=_l("Giữ Ctrl để chọn nhiều Bộ phận một cửa."))
    anywhere = BooleanField(_l("Tiếp nhận không phụ thuộc địa giới hành chính (mọi Bộ phận một cửa của tỉnh)"))
    deciding_agency = SelectField(_l("Cơ quan có thẩm quyền giải quyết"), validate_choice=False)
    online_level = SelectField(_l("Mức độ dịch vụ công trực tuyến"), validate_choice=False,
                               choices=OnlineLevel.choices())
    online_time_limit = StringField(_l("Thời hạn khi nộp trực tuyến (để trống nếu như trên)"))
    legal_basis = TextAreaField(_l("Căn cứ pháp lý"))
    documents = FieldList(FormField(DocumentRow), min_entries=0)
    route = FieldList(FormField(StepRow), min_entries=0)
    submit = SubmitField(_l("Lưu thủ tục"))

    def field_for(self, name: str):
        """The field a domain error names; errors about the document list or the route show above the form."""
        if name in ("documents", "route", "csrf_token"):
            return None
        return self._fields.get(name)

    def set_agency_choices(self, choices: list[tuple[str, str]]) -> None:
        self.receiving_agency.choices = choices
        self.receiving_desks.choices = [c for c in choices if c[0]]
        self.deciding_agency.choices = [("", _l("Cơ quan của bước đầu tiên trong quy trình"))] + \
            [c for c in choices if c[0]]
        for row in self.route:
            row.form.agency.choices = choices

    def pad_rows(self) -> None:
        """Leave a few empty rows so documents and steps can be added without JavaScript."""
        for _i in range(DOCUMENT_EXTRA_ROWS):
            self.documents.append_entry()
        for _i in range(ROUTE_EXTRA_ROWS):
            self.route.append_entry()

    def to_entry(self) -> dict:
        """The catalogue entry (import format) the form describes; empty rows are left out."""
        documents = [
            {"name": row.form.name.data, "originals": (row.form.originals.data or "0").strip(),
             "copies": (row.form.copies.data or "0").strip()}
            for row in self.documents if (row.form.name.data or "").strip()
        ]
        steps = []
        for index, row in enumerate(self.route):
            step = row.form
            if not (step.agency.data or "").strip() and not (step.time.data or "").strip():
                continue
            order = (step.order.data or "").strip()
            key = ascii_int(order, index + 1)
            steps.append((key, index, {"agency": step.agency.data or None, "time": (step.time.data or "").strip(),
                                       "task": " ".join((step.task.data or "").split()) or None}))
        steps.sort(key=lambda item: (item[0], item[1]))
        return {
            "code": (self.code.data or "").strip(), "name": self.name.data, "field": self.field.data,
            "time_limit": (self.time_limit.data or "").strip(), "time_unit": self.time_unit.data,
            "fee": (self.fee.data or "0").strip().replace(".", "").replace(",", "") or "0",
            "receiving_agency": self.receiving_agency.data,
            "clock_on_supplement": self.clock_on_supplement.data, "same_day": bool(self.same_day.data),
            "documents": documents, "route": [s for _k, _i, s in steps],
            "result_location": " ".join((self.result_location.data or "").split()) or None,
            "receiving_desks": [d for d in (self.receiving_desks.data or []) if d],
            "anywhere": bool(self.anywhere.data), "deciding_agency": self.deciding_agency.data or None,
            "online_level": self.online_level.data or "none",
            "online_time_limit": (self.online_time_limit.data or "").strip() or None,
            "legal_basis": (self.legal_basis.data or "").strip() or None,
        }

    @classmethod
    def from_entry(cls, entry: dict) -> "ProcedureForm":
        data = dict(entry)
        data["route"] = [dict(step, order=str(i + 1)) for i, step in enumerate(entry.get("route", []))]
        data["time_limit"] = str(entry.get("time_limit", ""))
        data["fee"] = str(entry.get("fee", 0))
        data["documents"] = [{k: str(v) for k, v in d.items()} for d in entry.get("documents", [])]
        for step in data["route"]:
            step["time"] = str(step["time"])
        if entry.get("online_time_limit") is not None:
            data["online_time_limit"] = str(entry["online_time_limit"])
        data["deciding_agency"] = entry.get("deciding_agency") or ""
        return cls(data=data)


class ImportForm(FlaskForm):
    file = FileField(_l("Tệp danh mục (.json hoặc .csv)"), validators=[FileRequired(_l("Vui lòng chọn tệp."))])
    submit = SubmitField(_l("Nhập danh mục"))


class CalendarForm(FlaskForm):
    day = StringField(_l("Ngày"), validators=[DataRequired(_l("Vui lòng chọn ngày."))])
    kind = SelectField(_l("Điều chỉnh"), validate_choice=False,
                       choices=[("off", _l("Ngày nghỉ")), ("work", _l("Ngày làm việc (làm bù)"))])
    reason = StringField(_l("Lý do"))
    submit = SubmitField(_l("Lưu điều chỉnh"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Tên đăng nhập"))
    action = SelectField(_l("Loại thao tác"), validate_choice=False)
    date_from = StringField(_l("Từ ngày"))
    date_to = StringField(_l("Đến ngày"))

    def set_action_choices(self, groups) -> None:
        """The kinds of action to filter by; a code given in the address stays selectable as it is."""
        choices = [("", _l("Mọi thao tác")), *groups]
        current = (self.action.data or "").strip()
        if current and current not in dict(choices):
            choices.append((current, current))
        self.action.choices = choices
