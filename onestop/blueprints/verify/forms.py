"""The verification page's one form: a PDF to check."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class VerifyForm(FlaskForm):
    # The file is checked by content and size in signing.verify_upload, with Vietnamese messages.
    file = FileField(_l("Tệp PDF cần kiểm tra"))
