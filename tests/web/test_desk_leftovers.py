"""Issue 19, what the first round left: the duplicate window is a province setting (item 5), notes the system
writes itself and counted sets read in the reader's language (item 9), empty fields keep their row (item 8)."""
from datetime import timedelta

import pytest
from factories import APPLICANT, act, receive, user
from flask import g
from test_desk_fixes import count, html, intake_data

from onestop import intake_checks, settings
from onestop.extensions import db
from onestop.timeutil import now as utcnow


@pytest.fixture(autouse=True)
def _fresh_locale_per_request(app):
    """The test keeps one app context open, so `g` would carry one request's language to the next."""
    @app.before_request
    def _forget_locale():
        g.pop("_flask_babel", None)


def use_language(client, code):
    assert client.post(f"/lang/{code}", data={"next": "/about"}).status_code == 302


def test_the_duplicate_window_is_the_provinces_setting_default_ten_minutes(demo):
    assert settings.get("intake_duplicate_minutes") == 10
    d = receive("1.009994", applicant=dict(APPLICANT))
    in_25 = utcnow() + timedelta(minutes=25)
    assert intake_checks.recent_duplicate(d.procedure, APPLICANT["id_number"], in_25) is None
    settings.update(user("admin"), {"intake_duplicate_minutes": "30"})
    db.session.commit()
    assert intake_checks.recent_duplicate(d.procedure, APPLICANT["id_number"], in_25) == d
    settings.update(user("admin"), {"intake_duplicate_minutes": "0"})  # 0: no warning at all
    db.session.commit()
    assert intake_checks.recent_duplicate(d.procedure, APPLICANT["id_number"], utcnow()) is None


def test_the_admin_sets_the_window_and_the_desk_follows_it(client, auth, demo):
    auth.login("admin")
    page = html(client.get("/admin/rules"))
    assert "Cảnh báo trùng hồ sơ khi tiếp nhận (phút)" in page
    values = {rule.key: str(value) for rule, value in zip(settings.RULES, settings.current().values(), strict=True)}
    r = client.post("/admin/rules", data={**values, "intake_duplicate_minutes": "0"})
    assert r.status_code in (200, 302) and settings.get("intake_duplicate_minutes") == 0
    auth.logout()
    auth.login("tiepnhan")
    assert client.post("/reception/intake", data=intake_data(intake_token="first-" + "b" * 20)).status_code == 302
    r = client.post("/reception/intake", data=intake_data(intake_token="second-" + "c" * 20))
    assert r.status_code == 302 and count() == 2  # no question asked: the province turned the warning off


def test_system_notes_and_counted_sets_read_in_the_readers_language(client, auth, demo):
    d = receive("1.004227")
    act(d, "forward", "tiepnhan")
    act(d, "request_payment", "chuyenvien.tnmt", amount="150000")
    auth.login("chuyenvien.tnmt")
    page = html(client.get(f"/processing/dossiers/{d.code}"))
    assert "Số tiền: 150.000 đ" in page and "150.000 đồng" not in page
    use_language(client, "en")
    page = html(client.get(f"/processing/dossiers/{d.code}"))
    assert "150,000 VND" in page and "150.000 đồng" not in page
    auth.logout()
    auth.login("tiepnhan")
    use_language(client, "en")
    page = html(client.get(f"/reception/dossiers/{d.code}"))
    assert "1 sets" not in page and "150,000 VND" in page


def test_an_empty_address_keeps_its_own_row_and_action_forms_leave_checks_to_the_server(client, auth, demo):
    d = receive("1.004227", applicant={**APPLICANT, "address": None, "email": None})
    act(d, "forward", "tiepnhan")
    auth.login("chuyenvien.tnmt")
    page = html(client.get(f"/processing/dossiers/{d.code}"))
    assert 'id="applicant-address">—</dd>' in page and 'id="applicant-email">—</dd>' in page
    opening_tags = [form.split(">", 1)[0] for form in page.split("<form")[1:]]
    actions = [tag for tag in opening_tags if "/actions/" in tag]
    assert actions and all("novalidate" in tag for tag in actions)
    r = client.post(f"/processing/dossiers/{d.code}/actions/stop", data={"version": d.version, "reason": ""})
    assert "Lý do" in html(r) and "invalid-feedback" in html(r)
