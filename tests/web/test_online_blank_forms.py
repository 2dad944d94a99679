"""Blank forms: the admin publishes one per required document; anyone downloads it from the catalogue."""
from __future__ import annotations

import io

import sqlalchemy as sa

from onestop.extensions import db
from onestop.models import BlankForm

PROC = "2.001610"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def publish(client, data=PDF, name="mau-giay-de-nghi.pdf", document="0"):
    return client.post(f"/admin/procedures/{PROC}/blank-form", content_type="multipart/form-data",
                       data={"document": document, "file": (io.BytesIO(data), name)})


def test_the_admin_publishes_a_blank_form_and_citizens_download_it(client, auth, demo):
    before = client.get(f"/thu-tuc/{PROC}")
    assert "Tải mẫu đơn, tờ khai" not in before.get_data(as_text=True)
    auth.login("admin")
    edit = client.get(f"/admin/procedures/{PROC}/edit").get_data(as_text=True)
    assert 'id="blank-forms"' in edit and "Giấy đề nghị đăng ký doanh nghiệp" in edit
    assert publish(client).status_code == 302
    auth.logout()
    page = client.get(f"/thu-tuc/{PROC}", headers={"If-None-Match": before.headers["ETag"]})
    assert page.status_code == 200, "a new blank form changes the catalogue's ETag"
    text = page.get_data(as_text=True)
    assert "Tải mẫu đơn, tờ khai" in text and "mau-giay-de-nghi.pdf" in text
    row = db.session.execute(sa.select(BlankForm)).scalar_one()
    assert row.document_name == "Giấy đề nghị đăng ký doanh nghiệp"
    download = client.get(f"/thu-tuc/{PROC}/mau/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/thu-tuc/2.000815/mau/{row.id}").status_code == 404


def test_a_disguised_blank_form_is_refused_and_only_admins_publish(client, auth, demo):
    auth.login("admin")
    bad = publish(client, data=b"PK\x03\x04 word file", name="mau.pdf")
    assert bad.status_code == 302
    assert "không phải PDF, JPEG hoặc PNG" in client.get(f"/admin/procedures/{PROC}/edit").get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(BlankForm)).scalar_one() == 0
    auth.logout()
    auth.login("tiepnhan")
    assert publish(client).status_code == 403
    assert db.session.execute(sa.select(sa.func.count()).select_from(BlankForm)).scalar_one() == 0


def test_a_new_upload_replaces_the_blank_form(client, auth, demo):
    auth.login("admin")
    publish(client)
    publish(client, data=PDF + b"%v2", name="mau-moi.pdf")
    [row] = db.session.execute(sa.select(BlankForm)).scalars().all()
    assert row.original_name == "mau-moi.pdf"
