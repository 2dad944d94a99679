"""A PAKN form sent twice (a double click, Back and send again, a retry) files one PAKN, not two."""
from __future__ import annotations

import re
import threading

import sqlalchemy as sa

from onestop import agencies
from onestop.devdata.demo import CENTER
from onestop.extensions import db
from onestop.models import Pakn

TEXT = "Cán bộ hẹn tôi quay lại nhiều lần mà không nói rõ thiếu giấy tờ gì."


def _token(client) -> str:
    html = client.get("/pakn/new").get_data(as_text=True)
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)


def _code(response) -> str:
    return re.search(r'id="pakn-code"><strong>([^<]+)<', response.get_data(as_text=True)).group(1)


def _count() -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(Pakn)).scalar_one()


def test_the_same_form_sent_twice_files_one_pakn(demo, client):
    centre = agencies.get_by_identifier(CENTER)
    token = _token(client)
    data = {"kind": "complaint", "agency": str(centre.id), "content": TEXT, "form_token": token}
    first = client.post("/pakn/new", data=data)
    again = client.post("/pakn/new", data=data)
    assert first.status_code == again.status_code == 201
    assert _code(first) == _code(again)
    assert _count() == 1
    # a new form (a new token) is a new PAKN
    other = client.post("/pakn/new", data={**data, "form_token": _token(client)})
    assert other.status_code == 201 and _code(other) != _code(first)
    assert _count() == 2
    # each form shown carries a fresh token
    assert _token(client) != _token(client)


def test_a_corrected_form_keeps_its_token_and_files_once(demo, client):
    centre = agencies.get_by_identifier(CENTER)
    token = _token(client)
    bad = client.post("/pakn/new", data={"kind": "complaint", "agency": str(centre.id), "content": "ngắn",
                                         "form_token": token})
    assert bad.status_code == 422 and f'value="{token}"' in bad.get_data(as_text=True)
    data = {"kind": "complaint", "agency": str(centre.id), "content": TEXT, "form_token": token}
    assert client.post("/pakn/new", data=data).status_code == 201
    assert client.post("/pakn/new", data=data).status_code == 201
    assert _count() == 1


def test_two_requests_at_the_same_moment_file_one_pakn(app, demo):
    centre = agencies.get_by_identifier(CENTER)
    db.session.commit()
    data = {"kind": "complaint", "agency": str(centre.id), "content": TEXT, "form_token": "double-click-token-1"}
    codes, barrier = [], threading.Barrier(2)

    def send():
        with app.test_client() as c:
            barrier.wait()
            r = c.post("/pakn/new", data=data)
            codes.append((r.status_code, _code(r)))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(codes) == 2 and codes[0] == codes[1] and codes[0][0] == 201
    assert _count() == 1


def test_the_admin_menu_links_to_the_portal_sync(demo, client, auth):
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/pakn/portal-sync">Đồng bộ Cổng DVC quốc gia</a>' in html
    assert client.get("/pakn/portal-sync").status_code == 200
