"""Digital seals: a sealed PDF verifies (by which agency, unchanged); altered, foreign or unsigned ones do not."""
import io
import logging
from datetime import timedelta

import pytest
from factories import act, receive, user
from signingkit import appended, sample_pdf, sealed_by_foreign_ca, tampered
from werkzeug.datastructures import FileStorage

from onestop import files, papers, signing
from onestop.extensions import db
from onestop.status import SignatureCheck
from onestop.timeutil import now as utcnow

CONSTRUCTION = "000.00.21.H56"
CONSTRUCTION_NAME = "Sở Xây dựng"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(data: bytes, name: str, mimetype: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=mimetype)


def test_a_sealed_pdf_is_valid_and_names_the_agency(demo):
    sealed = signing.seal(sample_pdf(), CONSTRUCTION, reason="Kết quả giải quyết hồ sơ")
    result = signing.verify(sealed)
    assert result.check == SignatureCheck.VALID and result.valid
    assert result.signer == CONSTRUCTION_NAME and result.signer_identifier == CONSTRUCTION
    assert result.issuer == "CA chuyên dùng mẫu – UBND tỉnh Sơn Hà"
    assert abs(result.signed_at - utcnow()) < timedelta(minutes=1)


def test_a_changed_byte_makes_it_invalid(demo):
    sealed = signing.seal(sample_pdf(), CONSTRUCTION, reason="Kết quả")
    result = signing.verify(tampered(sealed))
    assert not result.valid
    assert result.check == SignatureCheck.TAMPERED
    assert "thay đổi sau khi ký" in result.check.label


def test_an_update_appended_after_the_seal_is_reported(demo):
    sealed = signing.seal(sample_pdf(), CONSTRUCTION, reason="Kết quả")
    result = signing.verify(appended(sealed))
    assert result.check == SignatureCheck.MODIFIED and not result.valid


def test_a_pdf_sealed_under_another_ca_is_an_unknown_signer(app, demo):
    forged = sealed_by_foreign_ca(app, sample_pdf(), CONSTRUCTION, CONSTRUCTION_NAME)
    result = signing.verify(forged)
    assert result.check == SignatureCheck.UNKNOWN_SIGNER and not result.valid
    assert result.signer == CONSTRUCTION_NAME  # the name alone proves nothing
    assert result.issuer == "CA giả mạo"


def test_unsigned_and_unreadable_files_say_so(demo):
    assert signing.verify(sample_pdf()).check == SignatureCheck.NO_SIGNATURE
    assert signing.verify(b"%PDF-1.7\nnot really a pdf").check == SignatureCheck.UNREADABLE


def test_a_sealed_pdf_is_final(demo):
    once = signing.seal(sample_pdf(), "000.00.22.H56", reason="Kết quả")
    with pytest.raises(signing.SigningUnavailable, match="khóa"):
        signing.seal(once, CONSTRUCTION, reason="Kết quả")


def _completed_with(dossier, data: bytes, name: str, mimetype: str, username: str = "chuyenvien"):
    act(dossier, "complete", username)
    att = files.save_upload(dossier, upload(data, name, mimetype), "result", user(username), field="result_file")
    db.session.commit()
    return att


def test_a_pdf_result_is_stored_sealed_by_the_completing_agency(demo):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    att = _completed_with(d, sample_pdf(), "giay-phep.pdf", "application/pdf")
    stored = files.read_bytes(att)
    result = signing.verify(stored)
    assert result.valid and result.signer == CONSTRUCTION_NAME
    assert att.size == len(stored) and d.electronic_result is True


def test_an_image_result_stays_unsigned_and_is_no_electronic_result(demo):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    att = _completed_with(d, PNG, "ket-qua.png", "image/png")
    assert files.read_bytes(att) == PNG
    assert d.electronic_result is False


def test_without_a_certificate_the_file_is_kept_unsigned_and_staff_are_told(app, demo, tmp_path, caplog):
    app.config["ONESTOP_SIGNING_DIR"] = str(tmp_path)  # no .p12 files there
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    pdf = sample_pdf()
    with app.test_request_context(), caplog.at_level(logging.WARNING, logger="onestop.signing"):
        from flask import get_flashed_messages

        att = _completed_with(d, pdf, "giay-phep.pdf", "application/pdf")
        messages = get_flashed_messages()
    assert files.read_bytes(att) == pdf and d.electronic_result is False
    assert any("chưa được ký số" in m and CONSTRUCTION in m for m in messages)
    assert "Chưa cấu hình chứng thư số" in caplog.text


def test_a_wrong_password_is_explained_not_raised(app, demo):
    app.config["ONESTOP_SIGNING_PASSWORD"] = "not-the-password"
    with pytest.raises(signing.SigningUnavailable, match="sai mật khẩu"):
        signing.seal(sample_pdf(), "000.00.23.H56", reason="Kết quả")
    data, sealed = signing.seal_or_keep(sample_pdf(), type("A", (), {"identifier": "000.00.23.H56", "name": "x"}),
                                        reason="Kết quả")
    assert sealed is False


def test_the_receipt_is_sealed_by_the_receiving_desk_once_and_reprinted_as_issued(demo):
    d = receive("1.004227")
    first = papers.receipt_pdf(d)
    db.session.commit()
    result = signing.verify(first)
    assert result.valid and result.signer_identifier == d.receiving_agency.identifier
    assert papers.receipt_pdf(d) == first  # the reprint is the stored, sealed file


def test_the_certificates_command_issues_what_is_missing(app, runner, demo, tmp_path):
    app.config["ONESTOP_SIGNING_DIR"] = str(tmp_path)
    r = runner.invoke(args=["onestop", "certificates", "--agency", CONSTRUCTION])
    assert r.exit_code == 0, r.output
    assert f"đã cấp {CONSTRUCTION}.p12  {CONSTRUCTION_NAME}" in r.output
    assert "Đã tạo CA mẫu" in r.output
    assert (tmp_path / f"{CONSTRUCTION}.p12").exists() and (tmp_path / "ca.pem").exists()
    r = runner.invoke(args=["onestop", "certificates", "--agency", CONSTRUCTION])
    assert "Đã cấp 0 chứng thư; 1 cơ quan đã có sẵn." in r.output
    assert signing.verify(signing.seal(sample_pdf(), CONSTRUCTION, reason="x")).valid
    r = runner.invoke(args=["onestop", "certificates", "--agency", "999.99.99.H56"])
    assert r.exit_code != 0 and "không có cơ quan 999.99.99.H56" in r.output
