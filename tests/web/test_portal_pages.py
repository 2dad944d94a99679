"""The public catalogue of procedures: searchable without diacritics, one page each, cacheable, no personal data."""
from __future__ import annotations

import pytest
from factories import procedure

from onestop.extensions import db


def test_search_without_diacritics_finds_the_procedure(demo, client):
    page = client.get("/thu-tuc/?q=chung thuc ban sao")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chứng thực bản sao từ bản chính giấy tờ, văn bản" in text
    assert "Đăng ký khai sinh" not in text


def test_search_by_code_and_online_filter(demo, client):
    assert "Cấp giấy phép xây dựng nhà ở riêng lẻ" in client.get("/thu-tuc/?q=1.009994").get_data(as_text=True)
    online = client.get("/thu-tuc/?truc_tuyen=1").get_data(as_text=True)
    assert "Đăng ký khai sinh" in online and "Chứng thực chữ ký" not in online


def test_nothing_found_is_said_plainly(demo, client):
    text = client.get("/thu-tuc/?q=zzzz khong co").get_data(as_text=True)
    assert "Không tìm thấy thủ tục nào phù hợp" in text


def test_procedure_page_shows_what_a_citizen_needs(demo, client):
    p = procedure("1.009994")
    text = client.get(f"/thu-tuc/{p.code}").get_data(as_text=True)
    assert p.name in text and p.field in text and p.time_label in text
    assert "Luật Xây dựng 2014" in text  # legal basis
    assert "Một phần" in text  # online level
    for doc in p.documents:
        assert doc.name in text
    assert "Nơi nộp hồ sơ" in text and p.receiving_agency.name in text


def test_boundary_free_procedure_says_any_desk(demo, client):
    text = client.get("/thu-tuc/1.001193").get_data(as_text=True)
    assert "không phụ thuộc địa giới hành chính" in text


def test_inactive_or_unknown_procedure_is_a_clear_404(demo, client):
    p = procedure("2.000720")
    p.active = False
    db.session.commit()
    assert client.get("/thu-tuc/2.000720").status_code == 404
    assert "Đăng ký thành lập hộ kinh doanh" not in client.get("/thu-tuc/").get_data(as_text=True)
    assert client.get("/thu-tuc/khong-co").status_code == 404


def test_pages_carry_an_etag_and_answer_304_until_the_catalogue_changes(demo, client):
    first = client.get("/thu-tuc/1.009994")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/thu-tuc/1.009994", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    p = procedure("1.009994")
    p.fee = p.fee + 1000
    db.session.commit()
    changed = client.get("/thu-tuc/1.009994", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize("query", ["%", "_", "\\", "a" * 500, "'; DROP TABLE procedures; --"])
def test_odd_queries_are_harmless(demo, client, query):
    page = client.get("/thu-tuc/", query_string={"q": query})
    assert page.status_code in (200, 400)


def test_paging_goes_on_by_code(demo, client, monkeypatch):
    from onestop import online

    monkeypatch.setattr(online, "PAGE_SIZE", 3)
    first = client.get("/thu-tuc/").get_data(as_text=True)
    assert "Xem tiếp" in first and "sau=1.003003" in first
    second = client.get("/thu-tuc/?sau=1.003003").get_data(as_text=True)
    assert "Cấp giấy phép khai thác, sử dụng nước dưới đất" in second and "Đăng ký khai sinh" not in second


def test_the_lookup_home_links_the_catalogue(demo, client):
    assert "/thu-tuc/" in client.get("/lookup/").get_data(as_text=True)
