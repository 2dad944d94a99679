"""The province's face: the name, emblem, banner colour and contacts shown in every page's header and footer.

One row (`ProvinceFace`), changed on the admin page and audited. Pages read it through `face()`, cached per
process: a change clears this process's copy at once, other processes re-read it within CACHE_SECONDS.
"""
from __future__ import annotations

import re
import struct
import time
import weakref
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from . import audit, validation
from .errors import ValidationError
from .extensions import db
from .models import Agency, ProvinceFace, User
from .timeutil import now as utcnow

CACHE_SECONDS = 30
EMBLEM_MAX_BYTES = 256 * 1024
EMBLEM_MAX_SIDE = 2000  # pixels
DEFAULT_COLOR = "#0b4f8a"
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # app -> (read at, Face)


@dataclass(frozen=True)
class Face:
    name: str
    banner_color: str
    address: str | None
    hotline: str | None
    working_hours: str | None
    has_emblem: bool
    version: int

    @property
    def banner_text_color(self) -> str:
        """White or near-black, whichever reads better on the banner colour."""
        r, g, b = (int(self.banner_color[i:i + 2], 16) for i in (1, 3, 5))
        return "#1b1b1b" if (0.299 * r + 0.587 * g + 0.114 * b) > 160 else "#ffffff"


def _root_name() -> str:
    name = db.session.execute(
        sa.select(Agency.name).where(Agency.parent_id.is_(None)).order_by(Agency.id).limit(1)).scalar()
    return name or _("Cổng dịch vụ công")


def _load() -> Face:
    row = db.session.execute(sa.select(ProvinceFace).options(so.undefer(ProvinceFace.emblem)).limit(1)).scalar()
    if row is None:
        return Face(_root_name(), DEFAULT_COLOR, None, None, None, False, 0)
    return Face(row.name, row.banner_color or DEFAULT_COLOR, row.address, row.hotline, row.working_hours,
                row.emblem is not None, row.version)


def face() -> Face:
    """The province's face, from this process's cache when fresh."""
    key = current_app._get_current_object()
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    try:
        value = _load()
    except sa.exc.SQLAlchemyError:
        # The database is away (the 503 page is being drawn): the last known face, else a plain one, uncached.
        db.session.rollback()
        return hit[1] if hit is not None else Face(_("Cổng dịch vụ công"), DEFAULT_COLOR, None, None, None, False, 0)
    _cache[key] = (time.monotonic(), value)
    return value


def invalidate() -> None:
    _cache.pop(current_app._get_current_object(), None)


def emblem() -> tuple[bytes, str] | None:
    """The uploaded emblem and its content type, if any."""
    row = db.session.execute(sa.select(ProvinceFace.emblem, ProvinceFace.emblem_type).limit(1)).first()
    if row is None or row.emblem is None:
        return None
    return row.emblem, row.emblem_type or "image/png"


def _image_size(data: bytes) -> tuple[str, int, int] | None:
    """(content type, width, height) of a PNG or JPEG read from its header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return "image/jpeg", width, height
            i += 2 + length
    return None


def check_emblem(data: bytes) -> str:
    """The emblem's content type; a clear message when it is not a reasonable PNG or JPEG image."""
    if len(data) > EMBLEM_MAX_BYTES:
        raise ValidationError(_("Ảnh biểu trưng vượt quá %(n)d KB.", n=EMBLEM_MAX_BYTES // 1024), field="emblem")
    found = _image_size(data)
    if found is None:
        raise ValidationError(_("Ảnh biểu trưng phải là tệp PNG hoặc JPEG."), field="emblem")
    content_type, width, height = found
    if not (16 <= width <= EMBLEM_MAX_SIDE and 16 <= height <= EMBLEM_MAX_SIDE):
        raise ValidationError(_("Ảnh biểu trưng phải có cạnh từ 16 đến %(n)d điểm ảnh.", n=EMBLEM_MAX_SIDE),
                              field="emblem")
    return content_type


def update(actor: User, *, name, banner_color, address, hotline, working_hours, emblem: bytes | None = None,
           remove_emblem: bool = False) -> list[str]:
    """Save the face (validated, audited); returns the names of the fields that changed."""
    values = {
        "name": validation.clean_str(name, "name", _("Tên tỉnh, thành phố"), required=True, max_len=200),
        "address": validation.clean_str(address, "address", _("Địa chỉ"), max_len=500),
        "hotline": validation.clean_str(hotline, "hotline", _("Đường dây nóng"), max_len=50),
        "working_hours": validation.clean_str(working_hours, "working_hours", _("Giờ làm việc"), max_len=200),
    }
    color = (banner_color or "").strip() or DEFAULT_COLOR
    if not _COLOR.fullmatch(color):
        raise ValidationError(_("Màu nền phải có dạng #RRGGBB."), field="banner_color")
    values["banner_color"] = color.lower()
    emblem_type = check_emblem(emblem) if emblem else None
    row = db.session.execute(sa.select(ProvinceFace).limit(1)).scalar()
    if row is None:
        row = ProvinceFace(version=0)
        db.session.add(row)
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for key, value in values.items():
        setattr(row, key, value)
    if emblem:
        row.emblem, row.emblem_type = emblem, emblem_type
        changed.append("emblem")
    elif remove_emblem and row.emblem_type is not None:
        row.emblem, row.emblem_type = None, None
        changed.append("emblem")
    if changed:
        row.version = (row.version or 0) + 1
        row.updated_at = utcnow()
        db.session.flush()
        audit.record("province.face", actor=actor, target_type="province_face", target_id=str(row.id),
                     details={k: (values[k] if k in values else "(ảnh)") for k in changed})
    invalidate()
    return changed
