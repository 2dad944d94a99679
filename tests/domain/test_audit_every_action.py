"""Every action the code writes to the audit log reads as a sentence: no raw action codes, no JSON (issue 19, item 10).

The actions are found in the source (every `record("…")` call and the dossier actions of the workflow), so an
action added later without a sentence fails here.
"""
import pathlib
import re
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from onestop import audit_text
from onestop.audit_text import Names
from onestop.models import ACTION_LABELS

ROOT = pathlib.Path(__file__).resolve().parents[2] / "onestop"
CALL = re.compile(r"(?:\b|_)record\(\s*((?:\"[a-z_0-9.]+\"(?:\s+if\s+[^,]+?\s+else\s+)?)+)")
CODE = re.compile(r"\"([a-z_0-9]+\.[a-z_0-9]+)\"")
NOT_AUDITED = {"due_soon", "overdue", "step_overdue"}  # history events of the deadline sweep, not audit rows

NAMES = Names(actors={1: "Nguyễn Văn A"}, agencies={"000.00.21.H56": "Sở Xây dựng"})

# Details as the code writes them, for the actions whose sentence uses them.
DETAILS = {
    "province.face": {"name": "Tỉnh Hòa Bình", "banner_color": "#0b4f8a", "hotline": "1900 1234", "emblem": "(ảnh)"},
    "queue.counter_created": {"before": None, "after": {"agency": "000.00.21.H56", "number": 5, "name": "Đất đai",
                                                        "fields": ["Đất đai"], "active": True}},
    "queue.counter_saved": {"before": {"agency": "000.00.21.H56", "number": 5, "name": "Đất đai", "fields": [],
                                       "active": True},
                            "after": {"agency": "000.00.21.H56", "number": 5, "name": "Đất đai",
                                      "fields": ["Đất đai", "Xây dựng"], "active": False}},
    "integrity.review": {"kind": "shared_phone", "key": "0912345678", "note": "Đã gọi điện, là người nhà."},
    "pakn.file": {"kind": "complaint", "agency": "000.00.21.H56", "dossier": "X-1"},
    "pakn.answer": {"late": False},
    "dossier.contact_code": {"contact": "09******78"},
    "dossier.contact_confirmed": {"contact": "09******78"},
    "settings.update": {"changes": {"intake_duplicate_minutes": {"from": 10, "to": 15}}},
    "report.export": {"format": "pdf", "scope": None, "period": {"kind": "year", "year": 2026}},
    "dossier.feedback": {"rating": "satisfied"},
}


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in CALL.finditer(text):
            found.update(CODE.findall(match.group(1)))
        if 'f"dossier.{' in text:
            found.update(f"dossier.{a}" for a in ACTION_LABELS if a not in NOT_AUDITED)
    return found


def test_the_source_scan_finds_the_actions():
    actions = recorded_actions()
    assert {"auth.login", "province.face", "queue.counter_created", "queue.counter_saved", "admin.user_activate",
            "admin.user_deactivate", "dossier.forward", "dossier.online_supplement", "pakn.file"} <= actions


@pytest.mark.parametrize("action", sorted(recorded_actions()))
def test_every_recorded_action_reads_as_a_sentence(app, action):
    details = DETAILS.get(action, {})
    entry = SimpleNamespace(id=1, action=action, details=details, actor_id=1, actor_name="tiepnhan",
                            target_type=action.split(".")[0], target_id="X-1")
    with app.test_request_context(), force_locale("vi"):
        text = audit_text.describe(entry, NAMES)
    shown = [text.sentence, *(f"{f.label}: {f.value}" for f in text.facts),
             *(f"{c.label}: {c.before} → {c.after}" for c in text.changes)]
    for line in shown:
        assert action not in line, line
        assert not re.search(r"[{}\[\]\"]", line), line          # no JSON punctuation
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", line), line  # no raw keys such as banner_color
    assert not text.sentence.startswith("Nguyễn Văn A: "), text.sentence  # the fallback "who: action"
    assert all(f.label != "Chi tiết" for f in text.facts)


def test_the_province_face_change_names_the_fields(app):
    entry = SimpleNamespace(id=1, action="province.face", details=DETAILS["province.face"], actor_id=1,
                            actor_name="admin", target_type="province_face", target_id="1")
    with app.test_request_context(), force_locale("vi"):
        text = audit_text.describe(entry, NAMES)
    assert text.sentence == "Nguyễn Văn A thay đổi giao diện cổng của tỉnh (đầu trang, chân trang)"
    assert [(f.label, f.value) for f in text.facts] == [
        ("Tên tỉnh, thành phố", "Tỉnh Hòa Bình"), ("Màu nền dải tiêu đề", "#0b4f8a"),
        ("Đường dây nóng", "1900 1234"), ("Ảnh biểu trưng", "đã thay đổi")]


def test_a_counter_change_says_which_counter_and_what_changed(app):
    entry = SimpleNamespace(id=1, action="queue.counter_saved", details=DETAILS["queue.counter_saved"], actor_id=1,
                            actor_name="admin", target_type="queue_counter", target_id="3")
    with app.test_request_context(), force_locale("vi"):
        text = audit_text.describe(entry, NAMES)
    assert text.sentence == "Nguyễn Văn A sửa quầy số 5 của Sở Xây dựng"
    assert [(c.label, c.before, c.after) for c in text.changes] == [
        ("Lĩnh vực phục vụ", "(trống)", "Đất đai; Xây dựng"), ("Trạng thái", "Đang sử dụng", "Không sử dụng")]
