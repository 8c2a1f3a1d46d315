"""S3 bucket configuration end to end: CORS (configuration, preflight, headers on answers), lifecycle
(configuration, and expiration / abort of incomplete uploads actually carried out), and server access
logging (configuration, records delivered as log objects into the target bucket).

Lifecycle execution runs with NIMBUS_S3_LIFECYCLE_DAY_SECONDS=1 (a "day" of one second) and a lifecycle
pass every 2 s (NIMBUS_S3_LIFECYCLE_INTERVAL_SECONDS). Access logs are delivered soon after
traffic with NIMBUS_S3_LOG_FLUSH_SECONDS=1.
"""

from __future__ import annotations

import hashlib
import re
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import botocore.exceptions
import pytest
import requests

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    return info.value.response["Error"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def xml_error(response: requests.Response) -> dict:
    root = ET.fromstring(response.content)
    return {child.tag.replace(NS, ""): child.text for child in root}


def s3_request(server, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> requests.Response:
    """A SigV4-signed S3 request by hand, with the payload hash S3 requires."""
    headers = {"x-amz-content-sha256": hashlib.sha256(body).hexdigest(), **(headers or {})}
    return server.signed_request(method, path, body=body, headers=headers, service="s3")


@pytest.fixture
def s3(clean):
    return clean.client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="cfg-bucket")
    return "cfg-bucket"


# -- CORS ----------------------------------------------------------------------------------------

CORS_RULES = [
    {
        "ID": "uploads",
        "AllowedOrigins": ["https://app.example.com", "https://*.example.org"],
        "AllowedMethods": ["PUT", "POST", "DELETE"],
        "AllowedHeaders": ["content-type", "x-amz-*"],
        "ExposeHeaders": ["ETag", "x-amz-request-id"],
        "MaxAgeSeconds": 3000,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]},
]


def test_cors_configuration_round_trip_and_validation(s3, bucket):
    err, status = error_of(lambda: s3.get_bucket_cors(Bucket=bucket))
    assert (err["Code"], status) == ("NoSuchCORSConfiguration", 404)

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": CORS_RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == CORS_RULES

    def put(rules):
        return error_of(lambda: s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules}))

    err, status = put([{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}])
    assert (err["Code"], status) == ("InvalidRequest", 400)
    assert err["Message"] == "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"
    err, status = put([{"AllowedOrigins": ["https://*.*.example.com"], "AllowedMethods": ["GET"]}])
    assert (err["Code"], status) == ("InvalidRequest", 400)
    assert "can not have more than one wildcard" in err["Message"]
    err, status = put([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}] * 101)
    assert (err["Code"], status) == ("MalformedXML", 400)
    # The refused configurations left the stored one alone.
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == CORS_RULES

    s3.delete_bucket_cors(Bucket=bucket)
    err, status = error_of(lambda: s3.get_bucket_cors(Bucket=bucket))
    assert (err["Code"], status) == ("NoSuchCORSConfiguration", 404)


def test_cors_preflight_allowed_and_denied(clean, s3, bucket):
    url = f"{clean.url}/{bucket}/some/key.txt"
    # No CORS on the bucket yet.
    r = requests.options(url, headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"})
    assert r.status_code == 403
    assert xml_error(r)["Code"] == "AccessForbidden"
    assert xml_error(r)["Message"] == "CORSResponse: CORS is not enabled for this bucket."

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": CORS_RULES})
    r = requests.options(url, headers={
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, x-amz-meta-owner",
    })
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert r.headers["Access-Control-Allow-Methods"] == "PUT, POST, DELETE"
    assert r.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-meta-owner"
    assert r.headers["Access-Control-Max-Age"] == "3000"
    assert r.headers["Access-Control-Expose-Headers"] == "ETag, x-amz-request-id"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert r.headers["Vary"] == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    assert r.headers["x-amz-request-id"]

    # A wildcard origin with one wildcard; the wildcard-everything rule answers "*" without credentials.
    r = requests.options(url, headers={"Origin": "https://cdn.example.org", "Access-Control-Request-Method": "DELETE"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "https://cdn.example.org"
    r = requests.options(f"{clean.url}/{bucket}", headers={"Origin": "https://elsewhere.test", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert "Access-Control-Allow-Credentials" not in r.headers

    # Virtual-hosted style names the bucket in the Host header.
    r = requests.options(f"{clean.url}/some/key.txt", headers={
        "Host": f"{bucket}.s3.localhost:{clean.port}", "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
    })
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"

    denied = [
        {"Origin": "https://evil.test", "Access-Control-Request-Method": "PUT"},  # no rule allows the origin
        {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"},
    ]
    for headers in denied:
        r = requests.options(url, headers=headers)
        assert r.status_code == 403, (headers, r.text)
        body = xml_error(r)
        assert body["Code"] == "AccessForbidden"
        assert body["Message"] == (
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
            "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
        )
        assert body["Method"] == "PUT" and body["ResourceType"] == "OBJECT"
        assert "Access-Control-Allow-Origin" not in r.headers
    # GET from any origin is allowed by the "*" rule.
    r = requests.options(url, headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"

    r = requests.options(url, headers={"Access-Control-Request-Method": "PUT"})
    assert r.status_code == 400
    assert xml_error(r)["Message"] == "Insufficient information. Origin request header needed."
    r = requests.options(url, headers={"Origin": "https://app.example.com"})
    assert r.status_code == 400
    assert xml_error(r)["Message"] == "Invalid Access-Control-Request-Method: null"


def test_cors_headers_on_answers(clean, s3, bucket):
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"<p>hi</p>")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60},
    ]})
    r = s3_request(clean, "GET", f"/{bucket}/page.html", headers={"Origin": "https://app.example.com"})
    assert r.status_code == 200 and r.content == b"<p>hi</p>"
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert r.headers["Access-Control-Allow-Methods"] == "GET"
    assert r.headers["Access-Control-Expose-Headers"] == "ETag"
    assert r.headers["Access-Control-Max-Age"] == "60"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in r.headers["Vary"]
    # Errors carry them too (the browser must be able to read the error).
    r = s3_request(clean, "GET", f"/{bucket}/missing", headers={"Origin": "https://app.example.com"})
    assert r.status_code == 404 and r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    # Another origin, or a method the rule does not allow: no CORS headers.
    r = s3_request(clean, "GET", f"/{bucket}/page.html", headers={"Origin": "https://evil.test"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
    r = s3_request(clean, "PUT", f"/{bucket}/other", body=b"x", headers={"Origin": "https://app.example.com"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
    # Without Origin, nothing.
    r = s3_request(clean, "GET", f"/{bucket}/page.html")
    assert "Access-Control-Allow-Origin" not in r.headers


# -- lifecycle -----------------------------------------------------------------------------------

LIFECYCLE_RULES = [
    {
        "ID": "expire-tmp",
        "Filter": {"Prefix": "tmp/"},
        "Status": "Enabled",
        "Expiration": {"Days": 1},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
    },
    {
        "ID": "archive-tagged",
        "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "class", "Value": "cold"}], "ObjectSizeGreaterThan": 10}},
        "Status": "Disabled",
        "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 2},
    },
    {
        "ID": "new-year",
        "Filter": {"Tag": {"Key": "temp", "Value": "yes"}},
        "Status": "Enabled",
        "Expiration": {"Date": datetime(2031, 1, 1, tzinfo=timezone.utc)},
    },
]


def test_lifecycle_configuration_round_trip(s3, bucket):
    err, status = error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    assert (err["Code"], status) == ("NoSuchLifecycleConfiguration", 404)

    out = s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": LIFECYCLE_RULES})
    assert out["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == LIFECYCLE_RULES
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"

    s3.delete_bucket_lifecycle(Bucket=bucket)
    err, status = error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    assert (err["Code"], status) == ("NoSuchLifecycleConfiguration", 404)


@pytest.mark.parametrize("rule,code,message", [
    ({"ID": "x", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 0}}, "InvalidArgument",
     "'Days' for Expiration action must be a positive integer"),
    ({"ID": "x", "Filter": {}, "Status": "Enabled", "Expiration": {"Date": datetime(2031, 1, 1, 12, tzinfo=timezone.utc)}},
     "InvalidArgument", "'Date' must be at midnight GMT"),
    ({"ID": "x", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1, "Date": datetime(2031, 1, 1, tzinfo=timezone.utc)}},
     "MalformedXML", None),
    ({"ID": "x", "Filter": {}, "Status": "Maybe", "Expiration": {"Days": 1}}, "MalformedXML", None),
    ({"ID": "x", "Filter": {}, "Status": "Enabled"}, "InvalidRequest", "At least one action needs to be specified in a rule"),
    ({"ID": "x" * 256, "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}, "InvalidArgument",
     "ID length should not exceed allowed limit of 255"),
    ({"ID": "x", "Filter": {"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}}, "Status": "Enabled", "Expiration": {"Days": 1}},
     "MalformedXML", None),
    ({"ID": "x", "Filter": {}, "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": -1}},
     "InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"),
    ({"ID": "x", "Filter": {"And": {"Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}}, "Status": "Enabled",
      "Expiration": {"Days": 1}}, "InvalidRequest", "Duplicate Tag Keys are not allowed."),
    ({"ID": "x", "Filter": {}, "Status": "Enabled", "Transitions": [{"Days": 1, "StorageClass": "PLATINUM"}]}, "MalformedXML", None),
])
def test_lifecycle_validation(s3, bucket, rule, code, message):
    err, status = error_of(lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]}))
    assert (err["Code"], status) == (code, 400)
    if message:
        assert err["Message"] == message


def test_lifecycle_duplicate_ids_and_bad_xml(clean, s3, bucket):
    rule = {"ID": "same", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}
    err, status = error_of(lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule, rule]}))
    assert (err["Code"], status) == ("InvalidArgument", 400)
    for body in (b"<LifecycleConfiguration><Rule>", b"not xml at all", b"<LifecycleConfiguration></LifecycleConfiguration>",
                 b"<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Days>soon</Days>"
                 b"</Expiration></Rule></LifecycleConfiguration>"):
        r = s3_request(clean, "PUT", f"/{bucket}?lifecycle", body=body)
        assert r.status_code == 400, r.text
        assert xml_error(r)["Code"] == "MalformedXML"
    r = s3_request(clean, "PUT", f"/{bucket}?cors", body=b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>"
                   b"</CORSRule></CORSConfiguration>")
    assert r.status_code == 400 and xml_error(r)["Code"] == "MalformedXML"


def test_lifecycle_expires_objects_and_aborts_uploads(fresh_server):
    server = fresh_server
    server.extra_env["NIMBUS_S3_LIFECYCLE_DAY_SECONDS"] = "1"
    server.extra_env["NIMBUS_S3_LIFECYCLE_INTERVAL_SECONDS"] = "2"
    server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="lc-bucket")
    for key in ("tmp/a", "tmp/b", "keep/c"):
        s3.put_object(Bucket="lc-bucket", Key=key, Body=b"data")
    s3.put_object(Bucket="lc-bucket", Key="tagged/t", Body=b"data", Tagging="temp=yes")
    s3.put_object(Bucket="lc-bucket", Key="tagged/u", Body=b"data", Tagging="temp=no")
    doomed = s3.create_multipart_upload(Bucket="lc-bucket", Key="tmp/big")["UploadId"]
    s3.upload_part(Bucket="lc-bucket", Key="tmp/big", UploadId=doomed, PartNumber=1, Body=b"x" * 1024)
    kept = s3.create_multipart_upload(Bucket="lc-bucket", Key="keep/big")["UploadId"]
    s3.put_bucket_lifecycle_configuration(Bucket="lc-bucket", LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 2},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
        {"ID": "tags", "Filter": {"Tag": {"Key": "temp", "Value": "yes"}}, "Status": "Enabled", "Expiration": {"Days": 1}},
        {"ID": "off", "Filter": {"Prefix": "keep/"}, "Status": "Disabled", "Expiration": {"Days": 1},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    ]})

    def keys():
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lc-bucket").get("Contents", []))

    def uploads():
        return sorted(u["UploadId"] for u in s3.list_multipart_uploads(Bucket="lc-bucket").get("Uploads", []))

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (keys() != ["keep/c", "tagged/u"] or uploads() != [kept]):
        time.sleep(1)
    assert keys() == ["keep/c", "tagged/u"]
    assert uploads() == [kept]
    err, status = error_of(lambda: s3.list_parts(Bucket="lc-bucket", Key="tmp/big", UploadId=doomed))
    assert (err["Code"], status) == ("NoSuchUpload", 404)
    assert s3.get_object(Bucket="lc-bucket", Key="keep/c")["Body"].read() == b"data"
    server.assert_healthy()


def test_lifecycle_expires_noncurrent_versions_and_lone_delete_markers(fresh_server):
    """Versioned buckets: old versions go NoncurrentDays after being replaced, the newest N kept; a delete
    marker with nothing behind it goes too."""
    server = fresh_server
    server.extra_env["NIMBUS_S3_LIFECYCLE_DAY_SECONDS"] = "2"
    server.extra_env["NIMBUS_S3_LIFECYCLE_INTERVAL_SECONDS"] = "1"
    server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="lc-versions")
    s3.put_bucket_versioning(Bucket="lc-versions", VersioningConfiguration={"Status": "Enabled"})
    written = [s3.put_object(Bucket="lc-versions", Key="doc", Body=f"v{i}".encode())["VersionId"] for i in range(4)]
    s3.put_object(Bucket="lc-versions", Key="gone", Body=b"x")
    gone = s3.list_object_versions(Bucket="lc-versions", Prefix="gone")["Versions"][0]["VersionId"]
    s3.delete_object(Bucket="lc-versions", Key="gone")  # a marker, with one version behind it
    s3.delete_object(Bucket="lc-versions", Key="gone", VersionId=gone)  # now the marker stands alone
    s3.put_bucket_lifecycle_configuration(Bucket="lc-versions", LifecycleConfiguration={"Rules": [
        {"ID": "old", "Filter": {}, "Status": "Enabled",
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1},
         "Expiration": {"ExpiredObjectDeleteMarker": True}},
    ]})

    def state():
        listing = s3.list_object_versions(Bucket="lc-versions")
        return ([v["VersionId"] for v in listing.get("Versions", []) if v["Key"] == "doc"],
                [m["Key"] for m in listing.get("DeleteMarkers", [])])

    # The current version and the newest noncurrent one stay; the two older ones go; so does the lone marker.
    want = (list(reversed(written[2:])), [])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and state() != want:
        time.sleep(1)
    assert state() == want
    assert s3.get_object(Bucket="lc-versions", Key="doc")["Body"].read() == b"v3"
    server.assert_healthy()


def test_lifecycle_transitions_archive_objects_until_restored(fresh_server):
    """Transition moves objects to GLACIER (those under 128 KiB stay, as S3's default minimum size says),
    noncurrent versions too; an archived object is listed and HEAD-able but not readable or copyable until
    RestoreObject, which answers 202 and then 200, and shows in x-amz-restore."""
    server = fresh_server
    server.extra_env["NIMBUS_S3_LIFECYCLE_DAY_SECONDS"] = "1"
    server.extra_env["NIMBUS_S3_LIFECYCLE_INTERVAL_SECONDS"] = "1"
    server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="lc-archive")
    s3.put_bucket_versioning(Bucket="lc-archive", VersioningConfiguration={"Status": "Enabled"})
    big = bytes(range(256)) * 800  # 200 KiB
    s3.put_object(Bucket="lc-archive", Key="cold/big", Body=big)
    s3.put_object(Bucket="lc-archive", Key="cold/small", Body=b"tiny")
    s3.put_object(Bucket="lc-archive", Key="warm/big", Body=big)
    old = s3.put_object(Bucket="lc-archive", Key="hist/doc", Body=big)["VersionId"]
    s3.put_object(Bucket="lc-archive", Key="hist/doc", Body=b"current")
    s3.put_bucket_lifecycle_configuration(Bucket="lc-archive", LifecycleConfiguration={"Rules": [
        {"ID": "cold", "Filter": {"Prefix": "cold/"}, "Status": "Enabled",
         "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}, {"Days": 2, "StorageClass": "GLACIER"}]},
        {"ID": "hist", "Filter": {"Prefix": "hist/"}, "Status": "Enabled",
         "NoncurrentVersionTransitions": [{"NoncurrentDays": 1, "StorageClass": "DEEP_ARCHIVE"}]},
    ]})

    def storage_class(key, version=None):
        extra = {"VersionId": version} if version else {}
        return s3.head_object(Bucket="lc-archive", Key=key, **extra).get("StorageClass", "STANDARD")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (storage_class("cold/big"), storage_class("hist/doc", old)) != ("GLACIER", "DEEP_ARCHIVE"):
        time.sleep(1)
    assert storage_class("cold/big") == "GLACIER"
    assert storage_class("hist/doc", old) == "DEEP_ARCHIVE"
    assert storage_class("hist/doc") == "STANDARD"
    assert storage_class("cold/small") == "STANDARD"
    assert storage_class("warm/big") == "STANDARD"
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket="lc-archive")["Contents"]}
    assert listed["cold/big"] == "GLACIER"

    err, status = error_of(lambda: s3.get_object(Bucket="lc-archive", Key="cold/big"))
    assert (err["Code"], status) == ("InvalidObjectState", 403)
    assert err["StorageClass"] == "GLACIER"
    err, status = error_of(lambda: s3.copy_object(Bucket="lc-archive", Key="copy", CopySource="lc-archive/cold/big"))
    assert (err["Code"], status) == ("InvalidObjectState", 403)
    err, status = error_of(lambda: s3.restore_object(Bucket="lc-archive", Key="warm/big", RestoreRequest={"Days": 1}))
    assert (err["Code"], status) == ("InvalidObjectState", 403)
    err, status = error_of(lambda: s3.restore_object(
        Bucket="lc-archive", Key="hist/doc", VersionId=old,
        RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}}))
    assert (err["Code"], status) == ("InvalidArgument", 400)

    # 60 "days" of one second: the restored copy outlives the test.
    first = s3.restore_object(Bucket="lc-archive", Key="cold/big", RestoreRequest={"Days": 60, "GlacierJobParameters": {"Tier": "Bulk"}})
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 202
    again = s3.restore_object(Bucket="lc-archive", Key="cold/big", RestoreRequest={"Days": 60})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    head = s3.head_object(Bucket="lc-archive", Key="cold/big")
    assert head["StorageClass"] == "GLACIER"
    assert head["Restore"].startswith('ongoing-request="false", expiry-date="')
    assert s3.get_object(Bucket="lc-archive", Key="cold/big")["Body"].read() == big
    s3.copy_object(Bucket="lc-archive", Key="copy", CopySource="lc-archive/cold/big")
    copied = s3.get_object(Bucket="lc-archive", Key="copy")
    assert copied["Body"].read() == big
    # A copy is STANDARD unless it asks for a class, whatever its source's: readable, with nothing to restore.
    assert "StorageClass" not in copied and "Restore" not in copied
    s3.copy_object(Bucket="lc-archive", Key="copy-ia", CopySource="lc-archive/cold/big", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket="lc-archive", Key="copy-ia")["StorageClass"] == "STANDARD_IA"
    err, status = error_of(lambda: s3.copy_object(Bucket="lc-archive", Key="copy-x", CopySource="lc-archive/cold/big",
                                                  StorageClass="STANDARD2"))
    assert (err["Code"], status) == ("InvalidStorageClass", 400)

    # The CLI's restore-object, on the deep-archived noncurrent version.
    result = server.aws("s3api", "restore-object", "--bucket", "lc-archive", "--key", "hist/doc", "--version-id", old,
                        "--restore-request", '{"Days": 60}')
    assert result.rc == 0, result.stderr
    assert s3.get_object(Bucket="lc-archive", Key="hist/doc", VersionId=old)["Body"].read() == big

    # Hostile restores: a Days beyond S3's 32-bit integer is refused and changes nothing (it once made an
    # expiry date that crashed every later HEAD of the object), malformed requests are MalformedXML.
    before = s3.head_object(Bucket="lc-archive", Key="cold/big")["Restore"]
    for days in (b"9223372036854775807", b"2147483648", b"0"):
        r = s3_request(server, "POST", "/lc-archive/cold/big?restore", b"<RestoreRequest><Days>" + days + b"</Days></RestoreRequest>")
        assert (r.status_code, xml_error(r)["Code"]) == (400, "InvalidArgument"), r.text
    for body in (b"", b"<RestoreRequest><Days>3</Days", b"<RestoreRequest><Days>x</Days></RestoreRequest>", b"<a>" * 5000):
        r = s3_request(server, "POST", "/lc-archive/cold/big?restore", body)
        assert (r.status_code, xml_error(r)["Code"]) == (400, "MalformedXML"), r.text
    assert s3.head_object(Bucket="lc-archive", Key="cold/big")["Restore"] == before
    server.assert_healthy()


# -- server access logging -----------------------------------------------------------------------

LOG_FIELD = re.compile(r'\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S+')
LOG_KEY = re.compile(r"^access/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$")


def parse_log(text: str) -> list[list[str]]:
    return [LOG_FIELD.findall(line) for line in text.splitlines() if line.strip()]


def test_logging_configuration(clean, s3, bucket):
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    err, status = error_of(lambda: s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "no-such-log-bucket", "TargetPrefix": "x/"}}))
    assert (err["Code"], status) == ("InvalidTargetBucketForLogging", 400)
    assert err["Message"] == "The target bucket for logging does not exist"

    other = clean.create_account()
    theirs = clean.client("s3", other)
    theirs.create_bucket(Bucket="their-log-bucket")
    err, status = error_of(lambda: s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "their-log-bucket", "TargetPrefix": "x/"}}))
    assert (err["Code"], status) == ("InvalidTargetBucketForLogging", 400)

    s3.create_bucket(Bucket="cfg-logs")
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "cfg-logs", "TargetPrefix": "access/"}})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {"TargetBucket": "cfg-logs", "TargetPrefix": "access/"}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "cfg-logs", "TargetPrefix": "p/",
        "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}}}})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetObjectKeyFormat"] == {
        "PartitionedPrefix": {"PartitionDateSource": "EventTime"}}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)


def test_access_log_lists_a_get_with_the_client_ip(fresh_server):
    server = fresh_server
    server.extra_env["NIMBUS_S3_LOG_FLUSH_SECONDS"] = "1"
    server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="site")
    s3.create_bucket(Bucket="site-logs")
    s3.put_bucket_logging(Bucket="site", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "site-logs", "TargetPrefix": "access/"}})
    s3.put_object(Bucket="site", Key="docs/hello world.txt", Body=b"hello")
    assert s3.get_object(Bucket="site", Key="docs/hello world.txt")["Body"].read() == b"hello"
    error_of(lambda: s3.get_object(Bucket="site", Key="missing"))
    presigner = server.client("s3", signature_version="s3v4")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": "site", "Key": "docs/hello world.txt"}, ExpiresIn=300)
    signature = re.search(r"X-Amz-Signature=([0-9a-f]+)", url).group(1)
    r = requests.get(url, headers={"User-Agent": 'evil "agent"\tx', "Referer": "https://ref.example/"})
    assert r.status_code == 200

    records, objects = [], []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        objects = [o["Key"] for o in s3.list_objects_v2(Bucket="site-logs").get("Contents", [])]
        text = "".join(s3.get_object(Bucket="site-logs", Key=k)["Body"].read().decode() for k in objects)
        records = parse_log(text)
        if sum(1 for r in records if r[6] == "REST.GET.OBJECT") >= 3:
            break
        time.sleep(1)
    assert objects and all(LOG_KEY.match(k) for k in objects), objects
    assert signature not in text and server.root.secret_key not in text

    gets = [r for r in records if r[6] == "REST.GET.OBJECT"]
    assert len(gets) == 3, records
    by_status = {r[9]: r for r in gets}
    ok = next(r for r in gets if r[9] == "200" and r[21] == "AuthHeader")
    assert len(ok) == 26, ok
    owner, bucket, when, ip, requester, request_id, op, key, uri, status, error, sent, size = ok[:13]
    assert len(owner) == 64 and bucket == "site"
    assert re.fullmatch(r"\[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]", when)
    assert ip == "127.0.0.1"
    assert requester == f"arn:aws:iam::{server.account_id}:root"
    assert key == "docs/hello%20world.txt"
    assert uri.startswith('"GET /site/docs/hello%20world.txt') and uri.endswith(' HTTP/1.1"')
    assert (status, error, sent, size) == ("200", "-", "5", "5")
    assert ok[19] == "SigV4" and ok[22].startswith("127.0.0.1:")
    assert "Boto3" in ok[16] or "Botocore" in ok[16]

    missing = by_status["404"]
    assert (missing[7], missing[10]) == ("missing", "NoSuchKey")

    presigned = next(r for r in gets if r[21] == "QueryString")
    assert presigned[19] == "SigV4" and presigned[3] == "127.0.0.1"
    assert "X-Amz-Signature=" in presigned[8] and signature not in presigned[8]
    assert presigned[15] == '"https://ref.example/"'
    assert presigned[16] == '"evil \\"agent\\"\\x09x"'
    assert all(len(r) == 26 for r in records), [r for r in records if len(r) != 26]
    ops = {r[6] for r in records}
    assert "REST.PUT.OBJECT" in ops
