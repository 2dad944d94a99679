"""The audit log in sentences: who did what to which dossier, account, procedure or day, in Vietnamese or English."""
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from factories import act, receive, user
from flask_babel import force_locale

from onestop import audit_text
from onestop.audit_text import Change, Fact, Names
from onestop.extensions import db
from onestop.models import AuditLog

NAMES = Names(actors={1: "Nguyễn Văn A", 2: "Trần Thị B", 3: "Quản trị viên"},
              agencies={"000.00.21.H56": "Sở Xây dựng", "000.00.22.H56": "Sở Tài nguyên và Môi trường"},
              forwarded_to={10: "Sở Tài nguyên và Môi trường"})


def row(action, details=None, *, id=1, actor_id=None, actor_name=None, target_type=None, target_id=None):
    return SimpleNamespace(id=id, action=action, details=details, actor_id=actor_id, actor_name=actor_name,
                           target_type=target_type, target_id=target_id)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def say(entry, lang="vi"):
    with force_locale(lang):
        return audit_text.describe(entry, NAMES)


def test_forwarding_names_the_person_the_dossier_and_the_receiving_agency(ctx):
    entry = row("dossier.forward", {"status_from": "received", "status_to": "processing", "note": None}, id=10,
                actor_id=1, actor_name="tiepnhan", target_type="dossier", target_id="000.00.17.H56-261121-0001")
    text = say(entry)
    assert text.sentence == "Nguyễn Văn A chuyển hồ sơ 000.00.17.H56-261121-0001 sang Sở Tài nguyên và Môi trường"
    assert text.changes == [Change("Trạng thái", "Được tiếp nhận", "Đang xử lý")]
    assert say(entry, "en").sentence == \
        "Nguyễn Văn A forwarded the dossier 000.00.17.H56-261121-0001 to Sở Tài nguyên và Môi trường"
    unknown = row("dossier.forward", {}, id=11, actor_id=1, target_type="dossier", target_id="X-1")
    assert say(unknown).sentence == "Nguyễn Văn A chuyển hồ sơ X-1 sang bước xử lý tiếp theo"


def test_report_export_says_the_format(ctx):
    entry = row("report.export", {"format": "xlsx", "tables": ["summary"], "scope": "000.00.21.H56",
                                  "period": {"kind": "quarter", "year": 2026, "quarter": 2}},
                actor_id=2, target_type="report", target_id="000.00.21.H56")
    text = say(entry)
    assert text.sentence == "Trần Thị B xuất báo cáo (XLSX)"
    assert text.facts == [Fact("Phạm vi", "Sở Xây dựng"), Fact("Kỳ báo cáo", "Quý 2/2026")]
    assert say(entry, "en").sentence == "Trần Thị B exported a report (XLSX)"
    custom = row("report.export", {"format": "pdf", "scope": None,
                                   "period": {"kind": "custom", "from": "2026-01-01", "to": "2026-03-31"}}, actor_id=2)
    assert say(custom).facts == [Fact("Phạm vi", "Toàn tỉnh"), Fact("Kỳ báo cáo", "01/01/2026 – 31/03/2026")]


def test_password_reset_names_the_user_and_never_the_password(ctx):
    before = {"username": "lanhdao", "locked": True, "active": True}
    entry = row("admin.user_reset_password", {"before": before, "after": dict(before, locked=False),
                                              "password_changed": True},
                actor_id=3, target_type="user", target_id="lanhdao")
    text = say(entry)
    assert text.sentence == "Quản trị viên đặt lại mật khẩu của người dùng lanhdao"
    assert text.changes == [Change("Tạm khóa đăng nhập", "có", "không")]
    assert say(entry, "en").sentence == "Quản trị viên reset the password of the user lanhdao"


def test_changes_read_field_old_new_with_labels_and_names(ctx):
    before = {"username": "lanhdao", "full_name": "Lê Lãnh", "email": None, "role": "specialist",
              "agency": "000.00.21.H56", "active": True, "locked": False}
    after = dict(before, email="lanh@example.vn", role="leader", agency="000.00.22.H56", active=False)
    text = say(row("admin.user_update", {"before": before, "after": after}, actor_id=3, target_type="user",
                   target_id="lanhdao"))
    assert text.sentence == "Quản trị viên sửa thông tin người dùng lanhdao"
    assert text.changes == [
        Change("Email", "(trống)", "lanh@example.vn"),
        Change("Vai trò", "Chuyên viên", "Lãnh đạo"),
        Change("Cơ quan", "Sở Xây dựng", "Sở Tài nguyên và Môi trường"),
        Change("Trạng thái", "Đang hoạt động", "Đã vô hiệu hóa"),
    ]


def test_procedure_changes_show_money_units_documents_and_route(ctx):
    before = {"code": "1.1", "name": "Cấp phép", "fee": 50000, "time_unit": "working_days", "active": True,
              "documents": [{"name": "Đơn", "originals": 1, "copies": 0}],
              "route": [{"agency": "000.00.21.H56", "time": 10}]}
    after = dict(before, fee=75000, time_unit="working_hours", active=False,
                 documents=[{"name": "Đơn", "originals": 1, "copies": 2}],
                 route=[{"agency": "000.00.21.H56", "time": 7}, {"agency": "000.00.22.H56", "time": 3}])
    changes = {c.label: (c.before, c.after) for c in say(row(
        "admin.procedure_update", {"before": before, "after": after}, actor_id=3, target_type="procedure",
        target_id="1.1")).changes}
    assert changes == {
        "Lệ phí": ("50.000 đ", "75.000 đ"),
        "Đơn vị thời gian": ("ngày làm việc", "giờ làm việc"),
        "Trạng thái": ("Đang áp dụng", "Đã ngừng áp dụng"),
        "Thành phần hồ sơ": ("Đơn (1 bản chính, 0 bản sao)", "Đơn (1 bản chính, 2 bản sao)"),
        "Quy trình": ("Sở Xây dựng (10)", "Sở Xây dựng (7) → Sở Tài nguyên và Môi trường (3)"),
    }
    stopped = row("admin.procedure_deactivate", {"before": before, "after": after}, actor_id=3,
                  target_type="procedure", target_id="1.1")
    assert say(stopped).sentence == "Quản trị viên ngừng áp dụng thủ tục 1.1 – Cấp phép"
    assert say(stopped, "en").sentence == "Quản trị viên stopped using the procedure 1.1 – Cấp phép"


def test_a_new_record_lists_what_it_holds_not_what_changed(ctx):
    after = {"username": "moi", "full_name": "Người Mới", "email": None, "role": "clerk",
             "agency": "000.00.21.H56", "active": True, "locked": False}
    text = say(row("admin.user_create", {"before": None, "after": after}, actor_id=3, target_type="user",
                   target_id="moi"))
    assert text.sentence == "Quản trị viên tạo tài khoản cho người dùng moi"
    assert text.changes == []
    assert text.facts == [Fact("Họ và tên", "Người Mới"), Fact("Vai trò", "Cán bộ tiếp nhận"),
                          Fact("Cơ quan", "Sở Xây dựng"), Fact("Trạng thái", "Đang hoạt động")]


def test_sign_ins_and_their_failures(ctx):
    assert say(row("auth.login", actor_id=1, actor_name="tiepnhan")).sentence == "Nguyễn Văn A đăng nhập"
    assert say(row("auth.logout", actor_id=1)).sentence == "Nguyễn Văn A đăng xuất"
    assert say(row("auth.login_failed", {"reason": "wrong password"}, actor_id=1)).sentence == \
        "Nguyễn Văn A đăng nhập không thành công: sai mật khẩu"
    assert say(row("auth.login_failed", {"reason": "unknown user"}, actor_name="khach")).sentence == \
        "Đăng nhập không thành công với tên đăng nhập “khach”: không có tài khoản này"
    assert say(row("auth.login_failed", {"reason": "unknown user"}, actor_name="khach"), "en").sentence == \
        "Failed sign-in as “khach”: no such account"


def test_calendar_days_exports_imports_and_the_command_line(ctx):
    off = row("admin.calendar_set", {"before": None, "after": {"kind": "off", "reason": "Nghỉ bù"}},
              actor_name="cli", target_type="calendar", target_id="2026-12-24")
    text = say(off)
    assert text.sentence == "Quản trị viên (dòng lệnh) đặt ngày 24/12/2026 là ngày nghỉ"
    assert text.changes == [Change("Điều chỉnh", "(trống)", "Ngày nghỉ"), Change("Lý do", "(trống)", "Nghỉ bù")]
    cleared = row("admin.calendar_set", {"before": {"kind": "work", "reason": None}, "after": None}, actor_id=3,
                  target_type="calendar", target_id="2026-11-28")
    assert say(cleared).sentence == "Quản trị viên bỏ điều chỉnh ngày 28/11/2026, trở lại lịch mặc định"
    register = row("register.export", {"procedure": None, "status": "returned"}, actor_id=1,
                   target_type="register", target_id="000.00.21.H56/2026")
    assert say(register).sentence == "Nguyễn Văn A xuất sổ theo dõi hồ sơ năm 2026 của Sở Xây dựng (XLSX)"
    assert say(register).facts == [Fact("Trạng thái", "Đã trả kết quả")]
    imported = row("admin.procedures_import", {"after": {"created": 2, "updated": 1, "unchanged": 3},
                                               "created": ["1.1", "1.2"], "updated": ["1.3"]},
                   actor_id=3, target_type="file", target_id="procedures.json")
    text = say(imported)
    assert text.sentence == ("Quản trị viên nhập danh mục thủ tục từ tệp procedures.json: 2 thủ tục mới, "
                             "1 cập nhật, 3 không đổi")
    assert text.facts == [Fact("Thủ tục mới", "1.1, 1.2"), Fact("Thủ tục cập nhật", "1.3")]


def test_citizen_feedback_tokens_and_unknown_actions(ctx):
    feedback = row("dossier.feedback", {"rating": "not_satisfied", "has_comment": True}, actor_name="citizen",
                   target_type="dossier", target_id="X-1")
    assert say(feedback).sentence == "Công dân đánh giá hồ sơ X-1: Không hài lòng"
    token = row("admin.token_revoke", {"before": {"user": "chuyenvien", "prefix": "os_ab12", "revoked": False},
                                       "after": {"user": "chuyenvien", "prefix": "os_ab12", "revoked": True}},
                actor_id=3, target_type="apitoken", target_id="7")
    text = say(token)
    assert text.sentence == "Quản trị viên thu hồi mã truy cập API os_ab12… của người dùng chuyenvien"
    assert text.changes == [Change("Đã thu hồi", "không", "có")]
    odd = say(row("plugin.something", {"x": 1}))
    assert odd.sentence == "Hệ thống: plugin.something" and odd.facts == [Fact("Chi tiết", "x: 1")]


def test_a_page_of_real_rows_gets_names_and_forwarding_destinations(app, demo):
    dossier = receive("1.010725")
    act(dossier, "forward", "tiepnhan")
    act(dossier, "forward", "chuyenvien")
    rows = list(db.session.execute(sa.select(AuditLog).where(AuditLog.action.like("dossier.%"))
                                   .order_by(AuditLog.id)).scalars())
    with app.test_request_context():
        sentences = [d.sentence for d in audit_text.describe_rows(rows)]
    clerk, specialist = user("tiepnhan").full_name, user("chuyenvien").full_name
    assert sentences == [
        f"{clerk} tiếp nhận hồ sơ {dossier.code}",
        f"{clerk} chuyển hồ sơ {dossier.code} sang Sở Xây dựng",
        f"{specialist} chuyển hồ sơ {dossier.code} sang Sở Tài nguyên và Môi trường",
    ]
