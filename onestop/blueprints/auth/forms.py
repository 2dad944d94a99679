from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Vui lòng nhập tên đăng nhập."), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Vui lòng nhập mật khẩu."), Length(max=200)])
    submit = SubmitField("Đăng nhập")
