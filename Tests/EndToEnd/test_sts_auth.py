"""STS GetCallerIdentity and SigV4 authentication as the aws CLI and boto3 see it."""

import datetime
import time
from unittest import mock

import botocore.auth
import botocore.awsrequest
import pytest
import requests
from botocore.exceptions import ClientError

from conftest import Creds, random_access_key_id, random_secret

GCI_BODY = "Action=GetCallerIdentity&Version=2011-06-15"


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_cli_get_caller_identity_returns_root(server):
    r = server.aws("sts", "get-caller-identity")
    assert r.rc == 0, r
    assert r.json == {
        "UserId": server.account_id,
        "Account": server.account_id,
        "Arn": f"arn:aws:iam::{server.account_id}:root",
    }


def test_boto3_get_caller_identity_returns_root(server):
    resp = server.client("sts").get_caller_identity()
    assert resp["Account"] == server.account_id
    assert resp["Arn"] == f"arn:aws:iam::{server.account_id}:root"
    assert resp["UserId"] == server.account_id
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ResponseMetadata"]["RequestId"]


def test_cli_wrong_secret_is_signature_does_not_match(server):
    bad = Creds(server.root.access_key, random_secret())
    r = server.aws("sts", "get-caller-identity", creds=bad)
    assert r.rc != 0
    assert "SignatureDoesNotMatch" in r.stderr, r


def test_boto3_wrong_secret_is_signature_does_not_match(server):
    bad = Creds(server.root.access_key, random_secret())
    with pytest.raises(ClientError) as e:
        server.client("sts", bad).get_caller_identity()
    assert error_code(e.value) == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_cli_unknown_key_is_invalid_client_token_id(server):
    unknown = Creds(random_access_key_id(), random_secret())
    r = server.aws("sts", "get-caller-identity", creds=unknown)
    assert r.rc != 0
    assert "InvalidClientTokenId" in r.stderr, r


def test_boto3_unknown_key_is_invalid_client_token_id(server):
    with pytest.raises(ClientError) as e:
        server.client("sts", Creds(random_access_key_id(), random_secret())).get_caller_identity()
    assert error_code(e.value) == "InvalidClientTokenId"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_cli_unsigned_is_missing_authentication_token(server):
    r = server.aws("sts", "get-caller-identity", "--no-sign-request", creds=False)
    assert r.rc != 0
    assert "MissingAuthenticationToken" in r.stderr, r


def test_raw_unsigned_post_is_missing_authentication_token(server):
    r = requests.post(server.url + "/", data=GCI_BODY,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert r.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in r.text


def _skewed(minutes: float):
    real = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return mock.patch.object(botocore.auth, "get_current_datetime",
                             lambda *a, **k: real + datetime.timedelta(minutes=minutes))


@pytest.mark.parametrize("minutes", [-10, 10])
def test_signed_ten_minutes_off_is_accepted(server, minutes):
    client = server.client("sts")
    with _skewed(minutes):
        resp = client.get_caller_identity()
    assert resp["Account"] == server.account_id


@pytest.mark.parametrize("minutes,phrase", [(-20, "Signature expired"), (20, "not yet current")])
def test_signed_twenty_minutes_off_is_refused(server, minutes, phrase):
    client = server.client("sts")
    with _skewed(minutes):
        with pytest.raises(ClientError) as e:
            client.get_caller_identity()
    assert error_code(e.value) == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert phrase in e.value.response["Error"]["Message"]


def _presigned_gci_url(server, expires: int) -> str:
    req = botocore.awsrequest.AWSRequest(
        method="GET", url=server.url + "/?Action=GetCallerIdentity&Version=2011-06-15")
    botocore.auth.SigV4QueryAuth(server.root.botocore(), "sts", "us-east-1", expires=expires).add_auth(req)
    return req.prepare().url


def test_presigned_url_fresh_is_accepted(server):
    url = _presigned_gci_url(server, expires=300)
    assert "X-Amz-Signature=" in url
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert f"<Arn>arn:aws:iam::{server.account_id}:root</Arn>" in r.text


def test_presigned_url_expired_is_refused(server):
    url = _presigned_gci_url(server, expires=1)
    time.sleep(2.1)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403, r.text
    assert "<Code>" in r.text


def test_presigned_url_tampered_is_refused(server):
    url = _presigned_gci_url(server, expires=300)
    r = requests.get(url.replace("Version=2011-06-15", "Version=2011-06-16"), timeout=10)
    assert r.status_code == 403
    assert "SignatureDoesNotMatch" in r.text


def test_unknown_action_is_aws_error(server):
    r = server.signed_request("POST", "/", body=b"Action=NoSuchThing&Version=2011-06-15",
                              headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                              service="sts")
    assert 400 <= r.status_code < 500, r.text
    assert "<Code>InvalidAction</Code>" in r.text


def test_presigned_url_dated_twenty_minutes_ahead_is_refused(server):
    with _skewed(20):
        url = _presigned_gci_url(server, expires=3600)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403, r.text
    assert "<Code>SignatureDoesNotMatch</Code>" in r.text


def test_presigned_url_expires_beyond_seven_days_is_refused(server):
    url = _presigned_gci_url(server, expires=604801)
    r = requests.get(url, timeout=10)
    assert 400 <= r.status_code < 500 and r.status_code != 404, r.text


def test_keep_alive_connection_survives_error_responses(server):
    with requests.Session() as sess:
        r1 = sess.post(server.url + "/", data=GCI_BODY, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
        assert r1.status_code == 403
        r2 = sess.get(server.url + "/_nimbus/health", timeout=10)
        assert r2.status_code == 200
        r3 = sess.get(_presigned_gci_url(server, expires=60), timeout=10)
        assert r3.status_code == 200, r3.text


def test_decode_authorization_message_needs_permission_and_a_real_message(server):
    """Only messages Nimbus encoded for this account decode; the caller needs sts:DecodeAuthorizationMessage."""
    r = server.aws("sts", "decode-authorization-message", "--encoded-message", "bm90IGEgbWVzc2FnZQ==")
    assert r.rc != 0
    assert "InvalidAuthorizationMessageException" in r.stderr, r

    iam = server.client("iam")
    name = f"decoder-{random_secret()[:6].lower().replace('/', 'x').replace('+', 'x')}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = Creds(key["AccessKeyId"], key["SecretAccessKey"], server.account_id)
    with pytest.raises(ClientError) as e:
        server.client("sts", user).decode_authorization_message(EncodedMessage="bm90IGEgbWVzc2FnZQ==")
    assert error_code(e.value) == "AccessDenied"
    assert "sts:DecodeAuthorizationMessage" in e.value.response["Error"]["Message"]
    iam.put_user_policy(UserName=name, PolicyName="decode", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}'))
    with pytest.raises(ClientError) as e:
        server.client("sts", user).decode_authorization_message(EncodedMessage="bm90IGEgbWVzc2FnZQ==")
    assert error_code(e.value) == "InvalidAuthorizationMessageException"
