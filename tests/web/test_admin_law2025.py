"""Admin pages of the 2025 law: the province's rules and where a procedure may be received."""
import pytest
import sqlalchemy as sa
from factories import procedure

from onestop import settings
from onestop.extensions import db
from onestop.models import AuditLog


@pytest.fixture
def admin(demo, client, auth):
    auth.login("admin")
    return client


def test_the_rules_page_shows_the_defaults_and_saves_a_change(admin):
    page = admin.get("/admin/rules").get_data(as_text=True)
    assert "Thời hạn yêu cầu bổ sung (ngày làm việc)" in page and 'value="3"' in page
    values = {rule.key: str(rule.default) for rule in settings.RULES}
    response = admin.post("/admin/rules", data=dict(values, supplement_window_days="5"))
    assert response.status_code == 302
    assert "Đã lưu 1 thay đổi." in admin.get("/admin/rules").get_data(as_text=True)
    assert settings.get("supplement_window_days") == 5
    entry = db.session.execute(sa.select(AuditLog).filter_by(action="settings.update")).scalar_one()
    assert entry.details["changes"] == {"supplement_window_days": {"from": 3, "to": 5}}


def test_a_bad_rule_value_is_shown_and_nothing_is_saved(admin):
    values = {rule.key: str(rule.default) for rule in settings.RULES}
    response = admin.post("/admin/rules", data=dict(values, apology_max_days="0", supplement_window_days="7"))
    assert response.status_code == 422
    assert "phải từ 1 đến 120" in response.get_data(as_text=True)
    db.session.expire_all()
    assert settings.get("supplement_window_days") == 3


def test_the_procedure_form_sets_desks_boundary_free_online_and_legal_basis(admin):
    page = admin.get("/admin/procedures/1.009994/edit").get_data(as_text=True)
    assert "Tiếp nhận không phụ thuộc địa giới hành chính" in page
    assert "Ngày (kể cả ngày nghỉ)" in page  # calendar days are offered
    data = {
        "code": "1.009994", "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ", "field": "Xây dựng",
        "time_limit": "15", "time_unit": "working_days", "fee": "75000", "receiving_agency": "000.00.17.H56",
        "clock_on_supplement": "restart", "receiving_desks": ["000.01.17.H56", "000.00.31.H56"],
        "anywhere": "y", "deciding_agency": "000.00.21.H56", "online_level": "full", "online_time_limit": "12",
        "legal_basis": "Luật Xây dựng 2014",
        "documents-0-name": "Đơn đề nghị", "documents-0-originals": "1", "documents-0-copies": "0",
        "route-0-order": "1", "route-0-agency": "000.00.21.H56", "route-0-time": "15", "route-0-task": "Thẩm định",
    }
    response = admin.post("/admin/procedures/1.009994/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    p = procedure("1.009994")
    assert p.anywhere and p.online_level == "full" and p.online_time_limit == 12
    assert {a.identifier for a in p.desks} == {"000.00.17.H56", "000.01.17.H56", "000.00.31.H56"}
    assert p.deciding_agency.identifier == "000.00.21.H56" and p.legal_basis == "Luật Xây dựng 2014"
    response = admin.post("/admin/procedures/1.009994/edit", data=dict(data, online_time_limit="20"))
    assert response.status_code == 422
    assert "không được dài hơn thời hạn giải quyết" in response.get_data(as_text=True)
