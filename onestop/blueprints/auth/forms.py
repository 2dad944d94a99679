from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"),
                           validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập.")), Length(max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=200)])
    submit = SubmitField(_l("Đăng nhập"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"),
                                     validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại.")),
                                                 Length(max=200)])
    password = PasswordField(_l("Mật khẩu mới (ít nhất 12 ký tự, hoặc một cụm từ gồm 4 từ trở lên)"),
                             validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới."))])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"),
                            validators=[EqualTo("password", _l("Mật khẩu nhập lại không khớp."))])
    submit = SubmitField(_l("Đổi mật khẩu"))
