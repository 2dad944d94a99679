"""The operators' command line (CONTRACT.md): exit codes, messages, idempotence."""
import json

from onestop.accounts import user_for_token
from onestop.extensions import db
from onestop.models import Agency, ApiToken, Procedure, User

CATALOGUE = [{
    "code": "1.001234", "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ", "field": "Xây dựng",
    "time_limit": 15, "time_unit": "working_days", "fee": 75000, "receiving_agency": "000.00.17.H56",
    "clock_on_supplement": "restart",
    "documents": [{"name": "Đơn đề nghị cấp giấy phép", "originals": 1, "copies": 0}],
    "route": [{"agency": "000.00.17.H56", "time": 10}, {"agency": "000.00.21.H56", "time": 5}],
}]


def test_demo_twice_changes_nothing(runner, app):
    first = runner.invoke(args=["onestop", "demo"])
    assert first.exit_code == 0, first.output
    assert "tiepnhan" in first.output and "onestop2026" in first.output
    counts = (db.session.query(Agency).count(), db.session.query(User).count(), db.session.query(Procedure).count())
    second = runner.invoke(args=["onestop", "demo"])
    assert second.exit_code == 0
    assert "thêm 0 cơ quan, 0 tài khoản, 0 thủ tục" in second.output
    assert (db.session.query(Agency).count(), db.session.query(User).count(),
            db.session.query(Procedure).count()) == counts
    assert counts[1] >= 4 and 8 <= counts[2] <= 12


def test_agency_create_with_parent(runner, demo):
    result = runner.invoke(args=["onestop", "agency", "create", "000.03.31.H56", "--name", "UBND xã Phú An",
                                 "--parent", "000.00.31.H56"])
    assert result.exit_code == 0, result.output
    agency = db.session.execute(db.select(Agency).filter_by(identifier="000.03.31.H56")).scalar_one()
    assert agency.parent.identifier == "000.00.31.H56"


def test_agency_create_refuses_bad_input_on_stderr(runner, demo):
    result = runner.invoke(args=["onestop", "agency", "create", "abc", "--name", "X"])
    assert result.exit_code != 0
    assert "Mã định danh" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    dup = runner.invoke(args=["onestop", "agency", "create", "000.00.17.H56", "--name", "X"])
    assert dup.exit_code != 0 and "đã tồn tại" in dup.stderr


def test_user_create_with_password_from_environment(runner, demo):
    result = runner.invoke(args=["onestop", "user", "create", "cv.moi", "--role", "specialist",
                                 "--agency", "000.00.22.H56", "--name", "Trần Văn Mới"],
                           env={"ONESTOP_PASSWORD": "mat-khau-manh-2026"})
    assert result.exit_code == 0, result.output
    created = db.session.execute(db.select(User).filter_by(username="cv.moi")).scalar_one()
    assert created.check_password("mat-khau-manh-2026") and created.password_hash != "mat-khau-manh-2026"
    unknown = runner.invoke(args=["onestop", "user", "create", "x", "--role", "clerk", "--agency", "999.99.99.H00",
                                  "--name", "X"], env={"ONESTOP_PASSWORD": "mat-khau-manh-2026"})
    assert unknown.exit_code != 0 and "Không tìm thấy cơ quan" in unknown.stderr


def test_token_create_prints_only_the_token_and_stores_a_hash(runner, demo):
    result = runner.invoke(args=["onestop", "token", "create", "tiepnhan"])
    assert result.exit_code == 0
    raw = result.stdout.strip()
    assert "\n" not in raw and raw.startswith("os_")
    stored = db.session.execute(db.select(ApiToken)).scalar_one()
    assert stored.token_hash != raw and raw not in stored.token_hash
    assert user_for_token(raw).username == "tiepnhan"
    missing = runner.invoke(args=["onestop", "token", "create", "nobody"])
    assert missing.exit_code != 0 and missing.stdout == ""


def test_calendar_set_and_clear(runner, demo):
    from datetime import date

    from onestop.calendar import get_calendar

    result = runner.invoke(args=["onestop", "calendar", "set", "2026-11-28", "--work", "--reason", "Làm bù"])
    assert result.exit_code == 0 and "28/11/2026" in result.output
    assert get_calendar().is_working_day(date(2026, 11, 28))
    runner.invoke(args=["onestop", "calendar", "set", "2026-11-28", "--clear"])
    assert not get_calendar().is_working_day(date(2026, 11, 28))
    bad = runner.invoke(args=["onestop", "calendar", "set", "31/02/2026", "--off"])
    assert bad.exit_code != 0 and "không hợp lệ" in bad.stderr


def test_procedures_import_is_idempotent(runner, demo, tmp_path):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(CATALOGUE, ensure_ascii=False), encoding="utf-8")
    first = runner.invoke(args=["onestop", "procedures", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"created": 1, "updated": 0, "unchanged": 0}
    second = runner.invoke(args=["onestop", "procedures", "import", str(path)])
    assert json.loads(second.stdout) == {"created": 0, "updated": 0, "unchanged": 1}
    proc = db.session.execute(db.select(Procedure).filter_by(code="1.001234")).scalar_one()
    assert [s.time for s in proc.route] == [10, 5] and proc.documents[0].originals == 1


def test_procedures_import_names_the_entry_and_field(runner, demo, tmp_path):
    bad = [dict(CATALOGUE[0], route=[{"agency": "000.00.17.H56", "time": 10}])]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["onestop", "procedures", "import", str(path)])
    assert result.exit_code != 0
    assert "mục 1 (1.001234)" in result.stderr and "route" in result.stderr and "15" in result.stderr
    assert db.session.execute(db.select(Procedure).filter_by(code="1.001234")).first() is None
    path.write_text("[{", encoding="utf-8")
    assert "JSON không hợp lệ" in runner.invoke(args=["onestop", "procedures", "import", str(path)]).stderr
