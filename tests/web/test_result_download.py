"""The citizen downloads the sealed result from the lookup page, with the key and only with it."""
import io

import pytest
from factories import act, receive
from signingkit import sample_pdf

from onestop import signing
from onestop.extensions import db


def complete_with(client, auth, d, data: bytes, name: str, mimetype: str):
    auth.login("chuyenvien")
    form = {"complete-version": str(d.version), "complete-note": "Cấp giấy phép", "complete-confirm": "y",
            "complete-result_file": (io.BytesIO(data), name, mimetype)}
    r = client.post(f"/processing/dossiers/{d.code}/actions/complete", data=form,
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    auth.logout()
    db.session.refresh(d)


def forwarded():
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    return d


def test_the_key_holder_downloads_the_sealed_result(client, auth, demo):
    d = forwarded()
    complete_with(client, auth, d, sample_pdf(), "giay-phep.pdf", "application/pdf")
    assert d.status == "result_ready" and d.electronic_result is True
    page = client.get(f"/lookup/{d.code}?key={d.lookup_key}").get_data(as_text=True)
    assert "Kết quả điện tử" in page and "có chữ ký số của cơ quan nhà nước" in page
    assert f"/lookup/{d.code}/result?key={d.lookup_key}" in page
    r = client.get(f"/lookup/{d.code}/result?key={d.lookup_key}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "attachment" in r.headers["Content-Disposition"] and "no-store" in r.headers["Cache-Control"]
    result = signing.verify(r.data)
    assert result.valid and result.signer == "Sở Xây dựng"


def test_no_file_without_the_key_or_with_another_dossiers_key(client, auth, demo):
    d = forwarded()
    other = forwarded()
    complete_with(client, auth, d, sample_pdf(), "giay-phep.pdf", "application/pdf")
    assert "Kết quả điện tử" not in client.get(f"/lookup/{d.code}").get_data(as_text=True)
    for url in (f"/lookup/{d.code}/result", f"/lookup/{d.code}/result?key=",
                f"/lookup/{d.code}/result?key={other.lookup_key}", f"/lookup/{d.code}/result?key=WRONGKEY"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.mimetype == "text/html" and b"%PDF" not in r.data
        assert "Không tìm thấy hồ sơ" in r.get_data(as_text=True)


def test_nothing_to_download_before_the_result(client, auth, demo):
    d = forwarded()
    assert "Kết quả điện tử" not in client.get(f"/lookup/{d.code}?key={d.lookup_key}").get_data(as_text=True)
    r = client.get(f"/lookup/{d.code}/result?key={d.lookup_key}", follow_redirects=True)
    assert "Hồ sơ chưa có kết quả điện tử để tải về." in r.get_data(as_text=True)


def test_an_image_result_is_offered_unsigned_and_not_counted(client, auth, demo):
    d = forwarded()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    complete_with(client, auth, d, png, "ket-qua.png", "image/png")
    assert d.electronic_result is False
    page = client.get(f"/lookup/{d.code}?key={d.lookup_key}").get_data(as_text=True)
    assert "không có chữ ký số" in page
    r = client.get(f"/lookup/{d.code}/result?key={d.lookup_key}")
    assert r.status_code == 200 and r.data == png


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_FAILURE_LIMIT="3 per hour")
def test_wrong_keys_for_the_download_share_the_lookup_limit(client, auth, demo):
    d = forwarded()
    complete_with(client, auth, d, sample_pdf(), "giay-phep.pdf", "application/pdf")
    codes = [client.get(f"/lookup/{d.code}/result?key=WRONG{i}").status_code for i in range(5)]
    assert codes[:3] == [404, 404, 404] and codes[-1] == 429
