"""The printed papers as a reader holds them: the national heading on one line, the official serif with its
Vietnamese glyphs, the control slip's whole story, the refusal's wording, plain data for the templates."""
import io
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from factories import act, receive, user, vn
from fontTools.ttLib import TTFont

from onestop import papers
from onestop.extensions import db
from onestop.models import Agency
from onestop.papers import render

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "static" / "fonts"
COUNTRY = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
A5 = (419.5, 595.3)  # points, portrait
A4 = (595.3, 841.9)


def runs(data: bytes, page: int = 0) -> list[tuple[float, float, str, float, str]]:
    """Text runs of a page as (baseline y, x, text, font size in points, font name), read back with pypdf."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = (tm[3] * cm[3]) or 1
            found.append((round(y, 1), x, text.strip("\n"), size * scale, (font or {}).get("/BaseFont", "")))

    pypdf.PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


def lines(data: bytes, page: int = 0) -> list[str]:
    """The page's text lines: runs that share a baseline, left to right, joined."""
    by_y: dict[float, list] = {}
    for y, x, text, _size, _font in runs(data, page):
        by_y.setdefault(y, []).append((x, text))
    return [" ".join(" ".join(t for _x, t in sorted(parts)).split()) for _y, parts in sorted(by_y.items(),
                                                                                          reverse=True)]


def line_with(data: bytes, needle: str) -> str:
    found = [line for line in lines(data) if needle in line]
    assert found, f"no line holds {needle!r}: {lines(data)[:12]}"
    return found[0]


def page_size(data: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    return round(float(box.width), 1), round(float(box.height), 1)


def text_width(text: str, font_name: str, size: float) -> float:
    """Width in points of a run set in one of the shipped faces (picked from the embedded font's name)."""
    style = "BoldItalic" if "BoldItalic" in font_name else "Bold" if "Bold" in font_name else \
        "Italic" if "Italic" in font_name else "Regular"
    font = TTFont(FONTS / f"LiberationSerif-{style}.ttf")
    cmap, metrics = font.getBestCmap(), font["hmtx"]
    return sum(metrics[cmap[ord(c)]][0] for c in text) / font["head"].unitsPerEm * size


@pytest.fixture
def life(demo):
    """One dossier through its whole life (two agencies, a supplement, the return), one apology, one stop."""
    d = receive("1.004227", at=vn(2026, 11, 20, 9, 30))
    issued = papers.receipt_pdf(d)
    db.session.commit()
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(d, "request_supplement", "chuyenvien.tnmt", at=vn(2026, 11, 23, 9, 0), reason="Thiếu bản đồ địa chính",
        documents=["Bản đồ địa chính thửa đất"])
    act(d, "supplement_received", "chuyenvien.tnmt", at=vn(2026, 11, 25, 9, 0))
    act(d, "forward", "chuyenvien.tnmt", at=vn(2026, 11, 30, 9, 0))
    in_progress = papers.control_slip_pdf(d, now=vn(2026, 12, 1, 8, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 12, 2, 9, 0))
    act(d, "return", "tiepnhan", at=vn(2026, 12, 3, 9, 0), collected_by="Lê Thị Nhận Thay")
    late = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    act(late, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(late, "apologize", "chuyenvien", at=vn(2026, 11, 25, 10, 0),
        reason="Chờ ý kiến của Sở Tài nguyên và Môi trường", new_due_at=late.due_at + timedelta(days=7))
    stopped = receive("1.004227", at=vn(2026, 11, 20, 9, 40))
    act(stopped, "forward", "tiepnhan", at=vn(2026, 11, 20, 10, 0))
    act(stopped, "stop", "chuyenvien.tnmt", at=vn(2026, 11, 24, 10, 0), reason="Khu vực thuộc vùng cấm khai thác")
    return {"dossier": d, "late": late, "stopped": stopped, "receipt": issued, "in_progress": in_progress}


def desk_supplement_slip() -> bytes:
    clerk = user("tiepnhan")
    return papers.supplement_slip_pdf(
        addressee="Trần Văn Bình", procedure_name="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        missing_documents=["Bản vẽ thiết kế"], reason="Thiếu bản vẽ", officer_name=clerk.full_name,
        officer_agency=clerk.agency, date=vn(2026, 11, 20, 10, 0))


def refusal_slip() -> bytes:
    clerk = user("tiepnhan")
    return papers.refusal_slip_pdf(
        addressee="Trần Văn Bình", procedure_name="Đăng ký thành lập doanh nghiệp tư nhân",
        reason="Không thuộc thẩm quyền giải quyết của tỉnh", officer_name=clerk.full_name,
        officer_agency=clerk.agency, date=vn(2026, 11, 20, 10, 0))


@pytest.fixture
def portrait(life):
    """Every portrait paper, printed."""
    d = life["dossier"]
    return {
        "receipt": life["receipt"],
        "supplement_slip": desk_supplement_slip(),
        "appraisal_supplement_slip": papers.supplement_slip_of(d),
        "refusal_slip": refusal_slip(),
        "apology_slip": papers.apology_slip_pdf(life["late"]),
        "stop_notice": papers.stop_notice_pdf(life["stopped"]),
        "control_slip": papers.control_slip_pdf(d, now=vn(2026, 12, 3, 10, 0)),
        "control_slip_in_progress": life["in_progress"],
    }


PORTRAIT = ("receipt", "supplement_slip", "appraisal_supplement_slip", "refusal_slip", "apology_slip",
            "stop_notice", "control_slip", "control_slip_in_progress")


def test_national_heading_motto_and_date_each_stay_on_one_line(portrait):
    for name, data in portrait.items():
        heading_on_one_line(name, data)


def heading_on_one_line(name: str, data: bytes) -> None:
    width, height = page_size(data)
    assert width < height  # portrait
    assert (width, height) in (A5, A4)
    assert COUNTRY in line_with(data, "CỘNG HÒA")
    assert MOTTO in line_with(data, "Độc lập")
    assert "–" not in line_with(data, "Độc lập")  # one macro, hyphens everywhere
    date_line = line_with(data, ", ngày ")
    assert date_line.startswith("Sơn Hà, ngày ") and " tháng " in date_line and " năm 2026" in date_line
    # and each of them fits on the page
    for _y, x, text, size, font in runs(data):
        if text.startswith(("CỘNG HÒA", "Độc lập", "Sơn Hà, ngày")):
            assert x + text_width(text, font, size) <= width, (name, text)


def test_forms_are_a5_and_the_control_slip_a4(portrait):
    assert {name: page_size(data) for name, data in portrait.items()} == {
        name: (A4 if name.startswith("control_slip") else A5) for name in PORTRAIT}
    assert len(pypdf.PdfReader(io.BytesIO(portrait["receipt"])).pages) == 1


def test_a_long_province_name_keeps_the_date_line_on_one_line_inside_the_page(demo):
    root = Agency(identifier="000.00.00.H99", name="UBND tỉnh Bà Rịa - Vũng Tàu", kind="province")
    desk = Agency(identifier="000.00.17.H99", name="Trung tâm Phục vụ hành chính công tỉnh Bà Rịa - Vũng Tàu",
                  kind="centre", parent=root)
    db.session.add_all([root, desk])
    db.session.flush()
    data = papers.refusal_slip_pdf(addressee="Trần Văn Bình", procedure_name="Cấp giấy phép xây dựng",
                                   reason="Không thuộc thẩm quyền", officer_name="Trần Thị Tiếp Nhận",
                                   officer_agency=desk, date=vn(2026, 12, 28, 9, 0))
    assert "Bà Rịa - Vũng Tàu, ngày 28 tháng 12 năm 2026" in line_with(data, ", ngày 28")
    assert COUNTRY in line_with(data, "CỘNG HÒA")
    width, _height = page_size(data)
    for _y, x, text, size, font in runs(data):
        if text.startswith(("CỘNG HÒA", "Bà Rịa - Vũng Tàu, ngày")):
            assert x + text_width(text, font, size) <= width, text


def test_papers_are_set_in_the_shipped_serif_and_have_every_glyph(portrait):
    for data in portrait.values():
        set_in_the_shipped_serif(data)


def set_in_the_shipped_serif(data: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            embedded.add(font.get_object()["/BaseFont"].split("+", 1)[-1])
    # No fallback face: a missing Vietnamese glyph would have pulled in another font.
    assert embedded <= {"OneStop-Serif", "OneStop-Serif-Bold", "OneStop-Serif-Italic", "OneStop-Serif-BoldItalic"}
    assert "OneStop-Serif" in embedded
    text = "".join(page.extract_text() for page in reader.pages)
    cmap = TTFont(FONTS / "LiberationSerif-Regular.ttf").getBestCmap()
    assert not {c for c in text if not c.isspace() and ord(c) not in cmap}
    assert any(c in text for c in "ệỗữặịợ")


def test_the_font_ships_with_its_licence():
    assert sorted(p.name for p in FONTS.glob("LiberationSerif-*.ttf")) == [
        "LiberationSerif-Bold.ttf", "LiberationSerif-BoldItalic.ttf", "LiberationSerif-Italic.ttf",
        "LiberationSerif-Regular.ttf"]
    assert "SIL Open Font License" in (FONTS / "LICENSE-LiberationSerif.txt").read_text()


def test_control_slip_tells_the_supplement_episode_and_the_return(life):
    d = life["dossier"]
    rows = papers.control_slip_data(d)["rows"]
    story = [(r["action"], r["giver"], r["receiver"]) for r in rows]
    desk, tnmt, xd = ("Trung tâm Phục vụ hành chính công tỉnh Sơn Hà", "Sở Tài nguyên và Môi trường",
                      "Sở Xây dựng")
    applicant = d.applicant_name
    assert story == [
        ("Tiếp nhận hồ sơ", applicant, desk),
        ("Chuyển xử lý", desk, tnmt),
        ("Yêu cầu bổ sung hồ sơ", tnmt, applicant),
        ("Nhận hồ sơ bổ sung", applicant, tnmt),
        ("Chuyển xử lý", tnmt, xd),
        ("Hoàn thành xử lý, chuyển trả kết quả", xd, desk),
        ("Trả kết quả", desk, "Lê Thị Nhận Thay"),
    ]
    assert [r["no"] for r in rows] == list(range(1, 8))
    assert rows[2]["documents"] == ["Bản đồ địa chính thửa đất"] and rows[2]["note"] == "Thiếu bản đồ địa chính"
    assert rows[2]["given_by"] == "Đỗ Thu Hà" and rows[3]["received_by"] == "Đỗ Thu Hà"
    assert rows[6]["at"].strftime("%H:%M %d/%m/%Y") == "09:00 03/12/2026"
    assert rows[6]["given_by"] == "Trần Thị Tiếp Nhận" and rows[6]["result"] in ("Trước hạn", "Đúng hạn")
    text = " ".join(lines(papers.control_slip_pdf(d, now=vn(2026, 12, 3, 10, 0))))
    for expected in ("Yêu cầu bổ sung hồ sơ", "Nhận hồ sơ bổ sung", "Bản đồ địa chính thửa đất", "Trả kết quả",
                     "Lê Thị Nhận Thay", "09 giờ 00 phút, ngày 03/12/2026", "Người giao", "Người nhận"):
        assert expected in text


def test_control_slip_of_an_open_dossier_leaves_the_return_row_to_fill_in(life):
    text = " ".join(lines(life["in_progress"]))
    assert "Trả kết quả" in text and "..... giờ ..... phút, ngày ...../...../.........." in text
    assert "Hoàn thành xử lý" not in text


def test_refusal_slip_says_the_applicant_asked_and_the_desk_refuses(demo):
    text = " ".join(lines(refusal_slip()))
    desk = "Trung tâm Phục vụ hành chính công tỉnh Sơn Hà"
    assert "Nội dung yêu cầu giải quyết: Đăng ký thành lập doanh nghiệp tư nhân" in text
    assert f"{desk} từ chối tiếp nhận giải quyết hồ sơ của Ông/Bà vì lý do sau:" in text
    assert f"{desk} đề nghị" not in text and f"{desk} nhận được hồ sơ" not in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text


def test_monthly_report_has_the_full_heading_and_signatures(client, auth, demo):
    auth.login("lanhdao")
    r = client.get("/reports/monthly.pdf", query_string={"period": "month", "year": "2026", "month": "11"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    data = r.data
    width, height = page_size(data)
    assert width > height  # A4 landscape
    assert COUNTRY in line_with(data, "CỘNG HÒA") and MOTTO in line_with(data, "Độc lập")
    assert "–" not in line_with(data, "Độc lập")
    text = " ".join(line for page in range(len(pypdf.PdfReader(io.BytesIO(data)).pages)) for line in lines(data, page))
    assert "UBND TỈNH SƠN HÀ" in text and "SỞ XÂY DỰNG" in text  # the parent body above the agency
    assert "Số: ......../BC" in text
    assert "NGƯỜI LẬP BÁO CÁO" in text and "THỦ TRƯỞNG CƠ QUAN" in text and "(Ký, ghi rõ họ tên, đóng dấu)" in text


def _orm_objects(value, path="data"):
    if isinstance(value, db.Model):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _orm_objects(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _orm_objects(v, f"{path}[{i}]")


def test_templates_get_plain_data_read_up_front(life):
    d, late, stopped = life["dossier"], life["late"], life["stopped"]
    clerk = user("tiepnhan")
    built = {
        "receipt": papers.receipt_data(d),
        "control": papers.control_slip_data(d),
        "apology": papers.apology_slip_data(late),
        "stop": papers.stop_notice_data(stopped),
        "supplement": papers.supplement_slip_data(addressee="A", procedure_name="P", missing_documents=["X"],
                                                  officer_name=clerk.full_name, officer_agency=clerk.agency),
        "refusal": papers.refusal_slip_data(addressee="A", procedure_name="P", reason="R",
                                            officer_name=clerk.full_name, officer_agency=clerk.agency),
    }
    for name, data in built.items():
        assert list(_orm_objects(data, name)) == []
    assert built["receipt"]["documents"][0]["name"] == "Đơn đề nghị cấp giấy phép"
    assert built["apology"]["head"] == "Phạm Minh Lãnh" and built["stop"]["head"] == "Vũ Đức Long"


def test_fonts_and_stylesheet_are_prepared_once_and_the_receipt_draws_one_qr(demo, monkeypatch):
    d = receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    prepared = render.prepared()
    drawn = []
    real = render.qr_image
    monkeypatch.setattr(render, "qr_image", lambda payload: drawn.append(payload) or real(payload))
    papers.receipt_pdf(d)
    papers.receipt_pdf(d)  # reprint: from storage
    assert len(drawn) == 1
    assert render.prepared() is prepared


def test_the_app_starts_without_loading_weasyprint():
    """The CLI and the workers pay for WeasyPrint (most of a second) only when a paper is printed."""
    code = ("import sys; from onestop import create_app; "
            "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'ONESTOP_SCHEDULER': False, 'TESTING': True}); "
            "import onestop.papers; print('weasyprint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
