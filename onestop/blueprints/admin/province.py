"""The province's face on every page: name, emblem, banner colour, address, hotline, working hours."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField

from ... import province
from ...errors import ValidationError
from ..common import show_domain_error
from . import bp
from .helpers import admin_only, form_status


class ProvinceForm(FlaskForm):
    name = StringField(_l("Tên tỉnh, thành phố (hiện ở đầu trang)"))
    banner_color = StringField(_l("Màu nền dải tiêu đề (#RRGGBB)"))
    address = StringField(_l("Địa chỉ Trung tâm Phục vụ hành chính công"))
    hotline = StringField(_l("Đường dây nóng"))
    working_hours = StringField(_l("Giờ làm việc"))
    emblem = FileField(_l("Ảnh biểu trưng (PNG hoặc JPEG, tối đa 256 KB)"))
    remove_emblem = BooleanField(_l("Bỏ ảnh biểu trưng hiện tại"))


@bp.route("/province", methods=["GET", "POST"])
@admin_only
def province_face():
    """Show and change the province's face; every change is audited."""
    form = ProvinceForm()
    current = province.face()
    if request.method == "GET":
        form.name.data, form.banner_color.data = current.name, current.banner_color
        form.address.data, form.hotline.data = current.address, current.hotline
        form.working_hours.data = current.working_hours
    elif form.validate():
        upload = form.emblem.data
        data = upload.stream.read(province.EMBLEM_MAX_BYTES + 1) if upload and upload.filename else None
        try:
            changed = province.update(
                current_user, name=form.name.data, banner_color=form.banner_color.data, address=form.address.data,
                hotline=form.hotline.data, working_hours=form.working_hours.data, emblem=data,
                remove_emblem=bool(form.remove_emblem.data))
        except ValidationError as exc:
            show_domain_error(form, exc)
        else:
            flash(_("Đã lưu %(n)d thay đổi.", n=len(changed)) if changed else _("Không có thay đổi nào."), "success")
            return redirect(url_for("admin.province_face"))
    return render_template("admin/province.html", form=form, face=current), form_status()
