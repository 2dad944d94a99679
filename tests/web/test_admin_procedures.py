"""The procedure catalogue: create/edit with documents and route, activation, import (page and CLI)."""
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from factories import procedure, receive, vn

from onestop import catalogue
from onestop.extensions import db
from onestop.models import AuditLog, Procedure

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
EXAMPLE_CODES = [e["code"] for e in json.loads((EXAMPLES / "procedures.json").read_text(encoding="utf-8"))]


@pytest.fixture
def admin(demo, client, auth):
    auth.login("admin")
    return client


def form_data(**overrides):
    data = {
        "code": "1.012345", "name": "Cấp giấy phép hoạt động bến thủy nội địa", "field": "Đường thủy nội địa",
        "time_limit": "10", "time_unit": "working_days", "fee": "50.000", "receiving_agency": "000.00.17.H56",
        "clock_on_supplement": "restart", "result_location": "Quầy số 2",
        "documents-0-name": "Đơn đề nghị", "documents-0-originals": "1", "documents-0-copies": "0",
        "documents-1-name": "", "documents-1-originals": "1", "documents-1-copies": "0",
        "route-0-order": "1", "route-0-agency": "000.00.21.H56", "route-0-time": "7", "route-0-task": "Thẩm định",
        "route-1-order": "2", "route-1-agency": "000.00.22.H56", "route-1-time": "3", "route-1-task": "Cho ý kiến",
        "route-2-order": "", "route-2-agency": "", "route-2-time": "", "route-2-task": "",
    }
    data.update(overrides)
    return data


def count_procedures():
    return db.session.execute(sa.select(sa.func.count()).select_from(Procedure)).scalar_one()


def test_create_procedure_with_documents_and_ordered_route(admin):
    response = admin.post("/admin/procedures/new", data=form_data(**{"route-0-order": "2", "route-1-order": "1"}))
    assert response.status_code == 302
    p = procedure("1.012345")
    assert p.fee == 50000
    assert [d.name for d in p.documents] == ["Đơn đề nghị"]
    # the order column decides the route, not the row
    assert [(s.agency.identifier, s.time, s.task) for s in p.route] == [
        ("000.00.22.H56", 3, "Cho ý kiến"), ("000.00.21.H56", 7, "Thẩm định")]
    page = admin.get("/admin/procedures?q=ben thuy").get_data(as_text=True)
    assert "Cấp giấy phép hoạt động bến thủy nội địa" in page


def test_route_whose_shares_do_not_add_up_is_refused_and_nothing_saved(admin):
    before = count_procedures()
    response = admin.post("/admin/procedures/new", data=form_data(**{"route-1-time": "2"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("Tổng thời gian các bước của quy trình (9 ngày làm việc) phải bằng thời hạn giải quyết "
            "(10 ngày làm việc)") in page
    # the form keeps what the admin typed
    assert "Cấp giấy phép hoạt động bến thủy nội địa" in page
    assert count_procedures() == before
    assert db.session.execute(sa.select(AuditLog).filter_by(action="admin.procedure_create")).first() is None


def test_editing_a_route_that_no_longer_adds_up_changes_nothing(admin):
    response = admin.post("/admin/procedures/1.004227/edit", data=form_data(
        code="1.004227", name="Cấp giấy phép khai thác, sử dụng nước dưới đất", time_limit="25",
        **{"route-0-time": "20", "route-1-time": "6"}))
    assert response.status_code == 422
    assert "(26 giờ làm việc)" not in response.get_data(as_text=True)
    assert "(26 ngày làm việc) phải bằng thời hạn giải quyết (25 ngày làm việc)" in response.get_data(as_text=True)
    db.session.expire_all()
    p = procedure("1.004227")
    assert [s.time for s in p.route] == [20, 5]
    assert p.name == "Cấp giấy phép khai thác, sử dụng nước dưới đất"


@pytest.mark.parametrize("overrides,message", [
    ({"code": "1.009994"}, "Mã thủ tục 1.009994 đã tồn tại."),
    ({"time_limit": "mười"}, "Thời hạn giải quyết: phải là số nguyên"),
    ({"route-0-agency": "999.99.99.H56"}, "Quy trình, bước 1: không có cơ quan mã “999.99.99.H56”"),
    ({"documents-0-originals": "-1"}, "Thành phần hồ sơ, dòng 1: phải lớn hơn hoặc bằng 0"),
    ({"name": ""}, "Vui lòng nhập tên thủ tục."),
    ({"receiving_agency": ""}, "Cơ quan tiếp nhận: không có cơ quan mã"),
])
def test_bad_procedure_input_gets_a_clear_message(admin, overrides, message):
    before = count_procedures()
    response = admin.post("/admin/procedures/new", data=form_data(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_procedures() == before


def test_edit_page_shows_documents_and_route_and_saves_changes(admin):
    page = admin.get("/admin/procedures/1.010725/edit").get_data(as_text=True)
    assert "Tờ trình thẩm định thiết kế" in page
    assert "Cho ý kiến về môi trường" in page
    data = form_data(code="1.010725", name="Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở",
                     field="Xây dựng", time_limit="30", fee="1500000",
                     **{"route-0-time": "25", "route-1-time": "5"})
    assert admin.post("/admin/procedures/1.010725/edit", data=data).status_code == 302
    db.session.expire_all()
    p = procedure("1.010725")
    assert [(s.agency.identifier, s.time) for s in p.route] == [("000.00.21.H56", 25), ("000.00.22.H56", 5)]
    entry = db.session.execute(sa.select(AuditLog).filter_by(action="admin.procedure_update")).scalar_one()
    assert [s["time"] for s in entry.details["before"]["route"]] == [20, 7, 3]
    assert [s["time"] for s in entry.details["after"]["route"]] == [25, 5]


def test_procedure_in_use_is_deactivated_never_deleted(admin):
    receive("1.009994", at=vn(2026, 11, 20, 9, 0))
    response = admin.post("/admin/procedures/1.009994/delete", follow_redirects=True)
    assert "không thể xóa" in response.get_data(as_text=True)
    assert procedure("1.009994") is not None
    admin.post("/admin/procedures/1.009994/active", data={"active": "0"})
    db.session.expire_all()
    assert procedure("1.009994").active is False
    page = admin.get("/admin/procedures?state=inactive").get_data(as_text=True)
    assert "1.009994" in page and "Đã ngừng áp dụng" in page
    admin.post("/admin/procedures/1.009994/active", data={"active": "1"})
    db.session.expire_all()
    assert procedure("1.009994").active is True


def test_unused_procedure_can_be_deleted(admin):
    admin.post("/admin/procedures/new", data=form_data())
    assert admin.post("/admin/procedures/1.012345/delete").status_code == 302
    assert db.session.execute(sa.select(Procedure).filter_by(code="1.012345")).first() is None


def upload(admin, name):
    content = (EXAMPLES / name).read_bytes()
    return admin.post("/admin/procedures/import", data={"file": (io.BytesIO(content), name)},
                      content_type="multipart/form-data")


@pytest.mark.parametrize("name", ["procedures.json", "procedures.csv"])
def test_import_example_file_on_the_upload_page_then_again_changes_nothing(admin, name):
    before = count_procedures()
    response = upload(admin, name)
    assert response.status_code == 200
    assert "Đã nhập danh mục: 6 thủ tục mới, 0 cập nhật, 0 không đổi." in response.get_data(as_text=True)
    assert count_procedures() == before + len(EXAMPLE_CODES)
    route = [(s.agency.identifier, s.time) for s in procedure("1.004192").route]
    assert route == [("000.00.22.H56", 15), ("000.00.23.H56", 5)]
    snapshot = {code: procedure(code).id for code in EXAMPLE_CODES}

    response = upload(admin, name)
    assert "0 thủ tục mới, 0 cập nhật, 6 không đổi." in response.get_data(as_text=True)
    assert count_procedures() == before + len(EXAMPLE_CODES)
    assert {code: procedure(code).id for code in EXAMPLE_CODES} == snapshot


def test_json_and_csv_examples_describe_the_same_catalogue(admin):
    upload(admin, "procedures.json")
    response = upload(admin, "procedures.csv")
    assert "0 thủ tục mới, 0 cập nhật, 6 không đổi." in response.get_data(as_text=True)


def test_import_example_file_through_the_cli(demo, runner):
    path = str(EXAMPLES / "procedures.json")
    result = runner.invoke(args=["onestop", "procedures", "import", path])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1]) == {"created": 6, "updated": 0, "unchanged": 0}
    result = runner.invoke(args=["onestop", "procedures", "import", path])
    assert result.exit_code == 0
    assert json.loads(result.output.strip().splitlines()[-1]) == {"created": 0, "updated": 0, "unchanged": 6}
    assert procedure("2.001719").time_unit == "working_hours"


def test_bad_import_file_is_refused_whole(admin):
    entries = json.loads((EXAMPLES / "procedures.json").read_text(encoding="utf-8"))
    entries[3]["route"][1]["time"] = 4
    before = count_procedures()
    response = admin.post("/admin/procedures/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(json.dumps(entries).encode()), "bad.json")})
    assert response.status_code == 422
    assert "tổng thời gian các bước (19) phải bằng thời hạn giải quyết (20)" in response.get_data(as_text=True)
    assert count_procedures() == before


def test_import_page_refuses_non_json_garbage(admin):
    response = admin.post("/admin/procedures/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"\xff\xfe not text"), "x.json")})
    assert response.status_code == 422
    assert "UTF-8" in response.get_data(as_text=True)


def test_export_gives_the_import_format(admin):
    data = admin.get("/admin/procedures/export.json").get_json()
    assert {"code", "route", "documents", "time_limit"} <= set(data[0])
    assert len(data) == count_procedures()


def test_import_refuses_overlong_task_instead_of_failing(admin):
    entries = json.loads((EXAMPLES / "procedures.json").read_text(encoding="utf-8"))
    entries[0]["route"][0]["task"] = "x" * 300
    response = admin.post("/admin/procedures/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(json.dumps(entries).encode()), "long.json")})
    assert response.status_code == 422
    assert "mục 1, trường “route[0].task”: dài quá 255 ký tự" in response.get_data(as_text=True)


def test_catalogue_list_counts_and_pages_by_code(admin):
    template = json.loads((EXAMPLES / "procedures.json").read_text(encoding="utf-8"))[0]
    catalogue.import_entries([dict(template, code=f"9.{i:06d}") for i in range(45)])
    db.session.commit()
    total = count_procedures()
    first = admin.get("/admin/procedures").get_data(as_text=True)
    assert f"{total} thủ tục" in first
    codes = re.findall(r"<code>([\d.]+)</code></a>", first)
    assert len(codes) == 50 and codes == sorted(codes)
    next_url = first.split('href="/admin/procedures?')[1].split('"')[0].replace("&amp;", "&")
    second = re.findall(r"<code>([\d.]+)</code></a>", admin.get("/admin/procedures?" + next_url).get_data(as_text=True))
    assert len(second) == total - 50 and second[0] > codes[-1] and not set(second) & set(codes)
