"""GET the form, POST a PDF: the answer is rendered at once; the file is never stored."""
from flask import current_app, render_template

from ... import files, signing
from ...errors import ValidationError
from ...extensions import limiter
from . import bp
from .forms import VerifyForm


def _verify_limit() -> str:
    return current_app.config["ONESTOP_VERIFY_LIMIT"]


@bp.context_processor
def upload_limit():
    return {"max_size": f"{max(1, files.max_bytes() // (1024 * 1024))} MB"}


@bp.errorhandler(429)
def too_many(exc):
    return render_template("verify/index.html", form=VerifyForm(), too_many=True), 429


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def index():
    """Upload a signed PDF (a result, a receipt) and read whether its seal holds."""
    form = VerifyForm()
    if not form.validate_on_submit():
        return render_template("verify/index.html", form=form), 422 if form.is_submitted() else 200
    try:
        result = signing.verify_upload(form.file.data)
    except ValidationError as exc:
        form.file.errors = [exc.message]
        return render_template("verify/index.html", form=form), 422
    return render_template("verify/index.html", form=VerifyForm(formdata=None), result=result,
                           file_name=form.file.data.filename)
