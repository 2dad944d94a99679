"""The citizens' lookup page: what each status says, and what never shows without the key."""
import re

import pytest
from factories import APPLICANT, act, receive, vn

from onestop import citizen
from onestop.errors import NotFound

PERSONAL = [APPLICANT["full_name"], APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["email"],
            APPLICANT["address"], "Nguyễn V**", "duc.nguyen"]
SUPPLEMENT_DOCS = ["Bản vẽ mặt bằng công trình có chữ ký", "Bản sao sổ hộ khẩu"]


def build(status: str):
    """A dossier of 1.009994 (desk -> Sở Xây dựng) brought to the given status."""
    if status in ("submitted", "not_accepted"):
        d = receive("1.009994", at=vn(2026, 11, 2, 9, 0), channel="online")
        if status == "not_accepted":
            act(d, "refuse", "tiepnhan", at=vn(2026, 11, 2, 14, 0), reason="Sai thẩm quyền giải quyết của tỉnh")
        return d
    if status == "apology":
        d = receive("1.009994", at=vn(2026, 11, 16, 9, 0))
        act(d, "forward", "tiepnhan", at=vn(2026, 11, 16, 10, 0))
        act(d, "apologize", "chuyenvien", at=vn(2026, 11, 20, 9, 0), reason="Cần kiểm tra thực địa bổ sung",
            new_due_at=vn(2026, 12, 28, 16, 0))
        return d
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    if status == "received":
        return d
    if status == "withdrawn":
        act(d, "withdraw", "tiepnhan", at=vn(2026, 11, 2, 10, 0), reason="Người nộp xin rút để hoàn thiện")
        return d
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    if status == "supplement_requested":
        act(d, "request_supplement", "chuyenvien", at=vn(2026, 11, 3, 9, 0), reason="Bản vẽ chưa đúng tỷ lệ",
            documents=SUPPLEMENT_DOCS)
    elif status == "awaiting_payment":
        act(d, "request_payment", "chuyenvien", at=vn(2026, 11, 3, 9, 0), amount=1250000)
    elif status == "stopped":
        act(d, "stop", "chuyenvien", at=vn(2026, 11, 4, 9, 0), reason="Khu đất nằm trong quy hoạch giao thông")
    elif status in ("result_ready", "returned"):
        act(d, "complete", "chuyenvien", at=vn(2026, 11, 5, 9, 0))
        if status == "returned":
            act(d, "return", "tiepnhan", at=vn(2026, 11, 6, 9, 0), collected_by=APPLICANT["full_name"])
    return d


def page(client, d, key=None):
    url = f"/lookup/{d.code}" + (f"?key={key}" if key else "")
    return client.get(url)


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", html)


# What each status must tell the applicant (with the key).
EXPECTED = {
    "submitted": ["Mới đăng ký", "đang chờ Bộ phận Một cửa kiểm tra và tiếp nhận"],
    "received": ["Được tiếp nhận", "đã được tiếp nhận tại Trung tâm Phục vụ hành chính công tỉnh Sơn Hà",
                 "Hẹn trả kết quả lúc"],
    "processing": ["Đang xử lý", "đang được xử lý tại Sở Xây dựng", "Cơ quan đang giữ hồ sơ"],
    "supplement_requested": ["Yêu cầu bổ sung giấy tờ", "Giấy tờ cần bổ sung", *SUPPLEMENT_DOCS,
                             "Bản vẽ chưa đúng tỷ lệ", "tính lại từ đầu"],
    "awaiting_payment": ["Yêu cầu thực hiện nghĩa vụ tài chính", "1.250.000 đ", "không tính vào thời hạn"],
    "not_accepted": ["Không được tiếp nhận", "Sai thẩm quyền giải quyết của tỉnh"],
    "withdrawn": ["Công dân yêu cầu rút hồ sơ", "đã được rút theo yêu cầu"],
    "stopped": ["Dừng xử lý", "đã dừng xử lý hồ sơ", "Khu đất nằm trong quy hoạch giao thông"],
    "result_ready": ["Đã xử lý xong", "Nơi và thời gian nhận kết quả",
                     "Quầy số 3, Trung tâm Phục vụ hành chính công tỉnh",
                     "07:00–11:30 và 13:30–17:00", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Trước hạn"],
    "returned": ["Đã trả kết quả", "Kết quả đã được trả lúc 09:00 ngày 06/11/2026", "Đánh giá mức độ hài lòng"],
    "apology": ["Xin lỗi và hẹn lại ngày trả kết quả", "Hẹn mới:", "16:00 ngày 28/12/2026",
                "Cần kiểm tra thực địa bổ sung", "Hồ sơ bị chậm so với hẹn ban đầu", "Đã hẹn lại ngày trả kết quả"],
}


@pytest.mark.parametrize("status", list(EXPECTED))
def test_page_for_each_status_says_the_right_thing(client, demo, status):
    d = build(status)
    response = page(client, d, d.lookup_key)
    assert response.status_code == 200
    body = text_of(response)
    for phrase in EXPECTED[status]:
        assert phrase in body, phrase
    assert APPLICANT["full_name"] in body
    assert "Sơn Hà" in body and d.procedure.name in body


@pytest.mark.parametrize("status", list(EXPECTED))
def test_nothing_personal_without_the_key(client, demo, status):
    d = build(status)
    for response in (page(client, d), page(client, d, "WRONGKEY"), page(client, d, "079099000111")):
        body = response.get_data(as_text=True)
        for secret in PERSONAL + [d.lookup_key]:
            assert secret not in body, secret
    # The status-only view still tells where the dossier stands.
    body = text_of(page(client, d))
    assert d.status_label in body
    assert "Bạn đang xem thông tin rút gọn" in body


def test_reasons_and_documents_need_the_key(client, demo):
    d = build("supplement_requested")
    body = text_of(page(client, d))
    assert "Yêu cầu bổ sung giấy tờ" in body
    assert SUPPLEMENT_DOCS[0] not in body and "Bản vẽ chưa đúng tỷ lệ" not in body


def test_timeline_shows_agencies_dates_and_results_without_internal_notes(client, demo):
    d = build("returned")
    body = text_of(page(client, d, d.lookup_key))
    assert "Quá trình xử lý" in body
    assert "Tiếp nhận và chuyển hồ sơ" in body and "Sở Xây dựng" in body
    assert "Nhận hồ sơ: 10:00 ngày 02/11/2026" in body
    assert "Hoàn thành: 09:00 ngày 05/11/2026" in body
    assert "Trước hạn" in body
    assert "Người nhận:" not in body  # the return event's internal note


def test_qr_url_from_the_receipt_opens_the_full_view(app, client, demo):
    d = build("processing")
    qr = f"{app.config['ONESTOP_BASE_URL']}/lookup/{d.code}?key={d.lookup_key}"
    response = client.get(qr.removeprefix(app.config["ONESTOP_BASE_URL"]))
    assert response.status_code == 200
    assert APPLICANT["full_name"] in response.get_data(as_text=True)


def test_citizen_id_opens_the_full_view_and_lands_on_the_key_url(client, demo):
    d = build("processing")
    response = client.post("/lookup/", data={"code": d.code.lower(), "key": APPLICANT["id_number"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/lookup/{d.code}?key={d.lookup_key}")
    assert APPLICANT["id_number"] not in response.headers["Location"]
    assert APPLICANT["full_name"] in client.get(response.headers["Location"]).get_data(as_text=True)


def test_search_form_without_key_goes_to_status_only_view(client, demo):
    d = build("processing")
    response = client.post("/lookup/", data={"code": f"  {d.code} ", "key": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/lookup/{d.code}")
    response = client.get(f"/lookup/?code={d.code}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/lookup/{d.code}")


def test_search_page_is_accessible_without_javascript(client):
    response = client.get("/lookup/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label class="form-label" for="code">' in html and 'id="code"' in html
    assert '<label class="form-label" for="key">' in html
    assert "<script" not in html and "style=" not in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_empty_search_says_what_is_missing(client):
    response = client.post("/lookup/", data={"code": ""})
    assert response.status_code == 422
    assert "Vui lòng nhập mã hồ sơ." in response.get_data(as_text=True)


def test_unknown_code_and_wrong_key_look_alike(client, demo):
    d = build("processing")
    fake = d.code[:-4] + "9999"
    wrong_key = client.get(f"/lookup/{d.code}?key=ABCDEFGH")
    unknown = client.get(f"/lookup/{fake}?key=ABCDEFGH")
    assert wrong_key.status_code == unknown.status_code == 404
    assert wrong_key.get_data(as_text=True).replace(d.code, "X") == unknown.get_data(as_text=True).replace(fake, "X")
    posted_wrong = client.post("/lookup/", data={"code": d.code, "key": "079099000111"})
    posted_unknown = client.post("/lookup/", data={"code": fake, "key": "079099000111"})
    assert posted_wrong.status_code == posted_unknown.status_code == 404
    assert posted_wrong.get_data(as_text=True).replace(d.code, "X") == \
        posted_unknown.get_data(as_text=True).replace(fake, "X")
    assert "Không tìm thấy hồ sơ" in unknown.get_data(as_text=True)


def test_garbage_codes_never_fail(client, demo):
    for code in ["%3Cscript%3E", "a" * 300, "'; DROP TABLE dossiers;--"]:
        response = client.get(f"/lookup/{code}?key=%FF")
        assert response.status_code == 404
    # A NUL byte cannot be stored or typed: refused before any lookup, with a plain message.
    for url in ("/lookup/%00?key=A", "/lookup/A?key=%00%FF"):
        response = client.get(url)
        assert response.status_code == 400 and "ký tự không hợp lệ" in response.get_data(as_text=True)


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="3 per minute")
def test_too_many_lookups_get_a_friendly_page(client, demo):
    d = build("processing")
    for _ in range(3):
        assert page(client, d).status_code == 200
    response = page(client, d, d.lookup_key)
    assert response.status_code == 429
    body = text_of(response)
    assert "Bạn đã tra cứu quá nhiều lần" in body and "thử lại" in body
    assert "Retry-After" in response.headers
    # Guessing through the search form or the API uses the same budget.
    assert client.post("/lookup/", data={"code": d.code, "key": "ABCDEFGH"}).status_code == 429
    assert client.get(f"/api/v1/lookup/{d.code}").status_code == 429
    assert client.get("/lookup/").status_code == 200  # the empty form is always there


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="3 per minute")
def test_limit_is_per_client(client, demo):
    d = build("processing")
    for _ in range(3):
        page(client, d)
    assert page(client, d).status_code == 429
    other = client.get(f"/lookup/{d.code}", environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


# -- the domain behind the page --------------------------------------------------

def test_mask_name():
    assert citizen.mask_name("Nguyễn Văn Đức") == "Nguyễn V** Đ**"
    assert citizen.mask_name("Lê") == "Lê"
    assert citizen.mask_name(None) is None


def test_find_for_citizen_accepts_key_id_number_any_case(demo):
    d = build("received")
    assert citizen.find_for_citizen(d.code, d.lookup_key.lower()).full
    assert citizen.find_for_citizen(d.code.lower(), f" {APPLICANT['id_number']} ").full
    assert not citizen.find_for_citizen(d.code).full
    for code, key in [(d.code, "X"), ("NOPE", None), ("NOPE", d.lookup_key), (None, None), (d.code, 12)]:
        if key == 12:
            assert not citizen.find_for_citizen(code, key).full  # not a string: no key given
            continue
        with pytest.raises(NotFound) as err:
            citizen.find_for_citizen(code, key)
        assert err.value.message == citizen.NOT_FOUND_MESSAGE


def test_public_view_without_key_has_no_personal_fields(demo):
    d = build("supplement_requested")
    view = citizen.public_view(d, False)
    assert view["applicant_name"] is None and view["applicant_name_masked"] is None
    assert view["details"] is None and view["feedback"] is None
    assert all(secret not in repr(view) for secret in PERSONAL + SUPPLEMENT_DOCS)
    full = citizen.public_view(d, True)
    assert full["applicant_name"] == APPLICANT["full_name"]
    assert full["applicant_name_masked"] == "Nguyễn V** Đ**"
    assert full["details"]["supplement"]["documents"] == SUPPLEMENT_DOCS


def test_notice_link_with_code_and_key_opens_the_full_view(client, demo):
    d = build("processing")
    response = client.get(f"/lookup/?code={d.code}&key={d.lookup_key}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/lookup/{d.code}?key={d.lookup_key}")
    assert APPLICANT["full_name"] in client.get(response.headers["Location"]).get_data(as_text=True)


def test_overdue_dossier_says_so(client, demo):
    d = receive("2.001610", at=vn(2026, 10, 1, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 10, 1, 10, 0))
    body = text_of(page(client, d))
    assert "Quá hạn" in body and "đang được xử lý tại Sở Kế hoạch và Đầu tư" in body


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_search_form_works_with_csrf_on(client, demo):
    d = build("processing")
    html = client.get("/lookup/").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/lookup/", data={"code": d.code, "key": d.lookup_key}).status_code == 400
    response = client.post("/lookup/", data={"code": d.code, "key": d.lookup_key, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"?key={d.lookup_key}")
