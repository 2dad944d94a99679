"""PAKN forms: file one, rate the answer, answer it."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ...status import PaknKind, Rating


class FileForm(FlaskForm):
    dossier_code = HiddenField()
    dossier_key = HiddenField()
    # One token per form shown: sending the form twice files one PAKN (pakn.filed_with).
    form_token = HiddenField(validators=[Optional(), Length(max=200)])
    # The domain checks the choices and answers in Vietnamese.
    kind = RadioField(_l("Loại"), choices=PaknKind.choices(), default=PaknKind.COMPLAINT.value, validate_choice=False)
    agency = SelectField(_l("Cơ quan, đơn vị được phản ánh, kiến nghị"), validate_choice=False, coerce=str)
    content = TextAreaField(_l("Nội dung"), validators=[
        DataRequired(_l("Vui lòng nhập nội dung phản ánh, kiến nghị.")),
        Length(max=4000, message=_l("Nội dung tối đa 4000 ký tự."))])
    anonymous = BooleanField(_l("Gửi ẩn danh (không để lại họ tên, số điện thoại)"))
    contact_name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=120)])
    contact_phone = StringField(_l("Số điện thoại"), validators=[Optional(), Length(max=20)])
    contact_email = StringField(_l("Thư điện tử"), validators=[
        Optional(), Email(_l("Thư điện tử không hợp lệ.")), Length(max=120)])


class OpenForm(FlaskForm):
    code = StringField(_l("Mã phản ánh, kiến nghị"), validators=[
        DataRequired(_l("Vui lòng nhập mã phản ánh, kiến nghị.")), Length(max=30)])
    key = StringField(_l("Mã tra cứu"), validators=[DataRequired(_l("Vui lòng nhập mã tra cứu.")), Length(max=16)])


class RateForm(FlaskForm):
    key = HiddenField()
    rating = RadioField(_l("Mức độ hài lòng"), choices=Rating.choices(), validate_choice=False)


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Nội dung trả lời"), validators=[
        DataRequired(_l("Vui lòng nhập nội dung trả lời.")),
        Length(max=8000, message=_l("Nội dung trả lời tối đa 8000 ký tự."))])
