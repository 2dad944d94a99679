"""Public forms: look a dossier up, rate the service."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...status import Rating

YES_NO = [("yes", _l("Có")), ("no", _l("Không")), ("", _l("Không trả lời"))]


class LookupForm(FlaskForm):
    code = StringField(_l("Mã hồ sơ"), validators=[DataRequired(_l("Vui lòng nhập mã hồ sơ.")), Length(max=60)])
    key = StringField(_l("Mã tra cứu hoặc số CCCD của người nộp (không bắt buộc)"),
                      validators=[Optional(), Length(max=32, message=_l("Mã tra cứu không hợp lệ."))])


class FeedbackForm(FlaskForm):
    key = HiddenField()
    # The domain checks the choice and answers in Vietnamese; WTForms' own message is English.
    rating = RadioField(_l("Mức độ hài lòng"), choices=Rating.choices(), validate_choice=False)
    comment = TextAreaField(_l("Góp ý (không bắt buộc)"),
                            validators=[Optional(), Length(max=2000, message=_l("Góp ý tối đa 2000 ký tự."))])
    # Optional, and never shown to the desk (onestop/integrity.py): "" is "not answered".
    asked_money = RadioField(_l("Có ai đòi tiền hoặc gợi ý làm nhanh hồ sơ của ông/bà không?"),
                             choices=YES_NO, validate_choice=False)
    came_again = RadioField(_l("Ông/bà có phải đến nộp, bổ sung hoặc nhận kết quả nhiều lần không?"),
                            choices=YES_NO, validate_choice=False)

    @staticmethod
    def answer(value) -> bool | None:
        """True for "yes", False for "no", None when the citizen skipped the question."""
        return {"yes": True, "no": False}.get(value or "")
