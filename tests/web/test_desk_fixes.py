"""Issue 19: what a clerk and a specialist tripped over at the desk (items 1-8, 11)."""
import io
import re
from datetime import timedelta

import pytest
from factories import APPLICANT, act, procedure, receive

from onestop import intake_checks
from onestop.extensions import db
from onestop.models import Attachment, Dossier
from onestop.timeutil import now as utcnow

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def intake_data(code="1.009994", outcome="accept", **overrides):
    proc = procedure(code)
    data = {"procedure_code": code, "outcome": outcome, "channel": "counter", "fee": str(proc.fee), "sets": "1",
            "full_name": APPLICANT["full_name"], "id_number": "079201009999", "phone": APPLICANT["phone"],
            "intake_token": "tok-" + "a" * 20}
    for i, doc in enumerate(proc.documents):
        data.update({f"documents-{i}-name": doc.name, f"documents-{i}-originals": str(doc.originals),
                     f"documents-{i}-certified_copies": "0", f"documents-{i}-copies": str(doc.copies),
                     f"documents-{i}-received": "y"})
    data.update(overrides)
    return data


def html(resp) -> str:
    return resp.get_data(as_text=True)


def count() -> int:
    return db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one()


@pytest.fixture
def stopped(demo):
    d = receive("1.004227")
    act(d, "forward", "tiepnhan")
    act(d, "stop", "chuyenvien.tnmt", reason="Khu vực không được phép khai thác nước dưới đất")
    return d


# -- 1: the header counters on the processing pages ---------------------------------------

def test_counters_show_numbers_on_processing_pages_and_link_where_the_user_may_go(client, auth, demo):
    d = receive("1.004227", at=utcnow() - timedelta(days=60))
    act(d, "forward", "tiepnhan", at=utcnow() - timedelta(days=59))
    auth.login("chuyenvien.tnmt")
    for url in ("/processing/", f"/processing/dossiers/{d.code}"):
        body = html(client.get(url))
        assert re.search(r"Quá hạn: 1<", body), url
        assert 'href=""' not in body
    auth.logout()
    auth.login("tiepnhan")
    body = html(client.get("/reception/"))
    link = re.search(r'href="([^"]*)"[^>]*title="Quá hạn"', body).group(1)
    assert client.get(link).status_code == 200


# -- 2: a stopped dossier at the desk ---------------------------------------------------------

def test_a_stopped_dossier_is_returned_at_the_desk_with_its_stop_notice(client, auth, stopped):
    auth.login("tiepnhan")
    returns = html(client.get("/reception/returns"))
    assert stopped.code in returns and "Dừng xử lý" in returns
    page = html(client.get(f"/reception/dossiers/{stopped.code}"))
    assert "Xác nhận đã trả kết quả" in page and "Trả thông báo từ chối giải quyết" in page
    assert f"/reception/dossiers/{stopped.code}/stop-notice.pdf" in page
    due = re.search(r'<dd[^>]*id="due-at"[^>]*>', page).group(0)
    assert "fw-semibold" not in due and "không còn hiệu lực" in page
    pdf = client.get(f"/reception/dossiers/{stopped.code}/stop-notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

    r = client.post(f"/reception/dossiers/{stopped.code}/return",
                    data={"version": str(stopped.version), "collected_by": APPLICANT["full_name"]})
    assert r.status_code == 302
    db.session.expire_all()
    assert stopped.status == "stopped" and stopped.returned_at is not None  # still counted as stopped
    assert stopped.code not in html(client.get("/reception/returns")).split('id="returns"')[1]
    assert "Xác nhận đã trả kết quả" not in html(client.get(f"/reception/dossiers/{stopped.code}"))


# -- 3: the preview keeps the chosen scan ---------------------------------------------------------

def test_preview_keeps_the_scan_and_acceptance_saves_it(client, auth, demo):
    auth.login("tiepnhan")
    data = intake_data(outcome="preview", scans=(io.BytesIO(PDF), "don-de-nghi.pdf", "application/pdf"))
    r = client.post("/reception/intake", data=data, content_type="multipart/form-data")
    assert r.status_code == 200 and "don-de-nghi.pdf" in html(r) and count() == 0
    r = client.post("/reception/intake", data=intake_data(), content_type="multipart/form-data")
    assert r.status_code == 302
    att = db.session.execute(db.select(Attachment).filter_by(kind="scan")).scalar_one()
    assert att.original_name == "don-de-nghi.pdf"
    assert client.get(f"/reception/files/{att.id}").data == PDF


def test_another_clerks_token_does_not_pick_up_the_scan(client, auth, demo):
    auth.login("tiepnhan")
    data = intake_data(outcome="preview", scans=(io.BytesIO(PDF), "don.pdf", "application/pdf"))
    client.post("/reception/intake", data=data, content_type="multipart/form-data")
    auth.logout()
    auth.login("tiepnhan.chinhanh")
    assert client.post("/reception/intake", data=intake_data()).status_code == 302
    assert db.session.execute(db.select(db.func.count(Attachment.id)).filter_by(kind="scan")).scalar_one() == 0


# -- 4: a 13-digit ID number -----------------------------------------------------------------

def test_a_13_digit_id_number_is_not_cut_by_the_page_and_the_server_says_why(client, auth, demo):
    auth.login("tiepnhan")
    page = html(client.get("/reception/intake?procedure=1.009994"))
    id_input = re.search(r'<input[^>]*id="id_number"[^>]*>', page).group(0)
    assert "maxlength" not in id_input
    r = client.post("/reception/intake", data=intake_data(id_number="0792010099991"))
    assert r.status_code == 422 and "12 chữ số" in html(r) and count() == 0


# -- 5: the same applicant and procedure twice in a short time ---------------------------------------

def test_the_same_applicant_and_procedure_twice_asks_the_clerk_to_confirm(client, auth, demo):
    auth.login("tiepnhan")
    assert client.post("/reception/intake", data=intake_data(intake_token="first-" + "b" * 20)).status_code == 302
    r = client.post("/reception/intake", data=intake_data(intake_token="second-" + "c" * 20))
    assert r.status_code == 409 and "Có thể trùng hồ sơ" in html(r) and count() == 1
    first = db.session.execute(db.select(Dossier)).scalar_one()
    r = client.post("/reception/intake", data=intake_data(intake_token="second-" + "c" * 20,
                                                          confirm_duplicate=first.code))
    assert r.status_code == 302 and count() == 2


def test_the_duplicate_rule_has_a_window(demo):
    d = receive("1.009994", applicant=dict(APPLICANT))
    now = utcnow()
    assert intake_checks.recent_duplicate(d.procedure, APPLICANT["id_number"], now) == d
    later = now + timedelta(minutes=intake_checks.window_minutes() + 1)
    assert intake_checks.recent_duplicate(d.procedure, APPLICANT["id_number"], later) is None
    assert intake_checks.recent_duplicate(procedure("1.004227"), APPLICANT["id_number"], now) is None


# -- 6: completing needs a result and a confirmation -------------------------------------------------

def _at_last_step():
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    return d


def test_complete_needs_a_result_and_a_confirmation(client, auth, demo):
    d = _at_last_step()
    auth.login("chuyenvien")
    url = f"/processing/dossiers/{d.code}/actions/complete"
    r = client.post(url, data={"complete-version": str(d.version), "complete-confirm": "y"},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Đính kèm tệp kết quả hoặc ghi rõ kết quả" in html(r)
    r = client.post(url, data={"complete-version": str(d.version), "complete-note": "Đã cấp giấy phép số 12"},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Đánh dấu xác nhận" in html(r)
    db.session.expire_all()
    assert d.status == "processing"
    r = client.post(url, data={"complete-version": str(d.version), "complete-confirm": "y",
                               "complete-result_file": (io.BytesIO(PDF), "giay-phep.pdf", "application/pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    db.session.expire_all()
    assert d.status == "result_ready"
    assert db.session.execute(db.select(Attachment).filter_by(kind="result")).scalar_one().dossier_id == d.id


# -- 7: a two-tab conflict -------------------------------------------------------------------

def test_a_stale_action_lands_on_the_dossier_page_without_actions_for_the_old_holder(client, auth, demo):
    d = receive("1.004227")
    act(d, "forward", "tiepnhan")
    old = d.version
    act(d, "forward", "chuyenvien.tnmt")  # the other tab already handed it to Sở Xây dựng
    auth.login("chuyenvien.tnmt")
    r = client.post(f"/processing/dossiers/{d.code}/actions/stop",
                    data={"stop-version": str(old), "stop-reason": "Không đủ điều kiện"},
                    content_type="multipart/form-data")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/processing/dossiers/{d.code}")
    page = html(client.get(r.headers["Location"]))
    assert "Hồ sơ đã được cập nhật bởi người khác" in page
    assert 'id="action-' not in page and "/actions/" not in page


# -- 8: the gaps still open from last session --------------------------------------------------------

def test_slips_open_in_a_new_tab_and_the_receipt_is_offered_after_acceptance(client, auth, demo):
    auth.login("tiepnhan")
    page = html(client.get("/reception/intake?procedure=1.009994"))
    for outcome in ("supplement", "refuse"):
        button = re.search(rf'<button[^>]*value="{outcome}"[^>]*>', page).group(0)
        assert 'formtarget="_blank"' in button
    r = client.post("/reception/intake", data=intake_data())
    assert "printed=receipt" in r.headers["Location"]
    body = html(client.get(r.headers["Location"]))
    assert 'id="receipt-ready"' in body and "Mở giấy tiếp nhận để in" in body


def test_names_with_markup_are_refused_and_small_scans_show_bytes(client, auth, demo):
    auth.login("tiepnhan")
    r = client.post("/reception/intake", data=intake_data(full_name="Nguyễn <b>An</b>"))
    assert r.status_code == 422 and "không được chứa ký tự" in html(r) and count() == 0
    d = receive("1.009994")
    client.post(f"/reception/dossiers/{d.code}/scans", data={"scans": (io.BytesIO(PDF), "a.pdf")},
                content_type="multipart/form-data")
    page = html(client.get(f"/reception/dossiers/{d.code}"))
    assert f"({len(PDF)} B ·" in page and "(0 KB" not in page


# -- 11: the base URL of QR codes and lookup links ------------------------------------------------------

@pytest.mark.parametrize(("host", "expected"), [("127.0.0.1:5123", "http://127.0.0.1:5123/lookup/"),
                                                ("localhost:8080", "http://localhost:8080/lookup/"),
                                                ("evil.example", "http://127.0.0.1:5000/lookup/")])
def test_the_lookup_link_follows_a_trusted_served_address_only(app, demo, host, expected):
    from onestop import papers

    app.config.update(ONESTOP_BASE_URL="http://127.0.0.1:5000", ONESTOP_BASE_URL_FIXED=False)
    d = receive("1.009994")
    with app.test_request_context("/reception/", base_url=f"http://{host}"):
        assert papers.lookup_url(d).startswith(expected)


def test_a_set_base_url_wins_and_trusted_hosts_are_honoured(app, client, auth, demo):
    from onestop.urls import base_url

    app.config.update(ONESTOP_BASE_URL="https://dichvucong.example.vn", ONESTOP_BASE_URL_FIXED=True)
    with app.test_request_context("/", base_url="http://127.0.0.1:7000"):
        assert base_url() == "https://dichvucong.example.vn"
    app.config.update(ONESTOP_BASE_URL="http://127.0.0.1:5000", ONESTOP_BASE_URL_FIXED=False,
                      ONESTOP_TRUSTED_HOSTS=["motcua.sonha.gov.vn"],
                      ENV_NAME="production")
    with app.test_request_context("/", base_url="https://motcua.sonha.gov.vn"):
        assert base_url() == "https://motcua.sonha.gov.vn"
    with app.test_request_context("/", base_url="http://127.0.0.1:7000"):  # production: loopback is not trusted
        assert base_url() == "https://motcua.sonha.gov.vn"  # the last trusted address served
    with app.app_context():  # a job without a request
        assert base_url() == "https://motcua.sonha.gov.vn"
