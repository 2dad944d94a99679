"""One-time codes: sent through the outbox (email, SMS webhook), hashed, single use, expiring, limited tries."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from onestop import otp
from onestop.errors import ValidationError
from onestop.extensions import db
from onestop.models import OneTimeCode, OutboxMessage
from onestop.timeutil import now as utcnow


@pytest.fixture
def mail_on(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=2525)


def outbox():
    return db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_email_code_goes_through_the_outbox_and_only_its_hash_is_stored(mail_on):
    issued = otp.issue("  An.Nguyen@Example.VN ", "online_submit")
    assert issued.contact == "an.nguyen@example.vn" and issued.channel == "email"
    [message] = outbox()
    assert message.channel == "email" and message.recipient == "an.nguyen@example.vn"
    assert issued.code in message.body and "Không đưa mã này cho bất kỳ ai" in message.body
    row = db.session.get(OneTimeCode, issued.id)
    assert issued.code not in row.code_hash and len(row.code_hash) == 64
    assert otp.check("an.nguyen@example.vn", "online_submit", issued.code) == "an.nguyen@example.vn"
    with pytest.raises(ValidationError) as used:  # single use
        otp.check("an.nguyen@example.vn", "online_submit", issued.code)
    assert used.value.code == "otp_missing"


def test_sms_code_is_a_signed_webhook_to_the_gateway(app):
    app.config.update(ONESTOP_SMS_GATEWAY_URL="http://127.0.0.1:9/sms")
    issued = otp.issue("+84 912 345 678", "desk_contact")
    assert issued.contact == "0912345678" and issued.channel == "sms"
    [message] = outbox()
    assert message.channel == "webhook" and message.recipient == "http://127.0.0.1:9/sms"
    payload = json.loads(message.body)
    assert payload["to"] == "0912345678" and issued.code in payload["text"]


def test_wrong_code_counts_attempts_then_locks_the_code(mail_on):
    issued = otp.issue("b@example.vn", "online_submit")
    wrong = "000000" if issued.code != "000000" else "111111"
    with pytest.raises(ValidationError) as first:
        otp.check("b@example.vn", "online_submit", wrong)
    assert first.value.code == "otp_wrong" and "Còn 4 lần thử" in first.value.message
    for _ in range(4):
        with pytest.raises(ValidationError):
            otp.check("b@example.vn", "online_submit", "abc")
    with pytest.raises(ValidationError) as locked:  # even the right code is refused now
        otp.check("b@example.vn", "online_submit", issued.code)
    assert locked.value.code == "otp_too_many_attempts" and "Gửi lại mã" in locked.value.message


def test_expired_code_is_refused_and_a_new_code_replaces_the_old(mail_on):
    then = utcnow() - timedelta(minutes=11)
    old = otp.issue("c@example.vn", "online_submit", now=then)
    with pytest.raises(ValidationError) as expired:
        otp.check("c@example.vn", "online_submit", old.code)
    assert expired.value.code == "otp_expired" and "hết hạn" in expired.value.message
    first = otp.issue("c@example.vn", "online_submit")
    second = otp.issue("c@example.vn", "online_submit")
    if first.code != second.code:
        with pytest.raises(ValidationError):
            otp.check("c@example.vn", "online_submit", first.code)
    assert otp.check("c@example.vn", "online_submit", second.code) == "c@example.vn"


def test_code_of_one_purpose_does_not_open_another(mail_on):
    issued = otp.issue("d@example.vn", "online_draft")
    with pytest.raises(ValidationError) as other:
        otp.check("d@example.vn", "online_submit", issued.code)
    assert other.value.code == "otp_missing"


def test_sending_is_limited_per_contact_per_hour(mail_on):
    for _ in range(5):
        otp.issue("e@example.vn", "online_submit")
    with pytest.raises(ValidationError) as limited:
        otp.issue("e@example.vn", "online_submit")
    assert limited.value.code == "otp_too_many_sent" and "e***@example.vn" in limited.value.message


@pytest.mark.parametrize("contact", ["", "not a contact", "0123", "a@", None])
def test_bad_contacts_are_refused_in_vietnamese(mail_on, contact):
    with pytest.raises(ValidationError) as bad:
        otp.issue(contact, "online_submit")
    assert bad.value.code == "otp_bad_contact"
    assert outbox() == []


def test_a_channel_that_is_off_is_said_so(app):
    with pytest.raises(ValidationError) as off:
        otp.issue("f@example.vn", "online_submit")
    assert off.value.code == "otp_channel_off"
    with pytest.raises(ValidationError) as no_sms:
        otp.issue("0912345678", "online_submit")
    assert "SMS" in no_sms.value.message
