"""Satisfaction rating on the lookup page: only after return, only with the key, only once."""
import pytest
from factories import APPLICANT, act, receive, vn

from onestop.extensions import db
from onestop.models import AuditLog, Feedback


def processed(returned: bool = True):
    d = receive("1.009994", at=vn(2026, 11, 2, 9, 0))
    act(d, "forward", "tiepnhan", at=vn(2026, 11, 2, 10, 0))
    act(d, "complete", "chuyenvien", at=vn(2026, 11, 5, 9, 0))
    if returned:
        act(d, "return", "tiepnhan", at=vn(2026, 11, 6, 9, 0), collected_by=APPLICANT["full_name"])
    return d


def feedback_count() -> int:
    return db.session.scalar(db.select(db.func.count(Feedback.id)))


def test_rating_after_return_is_saved_once(client, demo):
    d = processed()
    form = client.get(f"/lookup/{d.code}/feedback?key={d.lookup_key}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    for label in ("Rất hài lòng", "Hài lòng", "Không hài lòng"):
        assert f">{label}</label>" in html
    assert "<legend" in html and 'for="comment"' in html

    response = client.post(f"/lookup/{d.code}/feedback",
                           data={"key": d.lookup_key, "rating": "very_satisfied", "comment": "Cán bộ tận tình"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cảm ơn ông/bà đã đánh giá" in page
    assert "Rất hài lòng" in page and "Cán bộ tận tình" in page
    fb = db.session.execute(db.select(Feedback)).scalar_one()
    assert (fb.rating, fb.comment, fb.dossier_id) == ("very_satisfied", "Cán bộ tận tình", d.id)
    assert db.session.execute(db.select(AuditLog).filter_by(action="dossier.feedback")).scalar_one()

    again = client.post(f"/lookup/{d.code}/feedback", data={"key": d.lookup_key, "rating": "not_satisfied"})
    assert again.status_code == 409
    assert "chỉ được đánh giá một lần" in again.get_data(as_text=True)
    assert feedback_count() == 1


def test_rating_before_return_is_refused(client, demo):
    d = processed(returned=False)
    page = client.get(f"/lookup/{d.code}?key={d.lookup_key}").get_data(as_text=True)
    assert "Đánh giá mức độ hài lòng" not in page
    response = client.post(f"/lookup/{d.code}/feedback", data={"key": d.lookup_key, "rating": "satisfied"})
    assert response.status_code == 409
    assert "sau khi ông/bà đã nhận kết quả" in response.get_data(as_text=True)
    assert feedback_count() == 0


def test_rating_needs_the_key(client, demo):
    d = processed()
    for data in ({"rating": "satisfied"}, {"rating": "satisfied", "key": "ABCDEFGH"}):
        response = client.post(f"/lookup/{d.code}/feedback", data=data)
        assert response.status_code == 404
        assert "Không tìm thấy hồ sơ" in response.get_data(as_text=True)
    assert client.get(f"/lookup/{d.code}/feedback").status_code == 404
    assert feedback_count() == 0


def test_rating_must_be_chosen(client, demo):
    d = processed()
    response = client.post(f"/lookup/{d.code}/feedback", data={"key": d.lookup_key, "rating": "great"})
    assert response.status_code == 422
    assert "Vui lòng chọn mức độ hài lòng" in response.get_data(as_text=True)
    response = client.post(f"/lookup/{d.code}/feedback",
                           data={"key": d.lookup_key, "rating": "satisfied", "comment": "x" * 2001})
    assert response.status_code == 422
    assert "2000 ký tự" in response.get_data(as_text=True)
    assert feedback_count() == 0


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_feedback_form_is_protected_by_csrf(client, demo):
    d = processed()
    html = client.get(f"/lookup/{d.code}/feedback?key={d.lookup_key}").get_data(as_text=True)
    assert 'name="csrf_token"' in html
    response = client.post(f"/lookup/{d.code}/feedback", data={"key": d.lookup_key, "rating": "satisfied"})
    assert response.status_code == 400
    assert feedback_count() == 0
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/lookup/{d.code}/feedback",
                           data={"key": d.lookup_key, "rating": "satisfied", "csrf_token": token})
    assert response.status_code == 302 and feedback_count() == 1


@pytest.mark.config(RATELIMIT_ENABLED=True, ONESTOP_LOOKUP_LIMIT="3 per minute")
def test_feedback_is_rate_limited(client, demo):
    d = processed()
    for _ in range(3):
        client.post(f"/lookup/{d.code}/feedback", data={"key": "WRONG123", "rating": "satisfied"})
    response = client.post(f"/lookup/{d.code}/feedback", data={"key": d.lookup_key, "rating": "satisfied"})
    assert response.status_code == 429
    assert "Bạn đã tra cứu quá nhiều lần" in response.get_data(as_text=True)
    assert feedback_count() == 0
