"""The floor's pages: who may open what, CSRF, nothing personal on public pages, the PDF ticket."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from factories import APPLICANT, documents_of, procedure

from onestop import queue
from onestop.agencies import get_by_identifier
from onestop.extensions import db
from onestop.models import AuditLog, CounterRating, QueueCounter, QueueTicket

CENTER = "000.00.17.H56"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _counter(number: int) -> QueueCounter:
    center = get_by_identifier(CENTER)
    return db.session.execute(sa.select(QueueCounter).filter_by(agency_id=center.id, number=number)).scalar_one()


def _kiosk_url() -> str:
    center = get_by_identifier(CENTER)
    return f"/queue/kiosk/{CENTER}?k={queue.kiosk_key(center)}"


def _take(client, field="Xây dựng", token="t1"):
    page = client.get(_kiosk_url())
    assert page.status_code == 200
    return client.post(_kiosk_url(), data={"csrf_token": _csrf(page.get_data(as_text=True)), "field": field,
                                           "request_token": token})


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_kiosk_needs_its_key_and_a_csrf_token_and_gives_one_ticket_per_tap(client, demo):
    assert client.get(f"/queue/kiosk/{CENTER}").status_code == 404
    assert client.get(f"/queue/kiosk/{CENTER}?k=wrong").status_code == 404
    page = client.get(_kiosk_url()).get_data(as_text=True)
    assert "Xây dựng" in page and "Lấy số thứ tự" in page
    assert client.post(_kiosk_url(), data={"field": "Xây dựng"}).status_code == 400  # no CSRF token
    first = _take(client)
    assert first.status_code == 303
    again = _take(client)  # the same form posted twice
    assert again.headers["Location"] == first.headers["Location"]
    ticket_page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert ">1<" in ticket_page and "Số người chờ trước bạn: 0" in ticket_page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QueueTicket)) == 1


def test_public_ticket_status_and_board_show_numbers_only(client, demo):
    center = get_by_identifier(CENTER)
    ticket = queue.take_number(center, "Xây dựng")
    queue.call_next(_counter(1), demo_clerk())
    proc = procedure("1.009994")
    from onestop import workflow
    dossier = workflow.intake(actor=demo_clerk(), procedure=proc, applicant=dict(APPLICANT), channel="counter",
                              documents=documents_of(proc))
    queue.link_dossier(demo_clerk(), dossier)
    db.session.commit()
    status = client.get(f"/queue/t/{ticket.token}").get_data(as_text=True)
    board = client.get(f"/queue/board/{CENTER}").get_data(as_text=True)
    state = client.get(f"/queue/board/{CENTER}/state.json").get_json()
    assert "Mời công dân số 1 đến quầy 1" in status and "Mời công dân số 1 đến quầy 1" in board
    assert state["calls"][0]["number"] == 1 and state["calls"][0]["counter"] == 1
    for text in (status, board, str(state)):
        for personal in (APPLICANT["full_name"], APPLICANT["id_number"], APPLICANT["phone"], dossier.code,
                         "Trần Thị Tiếp Nhận"):
            assert personal not in text
    assert client.get("/queue/t/not-a-ticket").status_code == 404


def demo_clerk():
    from factories import user
    return user("tiepnhan")


def test_the_ticket_pdf_is_an_80_mm_slip_with_the_number(client, demo):
    from pypdf import PdfReader

    ticket = queue.take_number(get_by_identifier(CENTER), "Xây dựng")
    db.session.commit()
    answer = client.get(f"/queue/t/{ticket.token}/ticket.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    box = reader.pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 80
    text = reader.pages[0].extract_text()
    assert "PHIẾU SỐ THỨ TỰ" in text and "Xây dựng" in text and "1" in text
    assert "Số người chờ trước bạn: 0" in text


@pytest.mark.parametrize("path", ["/queue/counter", "/queue/counter/{id}", "/queue/report"])
def test_staff_pages_need_sign_in(client, demo, path):
    answer = client.get(path.format(id=_counter(1).id))
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]


@pytest.mark.parametrize(("username", "status"), [
    ("tiepnhan", 200), ("tiepnhan.tanphu", 403), ("chuyenvien", 403), ("admin", 403)])
def test_only_clerks_of_the_desk_open_its_counter(client, auth, demo, username, status):
    auth.login(username)
    assert client.get(f"/queue/counter/{_counter(1).id}").status_code == status
    assert client.post(f"/queue/counter/{_counter(1).id}/call").status_code in (status if status != 200 else 303,)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_counter_actions_need_csrf_and_run_the_floor(client, demo):
    login = _csrf(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"username": "tiepnhan", "password": "onestop2026", "csrf_token": login})
    queue.take_number(get_by_identifier(CENTER), "Xây dựng")
    db.session.commit()
    one = _counter(1)
    assert client.post(f"/queue/counter/{one.id}/call").status_code == 400
    token = _csrf(client.get(f"/queue/counter/{one.id}").get_data(as_text=True))
    for action in ("call", "recall", "start"):
        assert client.post(f"/queue/counter/{one.id}/{action}", data={"csrf_token": token}).status_code == 303
    page = client.get(f"/queue/counter/{one.id}").get_data(as_text=True)
    assert "Đang phục vụ" in page
    busy = client.post(f"/queue/counter/{one.id}/call", data={"csrf_token": token}, follow_redirects=True)
    assert "hãy hoàn thành" in busy.get_data(as_text=True)
    client.post(f"/queue/counter/{one.id}/finish", data={"csrf_token": token})
    assert db.session.execute(sa.select(QueueTicket.state)).scalar_one() == "done"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_rating_tablet_is_anonymous_needs_its_key_and_takes_one_rating(client, demo):
    one = _counter(1)
    url = f"/queue/rate/{one.id}?k={queue.rating_key(one)}"
    assert client.get(f"/queue/rate/{one.id}").status_code == 404
    assert client.get(f"/queue/rate/{_counter(2).id}?k={queue.rating_key(one)}").status_code == 404
    ticket = queue.take_number(get_by_identifier(CENTER), "Xây dựng")
    queue.call_next(one, demo_clerk())
    queue.finish(one, demo_clerk())
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Rất hài lòng" in page and "Trần Thị Tiếp Nhận" not in page
    data = {"csrf_token": _csrf(page), "ticket_id": ticket.id, "rating": "very_satisfied", "asked_money": "no"}
    assert client.post(url, data={k: v for k, v in data.items() if k != "csrf_token"}).status_code == 400
    assert client.post(url, data=data).status_code == 303
    assert client.post(url, data=data, follow_redirects=True).status_code == 200  # told it is already rated
    row = db.session.execute(sa.select(CounterRating)).scalar_one()
    assert (row.rating, row.asked_money, row.came_again) == ("very_satisfied", False, None)
    assert client.get(f"/queue/rate/{one.id}/state.json?k={queue.rating_key(one)}").get_json()["ticket"] is None


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_KIOSK_LIMIT="5 per minute")
def test_a_stranger_flooding_the_kiosk_form_does_not_spend_the_kiosks_budget(client, demo):
    stranger = f"/queue/kiosk/{CENTER}?k=guess"
    for _ in range(10):
        client.post(stranger, data={"field": "Xây dựng"})
    assert client.post(stranger, data={"field": "Xây dựng"}).status_code == 429
    statuses = [client.post(_kiosk_url(), data={"field": "Xây dựng"}).status_code for _ in range(5)]
    assert statuses == [303] * 5
    assert client.post(_kiosk_url(), data={"field": "Xây dựng"}).status_code == 429


def test_admin_adds_a_counter_audited_and_sees_the_device_addresses(client, auth, demo):
    auth.login("admin")
    page = client.get(f"/admin/counters?desk={CENTER}").get_data(as_text=True)
    assert "Quầy Xây dựng" in page and queue.kiosk_key(get_by_identifier(CENTER)) in page
    answer = client.post("/admin/counters", data={"agency": CENTER, "number": "9", "name": "Quầy Hộ tịch",
                                                  "served_fields": "Hộ tịch\nChứng thực", "active": "y"})
    assert answer.status_code == 303
    counter = _counter(9)
    assert counter.fields == ["Hộ tịch", "Chứng thực"]
    assert db.session.execute(sa.select(AuditLog).filter_by(action="queue.counter_created")).scalar_one()
    clash = client.post("/admin/counters", data={"agency": CENTER, "number": "9", "name": "Trùng", "active": "y"})
    assert clash.status_code == 422 and "đã có quầy số 9" in clash.get_data(as_text=True)
    auth.logout()
    auth.login("tiepnhan")
    assert client.get("/admin/counters").status_code == 403


def test_the_queue_report_for_leaders(client, auth, demo):
    center = get_by_identifier(CENTER)
    queue.take_number(center, "Xây dựng")
    queue.call_next(_counter(1), demo_clerk())
    db.session.commit()
    auth.login("admin")
    for by in ("desk", "counter", "field", "hour"):
        page = client.get(f"/queue/report?by={by}")
        assert page.status_code == 200
    assert "Xây dựng" in client.get("/queue/report?by=field").get_data(as_text=True)
    auth.logout()
    auth.login("tiepnhan")
    assert client.get("/queue/report").status_code == 403
