"""The public verification page: upload a PDF, read whether its seal holds and why not."""
import io

import pytest
from signingkit import sample_pdf, sealed_by_foreign_ca, tampered

from onestop import signing


def check(client, data: bytes, name: str = "ket-qua.pdf", mimetype: str = "application/pdf"):
    return client.post("/verify/", data={"file": (io.BytesIO(data), name, mimetype)},
                       content_type="multipart/form-data")


def test_the_form_is_public(client):
    r = client.get("/verify/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'type="file"' in html and "Kiểm tra văn bản điện tử" in html


def test_a_sealed_result_is_valid_by_its_agency(client, demo):
    r = check(client, signing.seal(sample_pdf(), "000.00.21.H56", reason="Kết quả"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Hợp lệ — ký bởi Sở Xây dựng, lúc " in html and "không bị sửa đổi" in html
    assert "Không hợp lệ" not in html


@pytest.mark.parametrize("case, reason", [
    ("tampered", "nội dung tệp đã bị thay đổi sau khi ký"),
    ("foreign", "chứng thư số không được tin cậy"),
    ("unsigned", "tệp không có chữ ký số"),
])
def test_invalid_files_say_why(app, client, demo, case, reason):
    if case == "tampered":
        data = tampered(signing.seal(sample_pdf(), "000.00.21.H56", reason="Kết quả"))
    elif case == "foreign":
        data = sealed_by_foreign_ca(app, sample_pdf(), "000.00.21.H56", "Sở Xây dựng")
    else:
        data = sample_pdf()
    html = check(client, data).get_data(as_text=True)
    assert "Không hợp lệ" in html and reason in html
    assert "Hợp lệ — ký bởi" not in html


def test_images_disguised_and_oversize_files_are_refused_clearly(app, client):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    r = check(client, png, "anh.png", "image/png")
    assert r.status_code == 422 and "Chỉ kiểm tra được tệp PDF" in r.get_data(as_text=True)
    r = check(client, b"MZ\x90\x00" * 50, "ket-qua.pdf")
    assert r.status_code == 422 and "không phải PDF" in r.get_data(as_text=True)
    app.config["ONESTOP_UPLOAD_MAX_BYTES"] = 1000
    r = check(client, sample_pdf() + b"%" * 2000)
    assert r.status_code == 422 and "vượt quá dung lượng" in r.get_data(as_text=True)
    r = client.post("/verify/", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Chưa chọn tệp" in r.get_data(as_text=True)


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_VERIFY_LIMIT="2 per minute")
def test_checks_are_rate_limited(client):
    codes = [check(client, sample_pdf()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_post_without_the_csrf_token_is_refused(client):
    r = check(client, sample_pdf())
    assert r.status_code in (400, 422) and "Hợp lệ — ký bởi" not in r.get_data(as_text=True)


def test_sealing_and_checking_work_while_an_event_loop_runs(app, client, demo):
    """A browser driver or an async server in the same thread has a running loop; pyHanko's blocking calls
    must still seal and verify (they failed with "cannot be called from a running event loop")."""
    import asyncio
    import threading

    async def inside_a_loop():
        data = signing.seal(sample_pdf(), "000.00.21.H56", reason="Kết quả")
        return data, signing.verify(data)

    out = {}

    def in_a_thread_of_its_own():  # this test's thread may already run the browser tests' loop
        with app.app_context():
            out["answer"] = asyncio.run(inside_a_loop())

    thread = threading.Thread(target=in_a_thread_of_its_own)
    thread.start()
    thread.join(60)
    data, verification = out["answer"]
    assert verification.valid and verification.signer == "Sở Xây dựng"
    assert "Hợp lệ — ký bởi Sở Xây dựng" in check(client, data).get_data(as_text=True)
