"""PAKN pages: a citizen files, staff answer, the citizen sees and rates; CSRF; someone else's key sees nothing."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from factories import receive, vn

from onestop import agencies, pakn
from onestop.devdata.demo import CENTER
from onestop.extensions import db
from onestop.models import Pakn
from onestop.status import PaknStatus, Rating

TEXT = "Cán bộ hẹn tôi quay lại nhiều lần mà không nói rõ thiếu giấy tờ gì."


def _filed(response):
    html = response.get_data(as_text=True)
    code = re.search(r'id="pakn-code"><strong>([^<]+)<', html).group(1)
    key = re.search(r'id="pakn-key"><strong>([^<]+)<', html).group(1)
    return code, key


def test_citizen_files_from_the_lookup_page_staff_answer_citizen_rates(demo, client, auth):
    d = receive("1.009994", at=vn(2026, 11, 30, 9, 0))
    page = client.get(f"/lookup/{d.code}?key={d.lookup_key}").get_data(as_text=True)
    assert 'id="file-pakn"' in page
    form = client.get(f"/pakn/new?code={d.code}&key={d.lookup_key}")
    assert form.status_code == 200 and d.code in form.get_data(as_text=True)
    agency = str(d.receiving_agency_id)
    r = client.post("/pakn/new", data={"dossier_code": d.code, "dossier_key": d.lookup_key, "kind": "complaint",
                                       "agency": agency, "content": TEXT, "contact_name": "Nguyễn Văn Đức"})
    assert r.status_code == 201
    code, key = _filed(r)
    item = db.session.execute(sa.select(Pakn).where(Pakn.code == code)).scalar_one()
    assert item.dossier_id == d.id and item.key == key
    # Staff of the desk see it first in their list, and on the dossier page.
    auth.login("tiepnhan")
    assert code in client.get("/pakn/staff").get_data(as_text=True)
    assert code in client.get(f"/reception/dossiers/{d.code}").get_data(as_text=True)
    r = client.post(f"/pakn/staff/{code}", data={"answer": "Trung tâm đã kiểm tra và xin lỗi ông/bà."})
    assert r.status_code == 302
    auth.logout()
    view = client.get(f"/pakn/{code}?key={key}").get_data(as_text=True)
    assert "Trung tâm đã kiểm tra và xin lỗi" in view
    assert client.post(f"/pakn/{code}/rate", data={"key": key, "rating": "satisfied"}).status_code == 302
    assert client.post(f"/pakn/{code}/rate", data={"key": key, "rating": "not_satisfied"}).status_code == 302
    db.session.expire_all()
    item = db.session.get(Pakn, item.id)
    assert item.status == PaknStatus.ANSWERED and item.rating == Rating.SATISFIED


def test_anonymous_pakn_about_a_desk_and_bad_input(demo, client):
    centre = agencies.get_by_identifier(CENTER)
    assert client.post("/pakn/new", data={"kind": "recommendation", "agency": "", "content": TEXT}).status_code == 422
    r = client.post("/pakn/new", data={"kind": "complaint", "agency": str(centre.id), "content": "ngắn"})
    assert r.status_code == 422 and "ít nhất" in r.get_data(as_text=True)
    r = client.post("/pakn/new", data={"kind": "recommendation", "agency": str(centre.id), "content": TEXT,
                                       "anonymous": "y", "contact_name": "Không lưu"})
    assert r.status_code == 201
    assert db.session.execute(sa.select(Pakn.contact_name, Pakn.anonymous)).one() == (None, True)


def test_someone_elses_key_sees_nothing_and_staff_of_other_agencies_are_refused(demo, client, auth):
    item = pakn.file(kind="complaint", agency=agencies.get_by_identifier(CENTER), content=TEXT,
                     contact_name="Nguyễn Văn Đức", contact_phone="0912345678")
    db.session.commit()
    for url in (f"/pakn/{item.code}?key=ABCDEFGH", f"/pakn/{item.code}"):
        r = client.get(url)
        assert r.status_code == 404 and TEXT not in r.get_data(as_text=True)
        assert "0912345678" not in r.get_data(as_text=True)
    assert client.post(f"/pakn/{item.code}/rate", data={"key": "ABCDEFGH", "rating": "satisfied"}).status_code == 404
    assert client.post("/pakn/", data={"code": item.code, "key": "ABCDEFGH"}).status_code == 404
    assert client.post("/pakn/", data={"code": item.code, "key": item.key}).status_code == 302
    auth.login("chuyenvien")
    assert client.get(f"/pakn/staff/{item.code}").status_code == 404
    assert item.code not in client.get("/pakn/staff").get_data(as_text=True)
    assert client.post(f"/pakn/staff/{item.code}", data={"answer": "Không phải việc của tôi."}).status_code == 404
    assert client.get("/pakn/portal-sync").status_code == 403
    auth.logout()
    assert client.get("/pakn/staff").status_code in (302, 401)
    db.session.expire_all()
    assert db.session.get(Pakn, item.id).status == PaknStatus.OPEN


def test_admin_sees_the_portal_sync_counts(demo, client, auth):
    receive("1.009994", at=vn(2026, 11, 30, 9, 0))
    auth.login("admin")
    r = client.get("/pakn/portal-sync")
    assert r.status_code == 200 and "Chờ gửi" in r.get_data(as_text=True)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_forms_need_the_csrf_token(demo, client, auth):
    centre = agencies.get_by_identifier(CENTER)
    r = client.post("/pakn/new", data={"kind": "complaint", "agency": str(centre.id), "content": TEXT})
    assert r.status_code == 400
    assert db.session.execute(sa.select(sa.func.count()).select_from(Pakn)).scalar() == 0
