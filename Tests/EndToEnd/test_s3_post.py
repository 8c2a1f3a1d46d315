"""S3 browser-based uploads (POST Object) end to end: boto3's generate_presigned_post (SigV4 and SigV2)
and plain HTML-form-style requests, the policy's conditions, the answers S3 gives, and access control.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET

import botocore.config
import botocore.exceptions
import pytest
import requests

from conftest import Creds


@pytest.fixture
def s3(clean):
    return clean.client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="post-bucket")
    return "post-bucket"


def s3v4(server, creds=None):
    return server.client("s3", creds, signature_version="s3v4")


def post(url, fields, content=b"hello, world", filename="hello.txt", **kw):
    return requests.post(url, data=fields, files={"file": (filename, content)}, allow_redirects=False, timeout=30, **kw)


def error(response):
    assert response.headers.get("Content-Type", "").startswith("application/xml"), response.text
    root = ET.fromstring(response.content)
    return root.findtext("Code"), root.findtext("Message")


def form_policy(conditions, expires_in=300):
    expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
    doc = {"expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "conditions": conditions}
    return base64.b64encode(json.dumps(doc).encode()).decode()


def sign_v2(secret, policy):
    return base64.b64encode(hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()).decode()


# -- boto3 generate_presigned_post -------------------------------------------------------------------


def test_presigned_post_sigv4_stores_the_object_as_put_does(clean, s3, bucket):
    client = s3v4(clean)
    presigned = client.generate_presigned_post(
        bucket, "uploads/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-owner": "alice"},
        Conditions=[{"Content-Type": "text/plain"}, {"x-amz-meta-owner": "alice"}, ["content-length-range", 1, 1024]],
        ExpiresIn=300,
    )
    assert presigned["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    r = post(presigned["url"], presigned["fields"], content=b"hello, world", filename="greeting.txt")
    assert r.status_code == 204, r.text
    assert r.content == b""
    etag = r.headers["ETag"]
    assert etag == '"%s"' % hashlib.md5(b"hello, world").hexdigest()
    assert r.headers["Location"].endswith("/post-bucket/uploads/greeting.txt")
    assert r.headers["x-amz-server-side-encryption"] == "AES256"

    got = s3.get_object(Bucket=bucket, Key="uploads/greeting.txt")
    assert got["Body"].read() == b"hello, world"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "alice"}
    assert got["ETag"] == etag


def test_post_uploads_are_in_cloudtrail(clean, s3, bucket):
    """A browser upload is S3's PostObject data event: who, from where, bucket and key; refused ones too."""
    user = clean.client("iam")
    user.create_user(UserName="uploader")
    user.put_user_policy(UserName="uploader", PolicyName="put", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/ok/*"}]}))
    key = user.create_access_key(UserName="uploader")["AccessKey"]
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    client = s3v4(clean, creds)
    allowed = client.generate_presigned_post(bucket, "ok/file.txt", ExpiresIn=300)
    assert post(allowed["url"], allowed["fields"]).status_code == 204
    denied = client.generate_presigned_post(bucket, "no/file.txt", ExpiresIn=300)
    r = post(denied["url"], denied["fields"])
    assert r.status_code == 403 and error(r)[0] == "AccessDenied"

    events = clean.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PostObject"}])
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    assert len(records) == 2, records
    by_key = {r["requestParameters"]["key"]: r for r in records}
    for record in by_key.values():
        assert record["eventSource"] == "s3.amazonaws.com"
        assert record["userIdentity"]["type"] == "IAMUser"
        assert record["userIdentity"]["userName"] == "uploader"
        assert record["userIdentity"]["accessKeyId"] == key["AccessKeyId"]
        assert record["sourceIPAddress"] == "127.0.0.1"
        assert record["requestParameters"]["bucketName"] == bucket
        assert record["readOnly"] is False
    assert "errorCode" not in by_key["ok/file.txt"]
    assert by_key["no/file.txt"]["errorCode"] == "AccessDenied"
    # The form's fields (its policy and signature among them) are not recorded.
    assert allowed["fields"]["x-amz-signature"] not in json.dumps(records)


def test_presigned_post_sigv2(clean, s3, bucket):
    client = clean.client("s3", signature_version="s3")
    presigned = client.generate_presigned_post(bucket, "v2/object.bin", ExpiresIn=300)
    assert {"AWSAccessKeyId", "signature", "policy"} <= set(presigned["fields"])
    r = post(presigned["url"], presigned["fields"], content=b"\x00\x01binary\xff")
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="v2/object.bin")["Body"].read() == b"\x00\x01binary\xff"

    fields = dict(presigned["fields"], signature=sign_v2("not-the-secret", presigned["fields"]["policy"]))
    r = post(presigned["url"], fields)
    assert r.status_code == 403
    assert error(r)[0] == "SignatureDoesNotMatch"


def test_virtual_hosted_post(clean, s3, bucket):
    presigned = s3v4(clean).generate_presigned_post(bucket, "vhost.txt", ExpiresIn=300)
    r = post(clean.url + "/", presigned["fields"], headers={"Host": f"{bucket}.s3.localhost:{clean.port}"})
    assert r.status_code == 204, r.text
    assert r.headers["Location"] == f"http://{bucket}.s3.localhost:{clean.port}/vhost.txt"
    assert s3.get_object(Bucket=bucket, Key="vhost.txt")["Body"].read() == b"hello, world"


def test_success_action_status_201_answers_xml(clean, s3, bucket):
    presigned = s3v4(clean).generate_presigned_post(
        bucket, "docs/report.txt", Fields={"success_action_status": "201"}, Conditions=[{"success_action_status": "201"}]
    )
    r = post(presigned["url"], presigned["fields"])
    assert r.status_code == 201, r.text
    root = ET.fromstring(r.content)
    assert root.tag == "PostResponse"
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "docs/report.txt"
    assert root.findtext("ETag") == r.headers["ETag"]
    assert root.findtext("Location").endswith("/post-bucket/docs/report.txt")


def test_success_action_status_200_is_empty(clean, bucket):
    presigned = s3v4(clean).generate_presigned_post(
        bucket, "k", Fields={"success_action_status": "200"}, Conditions=[{"success_action_status": "200"}]
    )
    r = post(presigned["url"], presigned["fields"])
    assert (r.status_code, r.content) == (200, b"")


def test_success_action_redirect(clean, bucket):
    target = "https://example.com/done?from=form"
    presigned = s3v4(clean).generate_presigned_post(
        bucket, "a b/c.txt", Fields={"success_action_redirect": target}, Conditions=[{"success_action_redirect": target}]
    )
    r = post(presigned["url"], presigned["fields"])
    assert r.status_code == 303, r.text
    etag = hashlib.md5(b"hello, world").hexdigest()
    assert r.headers["Location"] == f"{target}&bucket={bucket}&key=a%20b%2Fc.txt&etag=%22{etag}%22"


def test_tagging_and_acl_fields(clean, s3, bucket):
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web &amp; mobile</Value></Tag></TagSet></Tagging>"
    presigned = s3v4(clean).generate_presigned_post(
        bucket, "tagged.txt", Fields={"tagging": tagging, "acl": "private"}, Conditions=[{"tagging": tagging}, {"acl": "private"}]
    )
    r = post(presigned["url"], presigned["fields"])
    assert r.status_code == 204, r.text
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged.txt")["TagSet"] == [{"Key": "team", "Value": "web & mobile"}]

    # A public ACL where the bucket enforces ownership is refused, as for PUT.
    presigned = s3v4(clean).generate_presigned_post(bucket, "public.txt", Fields={"acl": "public-read"}, Conditions=[{"acl": "public-read"}])
    r = post(presigned["url"], presigned["fields"])
    assert r.status_code == 400, r.text
    assert error(r)[0] == "AccessControlListNotSupported"


def test_temporary_credentials_need_their_token(clean, bucket):
    iam = clean.client("iam")
    iam.create_user(UserName="uploader")
    iam.put_user_policy(UserName="uploader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject", "sts:GetSessionToken"], "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName="uploader")["AccessKey"]
    user = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    session = clean.client("sts", user).get_session_token()["Credentials"]
    temporary = Creds(session["AccessKeyId"], session["SecretAccessKey"], token=session["SessionToken"])

    presigned = s3v4(clean, temporary).generate_presigned_post(bucket, "temp.txt")
    assert presigned["fields"]["x-amz-security-token"] == session["SessionToken"]
    r = post(presigned["url"], presigned["fields"])
    assert r.status_code == 204, r.text

    fields = {k: v for k, v in presigned["fields"].items() if k != "x-amz-security-token"}
    r = post(presigned["url"], fields)
    assert r.status_code == 400
    assert error(r)[0] == "InvalidToken"


def test_identity_policy_applies(clean, bucket):
    iam = clean.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    presigned = s3v4(clean, Creds(key["AccessKeyId"], key["SecretAccessKey"])).generate_presigned_post(bucket, "nope.txt")
    r = post(presigned["url"], presigned["fields"])
    assert r.status_code == 403
    assert error(r)[0] == "AccessDenied"


# -- the policy's conditions ------------------------------------------------------------------------


def test_starts_with_key(clean, bucket):
    client = s3v4(clean)
    presigned = client.generate_presigned_post(bucket, "user/eric/${filename}", ExpiresIn=300)
    conditions = json.loads(base64.b64decode(presigned["fields"]["policy"]))["conditions"]
    assert ["starts-with", "$key", "user/eric/"] in conditions
    assert post(presigned["url"], presigned["fields"]).status_code == 204

    fields = dict(presigned["fields"], key="user/mallory/x.txt")
    r = post(presigned["url"], fields)
    assert r.status_code == 403
    assert error(r) == ("AccessDenied", 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/eric/"]')


def test_content_length_range(clean, bucket):
    presigned = s3v4(clean).generate_presigned_post(bucket, "sized", Conditions=[["content-length-range", 5, 10]])
    assert post(presigned["url"], presigned["fields"], content=b"12345").status_code == 204
    r = post(presigned["url"], presigned["fields"], content=b"12345678901")
    assert r.status_code == 400
    assert error(r)[0] == "EntityTooLarge"
    r = post(presigned["url"], presigned["fields"], content=b"1234")
    assert r.status_code == 400
    assert error(r)[0] == "EntityTooSmall"


def test_extra_fields_must_be_in_the_policy(clean, bucket):
    presigned = s3v4(clean).generate_presigned_post(bucket, "extra")
    r = post(presigned["url"], dict(presigned["fields"], **{"x-amz-meta-sneaky": "1"}))
    assert r.status_code == 403
    assert error(r) == ("AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky")
    # x-ignore- fields need no condition.
    r = post(presigned["url"], dict(presigned["fields"], **{"x-ignore-tracking": "abc"}))
    assert r.status_code == 204, r.text


def test_expired_policy(clean, bucket):
    presigned = s3v4(clean).generate_presigned_post(bucket, "late", ExpiresIn=-60)
    r = post(presigned["url"], presigned["fields"])
    assert r.status_code == 403
    assert error(r) == ("AccessDenied", "Invalid according to Policy: Policy expired.")


def test_tampered_signature_and_policy(clean, bucket):
    presigned = s3v4(clean).generate_presigned_post(bucket, "tamper")
    fields = presigned["fields"]
    signature = fields["x-amz-signature"]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    r = post(presigned["url"], dict(fields, **{"x-amz-signature": flipped}))
    assert r.status_code == 403
    assert error(r)[0] == "SignatureDoesNotMatch"

    doc = json.loads(base64.b64decode(fields["policy"]))
    doc["conditions"].append(["starts-with", "$x-amz-meta-anything", ""])
    forged = base64.b64encode(json.dumps(doc).encode()).decode()
    r = post(presigned["url"], dict(fields, policy=forged))
    assert r.status_code == 403
    assert error(r)[0] == "SignatureDoesNotMatch"

    unknown = dict(fields, **{"x-amz-credential": "AKIAUNKNOWNUNKNOWN00" + fields["x-amz-credential"][20:]})
    r = post(presigned["url"], unknown)
    assert r.status_code == 403
    assert error(r)[0] == "InvalidAccessKeyId"


def test_policy_for_another_bucket(clean, s3, bucket):
    s3.create_bucket(Bucket="other-bucket")
    presigned = s3v4(clean).generate_presigned_post("other-bucket", "x")
    r = post(clean.url + "/" + bucket, presigned["fields"])
    assert r.status_code == 403
    assert error(r) == ("AccessDenied", 'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "other-bucket"]')
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_invalid_policy_document(clean, bucket):
    policy = base64.b64encode(b'{"conditions": []}').decode()
    fields = {"key": "k", "AWSAccessKeyId": clean.root.access_key, "policy": policy, "signature": sign_v2(clean.root.secret_key, policy)}
    r = post(clean.url + "/" + bucket, fields)
    assert r.status_code == 400
    assert error(r) == ("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")


def test_hand_built_form_with_case_insensitive_names(clean, s3, bucket):
    policy = form_policy([{"bucket": bucket}, ["starts-with", "$Key", "hand/"], ["starts-with", "$content-type", "image/"]])
    fields = {
        "KEY": "hand/made.png", "Content-Type": "image/png",
        "awsaccesskeyid": clean.root.access_key, "Policy": policy, "Signature": sign_v2(clean.root.secret_key, policy),
    }
    r = post(clean.url + "/" + bucket, fields, content=b"\x89PNG")
    assert r.status_code == 204, r.text
    assert s3.head_object(Bucket=bucket, Key="hand/made.png")["ContentType"] == "image/png"


# -- anonymous uploads and malformed forms -----------------------------------------------------------


def test_anonymous_post_needs_a_bucket_policy(clean, s3, bucket):
    r = post(clean.url + "/" + bucket, {"key": "anon.txt"})
    assert r.status_code == 403
    assert error(r)[0] == "AccessDenied"

    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/drop/*"}],
    }))
    r = post(clean.url + "/" + bucket, {"key": "drop/${filename}", "Content-Type": "text/plain"}, filename="note.txt")
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="drop/note.txt")["Body"].read() == b"hello, world"
    r = post(clean.url + "/" + bucket, {"key": "elsewhere.txt"})
    assert r.status_code == 403


def test_malformed_forms(clean, bucket):
    url = clean.url + "/" + bucket
    # No file.
    r = requests.post(url, files={"key": (None, "k")}, timeout=30)
    assert r.status_code == 400
    assert error(r)[0] == "InvalidArgument"
    # No key.
    r = post(url, {})
    assert r.status_code == 400
    assert error(r) == ("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
    # Truncated: the closing boundary never comes.
    body = b'--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--XyZ\r\nContent-Disposition: form-data; name="file"\r\n\r\ndata'
    r = requests.post(url, data=body, headers={"Content-Type": "multipart/form-data; boundary=XyZ"}, timeout=30)
    assert r.status_code == 400
    assert error(r) == ("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
    # No boundary.
    r = requests.post(url, data=b"x", headers={"Content-Type": "multipart/form-data"}, timeout=30)
    assert error(r)[0] == "MalformedPOSTRequest"
    # A signature without a policy.
    r = post(url, {"key": "k", "AWSAccessKeyId": clean.root.access_key, "signature": "abc"})
    assert r.status_code == 400
    assert "'policy'" in error(r)[1]


def test_fields_after_the_file_are_ignored(clean, s3, bucket):
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }))
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\nordered.txt\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfirst\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="Content-Type"\r\n\r\nimage/gif\r\n--XyZ--\r\n'
    )
    r = requests.post(clean.url + "/" + bucket, data=body, headers={"Content-Type": "multipart/form-data; boundary=XyZ"}, timeout=30)
    assert r.status_code == 204, r.text
    head = s3.head_object(Bucket=bucket, Key="ordered.txt")
    assert head["ContentType"] == "binary/octet-stream"
    assert head["ContentLength"] == 5


def test_other_posts_still_reach_the_api(clean, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"1")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}]})
    assert [d["Key"] for d in out["Deleted"]] == ["a"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])


# -- large uploads stream --------------------------------------------------------------------------


def test_large_post_upload_streams_past_the_buffered_limit(clean, s3, bucket):
    """Bodies the server buffers are capped at 20 MiB; a POST upload's file streams into the object instead."""
    content = hashlib.sha256(b"seed").digest() * (48 * 1024 * 1024 // 32)  # 48 MiB
    presigned = s3v4(clean).generate_presigned_post(bucket, "big/upload.bin", ExpiresIn=300)
    r = post(presigned["url"], presigned["fields"], content=content, filename="upload.bin")
    assert r.status_code == 204, r.text[:500]
    assert r.headers["ETag"] == '"%s"' % hashlib.md5(content).hexdigest()
    head = s3.head_object(Bucket=bucket, Key="big/upload.bin")
    assert head["ContentLength"] == len(content)
    got = s3.get_object(Bucket=bucket, Key="big/upload.bin")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(content).digest()


def test_streamed_post_upload_meets_the_policy_size_range_and_needs_its_boundary(clean, s3, bucket):
    client = s3v4(clean)
    limited = client.generate_presigned_post(bucket, "limited.bin", Conditions=[["content-length-range", 1, 2 * 1024 * 1024]], ExpiresIn=300)
    r = post(limited["url"], limited["fields"], content=b"z" * (5 * 1024 * 1024))
    assert r.status_code == 400
    assert error(r)[0] == "EntityTooLarge"
    err = pytest.raises(botocore.exceptions.ClientError, s3.head_object, Bucket=bucket, Key="limited.bin").value
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    # 3 MiB of file and then the body ends without the closing boundary: nothing is stored.
    presigned = client.generate_presigned_post(bucket, "truncated.bin", ExpiresIn=300)
    boundary = "Trunc4t3d"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in presigned["fields"].items()
    )
    body = head + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.bin"\r\n\r\n'.encode() + b"t" * (3 * 1024 * 1024)
    r = requests.post(presigned["url"], data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=60)
    assert r.status_code == 400
    assert error(r)[0] == "MalformedPOSTRequest"
    err = pytest.raises(botocore.exceptions.ClientError, s3.head_object, Bucket=bucket, Key="truncated.bin").value
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    clean.assert_healthy()
