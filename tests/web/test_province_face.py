"""Issue 19, item 13: the province's face (name, emblem, banner colour, contacts) set on the admin page."""
import io
import struct
import zlib

import pytest

from onestop import province
from onestop.extensions import db
from onestop.models import AuditLog


def png(width=64, height=64) -> bytes:
    """A small valid PNG (one grey pixel row repeated)."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


FORM = {"name": "Tỉnh Sơn Hà", "banner_color": "#7a1f1f", "address": "Số 1 đường Trần Phú, phường Long Hòa",
        "hotline": "0203 3 123 456", "working_hours": "Thứ Hai – Thứ Sáu, 7:00–11:30 và 13:30–17:00"}


@pytest.fixture
def admin(demo, auth, app):
    with app.app_context():
        province.invalidate()
    auth.login("admin")
    return auth


def html(resp):
    return resp.get_data(as_text=True)


def test_the_admin_sets_the_face_and_public_pages_show_it(client, admin):
    page = html(client.get("/admin/province"))
    assert "Nhận diện" in page and "Chưa có ảnh biểu trưng" in page
    r = client.post("/admin/province", data=dict(FORM, emblem=(io.BytesIO(png()), "quoc-huy.png")),
                    content_type="multipart/form-data")
    assert r.status_code == 302
    audit = db.session.execute(db.select(AuditLog).filter_by(action="province.face")).scalar_one()
    assert "banner_color" in str(audit.details)
    admin.logout()
    lookup = html(client.get("/lookup/"))
    assert 'id="province-banner"' in lookup and "Tỉnh Sơn Hà" in lookup
    for text in (FORM["address"], FORM["hotline"], "7:00–11:30"):
        assert text in lookup
    assert "/province/emblem?v=" in lookup
    emblem = client.get("/province/emblem")
    assert emblem.status_code == 200 and emblem.mimetype == "image/png" and emblem.data == png()
    css = html(client.get("/province/face.css"))
    assert "#7a1f1f" in css


@pytest.mark.parametrize(("data", "message"), [
    (b"GIF89a" + b"\x00" * 50, "PNG hoặc JPEG"),
    (b"MZ\x90\x00" * 20, "PNG hoặc JPEG"),
    (png(4, 4), "cạnh từ 16"),
    (png() + b"\x00" * (province.EMBLEM_MAX_BYTES + 1), "vượt quá"),
])
def test_a_bad_emblem_is_refused_with_a_clear_message_and_nothing_saved(client, admin, data, message):
    r = client.post("/admin/province", data=dict(FORM, emblem=(io.BytesIO(data), "anh.png")),
                    content_type="multipart/form-data")
    assert r.status_code == 422 and message in html(r)
    assert client.get("/province/emblem").status_code == 404
    assert "Tỉnh Sơn Hà" not in html(client.get("/lookup/"))


def test_a_bad_colour_is_refused(client, admin):
    r = client.post("/admin/province", data=dict(FORM, banner_color="red; } body { display:none"))
    assert r.status_code == 422 and "#RRGGBB" in html(r)


def test_no_emblem_is_shipped_and_the_default_name_is_the_provinces_agency(client, demo, app):
    with app.app_context():
        province.invalidate()
    assert client.get("/province/emblem").status_code == 404
    body = html(client.get("/lookup/"))
    assert 'id="province-banner"' in body and "<img class=\"province-emblem\"" not in body


def test_only_admins_change_the_face(client, auth, demo):
    auth.login("tiepnhan")
    assert client.get("/admin/province").status_code == 403
    assert client.post("/admin/province", data=FORM).status_code in (400, 403)


def test_public_forms_show_no_example_values(client, demo):
    body = html(client.get("/lookup/"))
    assert 'placeholder="000.00' not in body and "Nguyễn Văn A" not in body
