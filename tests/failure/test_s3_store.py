"""Stored files in S3-compatible storage: a clerk's scan goes to the bucket, comes back, and a refused intake
leaves no object behind. The storage is a real S3 server on loopback (moto's server mode), not a mock client."""
from __future__ import annotations

import io

import boto3
import pytest
from factories import receive
from pgcluster import free_port

from onestop import files, filestore
from onestop.extensions import db
from onestop.models import Attachment, Dossier

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BUCKET = "onestop-files"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture
def s3_app(app, s3_server):
    endpoint, client = s3_server
    app.config.update(ONESTOP_FILE_STORE="s3", ONESTOP_S3_BUCKET=BUCKET, ONESTOP_S3_PREFIX="province/",
                      ONESTOP_S3_ENDPOINT_URL=endpoint, ONESTOP_S3_ACCESS_KEY="test", ONESTOP_S3_SECRET_KEY="test")
    app.extensions[filestore.EXTENSION] = None
    yield app, client
    app.extensions[filestore.EXTENSION] = None


def objects(client) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_scan_is_stored_in_the_bucket_and_served_back(s3_app, demo, auth, client):
    app, s3 = s3_app
    dossier = receive("1.009994")
    db.session.commit()
    before = set(objects(s3))
    auth.login("tiepnhan")
    r = client.post(f"/reception/dossiers/{dossier.code}/scans",
                    data={"scans": (io.BytesIO(PDF), "don.pdf", "application/pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    att = db.session.execute(db.select(Attachment).filter_by(kind="scan")).scalar_one()
    new = set(objects(s3)) - before
    assert new == {f"province/{att.stored_name}"}, "the scan went to the bucket under the prefix"
    assert not files.path_of(att).exists(), "and not to the local directory"
    assert client.get(f"/reception/files/{att.id}").data == PDF


def test_a_rolled_back_transaction_removes_its_object(s3_app, demo):
    app, s3 = s3_app
    dossier = receive("1.009994")
    db.session.commit()
    before = set(objects(s3))
    files.save_bytes(dossier, PDF, kind="scan", original_name="a.pdf", content_type="application/pdf")
    assert len(set(objects(s3)) - before) == 1
    db.session.rollback()
    assert set(objects(s3)) == before, "nothing is left in the bucket"
    assert db.session.execute(db.select(db.func.count(Attachment.id))).scalar() == 0
    assert db.session.get(Dossier, dossier.id) is not None
