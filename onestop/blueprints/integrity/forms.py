"""The reviewer's note on a lead."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length


class ReviewForm(FlaskForm):
    kind = HiddenField()
    key = HiddenField()
    days = HiddenField()
    note = TextAreaField(_l("Kết quả xem xét"), validators=[
        DataRequired(_l("Hãy ghi rõ kết quả xem xét.")), Length(max=2000, message=_l("Ghi chú tối đa 2000 ký tự."))])
