"""S3 end to end: boto3, the aws CLI and raw HTTP against a live Nimbus.

Buckets and objects, streaming uploads and downloads (single and multipart), listing, copy, integrity
checks (Content-MD5, x-amz-checksum-*), SSE-S3 and SSE-C, presigned URLs, conditional requests, and
access control by IAM identity policies and bucket policies.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import urllib.parse
import os
import re
import time
from pathlib import Path

import boto3.s3.transfer
import botocore.config
import botocore.exceptions
import pytest
import requests

from conftest import Creds


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    return info.value.response["Error"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.fixture
def s3(clean):
    return clean.client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="e2e-bucket")
    return "e2e-bucket"


# -- buckets -------------------------------------------------------------------------------------


def test_bucket_lifecycle(s3):
    s3.create_bucket(Bucket="alpha-bucket")
    s3.head_bucket(Bucket="alpha-bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == ["alpha-bucket"]
    assert s3.get_bucket_location(Bucket="alpha-bucket")["LocationConstraint"] is None

    s3.put_object(Bucket="alpha-bucket", Key="k", Body=b"x")
    err, status = error_of(lambda: s3.delete_bucket(Bucket="alpha-bucket"))
    assert (err["Code"], status) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket="alpha-bucket", Key="k")
    s3.delete_bucket(Bucket="alpha-bucket")
    err, status = error_of(lambda: s3.head_bucket(Bucket="alpha-bucket"))
    assert status == 404
    err, status = error_of(lambda: s3.list_objects_v2(Bucket="alpha-bucket"))
    assert (err["Code"], status) == ("NoSuchBucket", 404)


@pytest.mark.parametrize("name", ["ab", "UPPER", "under_score", "-dash", "a..b", "192.168.1.1", "xn--punycode", "x" * 64])
def test_invalid_bucket_names(s3, name):
    err, status = error_of(lambda: s3.create_bucket(Bucket=name))
    assert (err["Code"], status) == ("InvalidBucketName", 400)


def test_location_constraint(s3):
    s3.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket="eu-bucket")["LocationConstraint"] == "eu-west-1"
    err, _ = error_of(lambda: s3.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}))
    assert err["Code"] == "BucketAlreadyOwnedByYou"


def test_bucket_names_are_global_across_accounts(clean):
    other = clean.create_account("s3-other")
    clean.client("s3").create_bucket(Bucket="taken-bucket")
    err, status = error_of(lambda: clean.client("s3", other).create_bucket(Bucket="taken-bucket"))
    assert (err["Code"], status) == ("BucketAlreadyExists", 409)
    # The other account cannot see into it either.
    err, status = error_of(lambda: clean.client("s3", other).list_objects_v2(Bucket="taken-bucket"))
    assert (err["Code"], status) == ("AccessDenied", 403)


# -- objects -------------------------------------------------------------------------------------


def test_put_get_head_with_metadata(s3, bucket):
    body = b"hello, nimbus\n"
    put = s3.put_object(Bucket=bucket, Key="dir/hello.txt", Body=body, ContentType="text/plain",
                        Metadata={"Color": "orange"}, CacheControl="max-age=60")
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    assert put["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"color": "orange"}
    assert got["CacheControl"] == "max-age=60"
    head = s3.head_object(Bucket=bucket, Key="dir/hello.txt")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == put["ETag"]
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="missing"))
    assert (err["Code"], status) == ("NoSuchKey", 404)
    err, status = error_of(lambda: s3.head_object(Bucket=bucket, Key="missing"))
    assert status == 404


def test_aws_chunked_is_not_kept_as_the_objects_content_encoding(s3, bucket):
    # aws-chunked says how a request body was sent, not what the object is.
    for sent, kept in [("gzip", "gzip"), ("gzip, aws-chunked", "gzip"), ("aws-chunked, deflate, gzip", "deflate, gzip"),
                       ("aws-chunked", None)]:
        s3.put_object(Bucket=bucket, Key="enc", Body=b"x", ContentEncoding=sent)
        assert s3.head_object(Bucket=bucket, Key="enc").get("ContentEncoding") == kept


def test_non_ascii_metadata_comes_back_as_an_rfc_2047_encoded_word(s3, bucket):
    # boto3 refuses non-ASCII metadata itself; set in the headers after its check, http.client sends them as
    # ISO-8859-1. S3 keeps the characters and answers with a UTF-8 encoded-word, so that no client has to guess
    # the charset of raw bytes in a header.
    def accented(params, **_):
        params["headers"]["x-amz-meta-accent"] = "Hello World\xe9"
    s3.meta.events.register("before-call.s3.PutObject", accented)
    try:
        s3.put_object(Bucket=bucket, Key="m", Body=b"", Metadata={"plain": "ascii only"})
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", accented)
    meta = s3.head_object(Bucket=bucket, Key="m")["Metadata"]
    assert meta["plain"] == "ascii only"
    assert meta["accent"] == "=?UTF-8?B?" + base64.b64encode("Hello World\xe9".encode()).decode() + "?="
    # An encoded-word sent in is decoded before it is stored: the same value comes back, in either form.
    sent = "=?UTF-8?Q?na=C3=AFve_caf=C3=A9?= =?UTF-8?B?4piD?="
    s3.put_object(Bucket=bucket, Key="w", Body=b"", Metadata={"word": sent, "ascii": "=?UTF-8?Q?plain?="})
    meta = s3.get_object(Bucket=bucket, Key="w")["Metadata"]
    assert meta["word"] == "=?UTF-8?B?" + base64.b64encode("naïve café☃".encode()).decode() + "?="
    assert meta["ascii"] == "plain"


def test_empty_object_and_unicode_keys(s3, bucket):
    for key in ["empty", "ünïcödé/ключ ☃.txt", "spaces and+plus", "a/b/../c"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"" if key == "empty" else key.encode())
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == (b"" if key == "empty" else key.encode())
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(["empty", "ünïcödé/ключ ☃.txt", "spaces and+plus", "a/b/../c"], key=lambda k: k.encode())


def test_ranges(s3, bucket):
    body = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert got["Body"].read() == body[10:20]
    assert got["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")["Body"].read() == body[-5:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=1000-")["Body"].read() == body[1000:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=1000-99999")["Body"].read() == body[1000:]
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="r", Range="bytes=5000-6000"))
    assert (err["Code"], status) == ("InvalidRange", 416)


def test_conditional_requests(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"'))
    assert (err["Code"], status) == ("PreconditionFailed", 412)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    # A 304 names the version it stands for.
    assert info.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    assert "last-modified" in info.value.response["ResponseMetadata"]["HTTPHeaders"]
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    with pytest.raises(botocore.exceptions.ClientError) as info:
        s3.head_object(Bucket=bucket, Key="c", IfModifiedSince=later)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert info.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    # Conditional PUT: create only if absent.
    err, status = error_of(lambda: s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfNoneMatch="*"))
    assert (err["Code"], status) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"v1"
    s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"v2"


def test_wrong_content_md5_is_refused_and_stores_nothing(s3, bucket):
    body = b"the real body"
    err, status = error_of(lambda: s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=md5_b64(b"another body")))
    assert (err["Code"], status) == ("BadDigest", 400)
    err, status = error_of(lambda: s3.head_object(Bucket=bucket, Key="md5"))
    assert status == 404
    err, status = error_of(lambda: s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5="not-base64"))
    assert (err["Code"], status) == ("InvalidDigest", 400)
    s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=md5_b64(body))
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == body


def _crc_table(poly: int, width: int) -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc_table(0x82F63B78, 32)
_CRC64NVME = _crc_table(0x9A6C9329AC4BC9B5, 64)


def crc32c(data: bytes) -> bytes:
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return (c ^ 0xFFFFFFFF).to_bytes(4, "big")


def crc64nvme(data: bytes) -> bytes:
    c = 0xFFFFFFFFFFFFFFFF
    for b in data:
        c = _CRC64NVME[(c ^ b) & 0xFF] ^ (c >> 8)
    return (c ^ 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")


def test_crc_helpers_match_published_vectors():
    assert crc32c(b"123456789").hex() == "e3069283"
    assert crc64nvme(b"123456789").hex() == "ae8b14860a799888"


def s3_headers(body: bytes, **extra) -> dict:
    return {"x-amz-content-sha256": hashlib.sha256(body).hexdigest(), **extra}


@pytest.mark.parametrize("algorithm,compute", [("crc32c", crc32c), ("crc64nvme", crc64nvme)])
def test_crt_only_checksums_over_raw_requests(clean, bucket, algorithm, compute):
    # boto3 needs awscrt for these two; the wire format is the same, so send them by hand.
    body = os.urandom(20_000)
    value = base64.b64encode(compute(body)).decode()
    r = clean.signed_request("PUT", f"/{bucket}/crt", body=body, service="s3",
                             headers=s3_headers(body, **{f"x-amz-checksum-{algorithm}": value}))
    assert r.status_code == 200, r.text
    assert r.headers[f"x-amz-checksum-{algorithm}"] == value
    r = clean.signed_request("GET", f"/{bucket}/crt", service="s3", headers={**s3_headers(b""), "x-amz-checksum-mode": "ENABLED"})
    assert r.content == body and r.headers[f"x-amz-checksum-{algorithm}"] == value
    wrong = base64.b64encode(compute(body + b"!")).decode()
    r = clean.signed_request("PUT", f"/{bucket}/crt", body=body, service="s3",
                             headers=s3_headers(body, **{f"x-amz-checksum-{algorithm}": wrong}))
    assert r.status_code == 400 and "<Code>BadDigest</Code>" in r.text


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA1", "SHA256"])
def test_checksums_are_verified_and_returned(s3, bucket, algorithm):
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="sum", Body=body, ChecksumAlgorithm=algorithm)
    assert f"Checksum{algorithm}" in put
    got = s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]


def test_wrong_checksum_header_is_refused(clean, bucket):
    body = b"checksummed"
    wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    r = clean.signed_request("PUT", f"/{bucket}/bad-sum", body=body, service="s3",
                             headers=s3_headers(body, **{"x-amz-checksum-sha256": wrong}))
    assert r.status_code == 400 and "<Code>BadDigest</Code>" in r.text
    r = clean.signed_request("GET", f"/{bucket}/bad-sum", service="s3", headers=s3_headers(b""))
    assert r.status_code == 404


def test_signed_body_hash_mismatch_is_refused(clean, bucket):
    # Sign over one body, send another: XAmzContentSHA256Mismatch, nothing stored.
    import botocore.auth
    import botocore.awsrequest
    req = botocore.awsrequest.AWSRequest(method="PUT", url=f"{clean.url}/{bucket}/tampered", data=b"original")
    botocore.auth.S3SigV4Auth(clean.root.botocore(), "s3", "us-east-1").add_auth(req)
    prepared = req.prepare()
    r = requests.put(prepared.url, headers=dict(prepared.headers), data=b"tampered", timeout=10)
    assert r.status_code == 400 and "XAmzContentSHA256Mismatch" in r.text
    assert clean.signed_request("GET", f"/{bucket}/tampered", service="s3", headers=s3_headers(b"")).status_code == 404


def test_multipart_upload_file_and_download_file(s3, bucket, tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(17 * 1024 * 1024 + 123))
    config = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_file(str(src), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == src.stat().st_size
    assert head["ETag"].endswith('-4"')
    dst = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(dst), Config=config)
    assert hashlib.md5(dst.read_bytes()).digest() == hashlib.md5(src.read_bytes()).digest()
    # A part of a multipart object by number.
    part = s3.get_object(Bucket=bucket, Key="big.bin", PartNumber=2)
    assert part["Body"].read() == src.read_bytes()[5 * 1024 * 1024:10 * 1024 * 1024]
    assert part["PartsCount"] == 4
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="big.bin", PartNumber=5))
    assert (err["Code"], err["PartNumberRequested"], err["ActualPartCount"], status) == ("InvalidPartNumber", "5", "4", 416)
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="big.bin", PartNumber=2, Range="bytes=0-1"))
    assert (err["Code"], status) == ("InvalidRequest", 400)
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="big.bin", PartNumber=10001))
    assert (err["Code"], status) == ("InvalidArgument", 400)


class AnonymousMemory:
    """The peak of a process's anonymous resident memory (its heap) while a `with` block runs, in MiB."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = self.base = self.now()

    def now(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) // 1024
        raise AssertionError("no RssAnon")

    def __enter__(self):
        import threading
        self.base = self.peak = self.now()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while not self.done.wait(0.005):
            self.peak = max(self.peak, self.now())

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.base


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's memory from /proc")
def test_memory_stays_flat_while_a_large_object_moves(clean, s3, bucket):
    # 128 MiB up in one streamed PUT and down three times: the server holds a few segments of it at a time,
    # however fast it reads and decrypts. (Before a streamed answer waited for its event loop, the reader ran
    # ahead of the socket and a GET like this held 12-16 MiB more.)
    size = 128 << 20
    block = os.urandom(1 << 20)
    expected = hashlib.md5(block * (size >> 20)).hexdigest()
    memory = AnonymousMemory(clean.proc.pid)
    with memory:
        s3.upload_fileobj(io.BytesIO(block * (size >> 20)), bucket, "large",
                          Config=boto3.s3.transfer.TransferConfig(multipart_threshold=size + 1))
    assert memory.growth < 24, f"a 128 MiB PUT grew the server's heap by {memory.growth} MiB"
    with memory:
        for _ in range(3):
            body, digest = s3.get_object(Bucket=bucket, Key="large")["Body"], hashlib.md5()
            while chunk := body.read(1 << 20):
                digest.update(chunk)
            assert digest.hexdigest() == expected
    assert memory.growth < 8, f"reading a 128 MiB object grew the server's heap by {memory.growth} MiB"


def test_multipart_rules(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"a" * 1024)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"b" * 1024)["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 1024), (2, 1024)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload]
    # Started by the account's root: the initiator is the account, named as the owner is.
    assert uploads[0]["Initiator"] == uploads[0]["Owner"] == s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Initiator"]

    err, _ = error_of(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}))
    assert err["Code"] == "EntityTooSmall"
    err, _ = error_of(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]}))
    assert err["Code"] == "InvalidPartOrder"
    err, _ = error_of(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]}))
    assert err["Code"] == "InvalidPart"
    # No parts at all does not validate against S3's schema.
    for empty in ({}, {"MultipartUpload": {"Parts": []}}):
        err, status = error_of(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, **empty))
        assert (err["Code"], status) == ("MalformedXML", 400)
    err, _ = error_of(lambda: s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=10001, Body=b"x"))
    assert err["Code"] == "InvalidArgument"

    # A single (last) part may be small.
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}]})
    expected = hashlib.md5(bytes.fromhex(e2.strip('"'))).hexdigest() + "-1"
    assert done["ETag"] == f'"{expected}"'
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"b" * 1024
    err, status = error_of(lambda: s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload))
    assert (err["Code"], status) == ("NoSuchUpload", 404)
    # A completion retried (its answer lost on the way, say) answers as the first did, while the object it
    # made is still there; once that is overwritten, the upload is no more.
    again = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                         MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}]})
    assert (again["ETag"], again["Key"]) == (done["ETag"], "mp")
    err, status = error_of(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="other", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}]}))
    assert (err["Code"], status) == ("NoSuchUpload", 404)
    s3.put_object(Bucket=bucket, Key="mp", Body=b"replaced")
    err, status = error_of(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}]}))
    assert (err["Code"], status) == ("NoSuchUpload", 404)
    s3.create_bucket(Bucket="mp-versioned")
    s3.put_bucket_versioning(Bucket="mp-versioned", VersioningConfiguration={"Status": "Enabled"})
    versioned = s3.create_multipart_upload(Bucket="mp-versioned", Key="v")["UploadId"]
    ev = s3.upload_part(Bucket="mp-versioned", Key="v", UploadId=versioned, PartNumber=1, Body=b"v")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": ev}]}
    first = s3.complete_multipart_upload(Bucket="mp-versioned", Key="v", UploadId=versioned, MultipartUpload=parts)
    s3.put_object(Bucket="mp-versioned", Key="v", Body=b"newer")  # the upload's version is still there
    again = s3.complete_multipart_upload(Bucket="mp-versioned", Key="v", UploadId=versioned, MultipartUpload=parts)
    assert (again["VersionId"], again["ETag"]) == (first["VersionId"], first["ETag"])
    assert len(s3.list_object_versions(Bucket="mp-versioned")["Versions"]) == 2

    aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="gone", UploadId=aborted, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted)
    err, _ = error_of(lambda: s3.upload_part(Bucket=bucket, Key="gone", UploadId=aborted, PartNumber=2, Body=b"x"))
    assert err["Code"] == "NoSuchUpload"
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_parts_must_carry_the_checksum_their_upload_was_created_with(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="sha", ChecksumAlgorithm="SHA256")["UploadId"]
    # botocore adds its default CRC32 to a part unless told the upload's algorithm: S3 refuses that part.
    err, status = error_of(lambda: s3.upload_part(Bucket=bucket, Key="sha", UploadId=upload, PartNumber=1, Body=b"part"))
    assert (err["Code"], status) == ("InvalidRequest", 400)
    assert err["Message"] == "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32"
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="sha", UploadId=upload)
    part = s3.upload_part(Bucket=bucket, Key="sha", UploadId=upload, PartNumber=1, Body=b"part", ChecksumAlgorithm="SHA256")
    assert part["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"part").digest()).decode()
    # An upload created without an algorithm takes parts with any.
    plain = s3.create_multipart_upload(Bucket=bucket, Key="plain")["UploadId"]
    assert "ChecksumCRC32" in s3.upload_part(Bucket=bucket, Key="plain", UploadId=plain, PartNumber=1, Body=b"part")


def test_multipart_checksums_full_object_and_composite_and_the_objects_attributes(s3, bucket):
    import zlib
    parts = [b"A" * (5 << 20), b"B" * (5 << 20), b"C" * 1000]

    def b64(crc: int) -> str:
        return base64.b64encode(crc.to_bytes(4, "big")).decode()

    def upload(key, checksum_type):
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", ChecksumType=checksum_type)
        assert upload["ChecksumType"] == checksum_type
        listed = [u for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"] if u["UploadId"] == upload["UploadId"]]
        assert (listed[0]["ChecksumAlgorithm"], listed[0]["ChecksumType"]) == ("CRC32", checksum_type)
        done = []
        for number, body in enumerate(parts, 1):
            part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=body,
                                  ChecksumAlgorithm="CRC32")
            assert part["ChecksumCRC32"] == b64(zlib.crc32(body))
            done.append({"PartNumber": number, "ETag": part["ETag"], "ChecksumCRC32": part["ChecksumCRC32"]})
        return upload["UploadId"], done

    # FULL_OBJECT: the CRC of the whole object, as if it had been sent in one piece.
    whole = b64(zlib.crc32(b"".join(parts)))
    upload_id, done = upload("full", "FULL_OBJECT")
    err, status = error_of(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="full", UploadId=upload_id,
                                                                MultipartUpload={"Parts": done}, ChecksumCRC32="AAAAAA=="))
    assert (err["Code"], status) == ("BadDigest", 400)
    completed = s3.complete_multipart_upload(Bucket=bucket, Key="full", UploadId=upload_id, MultipartUpload={"Parts": done},
                                             ChecksumCRC32=whole)
    assert (completed["ChecksumCRC32"], completed["ChecksumType"]) == (whole, "FULL_OBJECT")
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (whole, "FULL_OBJECT")
    # A part answers with its own checksum.
    assert s3.get_object(Bucket=bucket, Key="full", PartNumber=2, ChecksumMode="ENABLED")["ChecksumCRC32"] == b64(zlib.crc32(parts[1]))

    # COMPOSITE: the checksum of the parts' checksums, and their number.
    upload_id, done = upload("composite", "COMPOSITE")
    completed = s3.complete_multipart_upload(Bucket=bucket, Key="composite", UploadId=upload_id, MultipartUpload={"Parts": done})
    digests = b"".join(base64.b64decode(p["ChecksumCRC32"]) for p in done)
    assert (completed["ChecksumCRC32"], completed["ChecksumType"]) == (b64(zlib.crc32(digests)) + "-3", "COMPOSITE")
    # GetObjectAttributes gives a composite checksum without its part count (AWS-verified in moto's tests).
    assert s3.get_object_attributes(Bucket=bucket, Key="composite", ObjectAttributes=["Checksum"])["Checksum"] == {
        "ChecksumCRC32": b64(zlib.crc32(digests)), "ChecksumType": "COMPOSITE"}

    # GetObjectAttributes: a bare ETag, the checksum, the parts a page at a time.
    attributes = s3.get_object_attributes(Bucket=bucket, Key="full",
                                          ObjectAttributes=["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"],
                                          MaxParts=1, PartNumberMarker=1)
    assert attributes["ETag"] == s3.head_object(Bucket=bucket, Key="full")["ETag"].strip('"')
    assert attributes["Checksum"] == {"ChecksumCRC32": whole, "ChecksumType": "FULL_OBJECT"}
    assert (attributes["ObjectSize"], attributes["StorageClass"]) == (sum(map(len, parts)), "STANDARD")
    page = attributes["ObjectParts"]
    assert (page["TotalPartsCount"], page["PartNumberMarker"], page["NextPartNumberMarker"], page["IsTruncated"]) == (3, 1, 2, True)
    assert page["Parts"] == [{"PartNumber": 2, "Size": 5 << 20, "ChecksumCRC32": b64(zlib.crc32(parts[1]))}]
    s3.put_object(Bucket=bucket, Key="single", Body=b"foo")
    single = s3.get_object_attributes(Bucket=bucket, Key="single", ObjectAttributes=["ObjectSize", "ObjectParts"])
    assert single["ObjectSize"] == 3 and "ObjectParts" not in single and "ETag" not in single
    err, status = error_of(lambda: s3.get_object_attributes(Bucket=bucket, Key="single", ObjectAttributes=["Colour"]))
    assert (err["Code"], status) == ("InvalidArgument", 400)
    err, status = error_of(lambda: s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"]))
    assert (err["Code"], status) == ("NoSuchKey", 404)

    # The checksum type must suit the algorithm, and needs one.
    for algorithm, checksum_type in [("SHA256", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")]:
        err, status = error_of(lambda: s3.create_multipart_upload(Bucket=bucket, Key="x", ChecksumAlgorithm=algorithm,
                                                                  ChecksumType=checksum_type))
        assert (err["Code"], status) == ("InvalidRequest", 400)
    err, status = error_of(lambda: s3.create_multipart_upload(Bucket=bucket, Key="x", ChecksumType="FULL_OBJECT"))
    assert (err["Code"], status) == ("InvalidRequest", 400)


def test_tags_delete_markers_and_copies_in_place_as_aws_answers(clean, s3):
    # Details checked against AWS by moto's aws_verified tests.
    s3.create_bucket(Bucket="details")
    # aws: tags belong to AWS; S3 words the refusal differently for objects and buckets.
    err, _ = error_of(lambda: s3.put_object(Bucket="details", Key="k", Body=b"x", Tagging="aws:foo=bar"))
    assert (err["Code"], err["Message"]) == ("InvalidTag", "Your TagKey cannot be prefixed with aws:")
    s3.put_object(Bucket="details", Key="k", Body=b"x")
    err, _ = error_of(lambda: s3.put_object_tagging(Bucket="details", Key="k", Tagging={"TagSet": [{"Key": "aws:a", "Value": "b"}]}))
    assert err["Code"] == "InvalidTag"
    err, _ = error_of(lambda: s3.put_bucket_tagging(Bucket="details", Tagging={"TagSet": [{"Key": "aws:a", "Value": "b"}]}))
    assert (err["Code"], err["Message"]) == ("InvalidTag", "System tags cannot be added/updated by requester")
    s3.put_bucket_tagging(Bucket="details", Tagging={"TagSet": [{"Key": "something:aws:x", "Value": "fine"}]})
    s3.put_bucket_tagging(Bucket="details", Tagging={"TagSet": []})
    err, status = error_of(lambda: s3.get_bucket_tagging(Bucket="details"))
    assert (err["Code"], err["BucketName"], status) == ("NoSuchTagSet", "details", 404)

    # A delete marker named by its version takes DELETE only, and says so.
    s3.put_bucket_versioning(Bucket="details", VersioningConfiguration={"Status": "Enabled"})
    marker = s3.delete_object(Bucket="details", Key="k")["VersionId"]
    with pytest.raises(botocore.exceptions.ClientError) as info:
        s3.head_object(Bucket="details", Key="k", VersionId=marker)
    headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert (info.value.response["ResponseMetadata"]["HTTPStatusCode"], headers["allow"], headers["x-amz-delete-marker"]) == (405, "DELETE", "true")
    err, status = error_of(lambda: s3.put_object_tagging(Bucket="details", Key="k", VersionId=marker,
                                                         Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}))
    assert (err["Code"], err["Method"], err["ResourceType"], status) == ("MethodNotAllowed", "PUT", "DeleteMarker", 405)

    # A copy onto its own key is refused unless something changes; naming a version of the source is a change.
    version = s3.put_object(Bucket="details", Key="c", Body=b"v")["VersionId"]
    err, _ = error_of(lambda: s3.copy_object(Bucket="details", Key="c", CopySource={"Bucket": "details", "Key": "c"}))
    assert err["Code"] == "InvalidRequest"
    copied = s3.copy_object(Bucket="details", Key="c", CopySource={"Bucket": "details", "Key": "c", "VersionId": version})
    assert copied["CopySourceVersionId"] == version and copied["VersionId"] != version
    # A redirect given with a copy applies, whatever the metadata directive.
    s3.copy_object(Bucket="details", Key="r", CopySource={"Bucket": "details", "Key": "c"}, WebsiteRedirectLocation="/elsewhere")
    assert s3.head_object(Bucket="details", Key="r")["WebsiteRedirectLocation"] == "/elsewhere"

    # Object Lock configuration without a body; HeadBucket's content type; a constraint the endpoint's region
    # does not match, us-east-1 included.
    err, _ = error_of(lambda: s3.put_object_lock_configuration(Bucket="details"))
    assert (err["Code"], err["Message"]) == ("MissingRequestBodyError", "Request Body is empty")
    assert s3.head_bucket(Bucket="details")["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/xml"
    west = boto3.client("s3", region_name="us-west-2", endpoint_url=clean.url, aws_access_key_id=clean.root.access_key,
                        aws_secret_access_key=clean.root.secret_key)
    err, _ = error_of(lambda: west.create_bucket(Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}))
    assert (err["Code"], err["Message"]) == (
        "IllegalLocationConstraintException",
        "The us-east-1 location constraint is incompatible for the region specific endpoint this request was sent to.")


def test_list_multipart_uploads_pages(s3, bucket, clean):
    """Uploads in progress list by key, then by initiation, page after page, with common prefixes."""
    created = []
    for key in ["photos/2024/a.jpg", "b", "photos/2024/a.jpg", "photos/2025/c.jpg", "a", "photos/readme", "b", "z"]:
        created.append((key, s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]))
    expected = [upload for key in sorted({k for k, _ in created}) for upload in created if upload[0] == key]

    def listed(**kwargs):
        pages = s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, **kwargs)
        uploads, prefixes = [], []
        for page in pages:
            uploads += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        return uploads, prefixes

    for size in (1, 2, 3, 1000):
        assert listed(PaginationConfig={"PageSize": size}) == (expected, []), size
    assert listed(Delimiter="/", PaginationConfig={"PageSize": 1}) == ([u for u in expected if "/" not in u[0]], ["photos/"])
    assert listed(Prefix="photos/", Delimiter="/", PaginationConfig={"PageSize": 1}) == (
        [u for u in expected if u[0] == "photos/readme"], ["photos/2024/", "photos/2025/"])
    first = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=3)
    assert first["IsTruncated"] and (first["NextKeyMarker"], first["NextUploadIdMarker"]) == expected[2]
    after_b = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="b")
    assert [(u["Key"], u["UploadId"]) for u in after_b["Uploads"]] == [u for u in expected if u[0] > "b"]

    # Finished uploads leave the listing; the other upload of the same key stays.
    (done_key, done_id), (kept_key, kept_id) = [u for u in expected if u[0] == "b"]
    s3.abort_multipart_upload(Bucket=bucket, Key=done_key, UploadId=done_id)
    assert listed(Prefix="b") == ([(kept_key, kept_id)], [])

    r = clean.aws("s3api", "list-multipart-uploads", "--bucket", bucket, "--prefix", "photos/", "--delimiter", "/",
                  "--encoding-type", "url")
    assert r.rc == 0, r.stderr
    out = r.json
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert [u["Key"] for u in out["Uploads"]] == ["photos/readme"]


def test_upload_part_copy(s3, bucket):
    src = os.urandom(6 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=upload, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * 1024 * 1024 - 1}")
    p2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=upload, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "src"})
    s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=upload, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == src[:5 * 1024 * 1024] + src


def test_listing(s3, bucket):
    keys = [f"photos/2024/{i:03}.jpg" for i in range(7)] + ["photos/2025/a.jpg", "photos/readme", "top", "zz/1"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    everything = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3})
    assert [o["Key"] for page in everything for o in page.get("Contents", [])] == sorted(keys)

    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/", "zz/"]
    assert [o["Key"] for o in top["Contents"]] == ["top"]
    assert top["KeyCount"] == 3

    photos = s3.list_objects_v2(Bucket=bucket, Prefix="photos/", Delimiter="/")
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert [o["Key"] for o in photos["Contents"]] == ["photos/readme"]

    # Common prefixes count towards max-keys and pages resume after them.
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1})
    seen = []
    for page in pages:
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [o["Key"] for o in page.get("Contents", [])]
    assert seen == ["photos/", "top", "zz/"]

    after = s3.list_objects_v2(Bucket=bucket, StartAfter="photos/2024/005.jpg", MaxKeys=2)
    assert [o["Key"] for o in after["Contents"]] == ["photos/2024/006.jpg", "photos/2025/a.jpg"]
    assert after["IsTruncated"] is True

    v1 = s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4})
    assert [o["Key"] for page in v1 for o in page.get("Contents", [])] == sorted(keys)

    s3.put_object(Bucket=bucket, Key="needs encoding/ü&x", Body=b"")
    enc = s3.list_objects_v2(Bucket=bucket, Prefix="needs", EncodingType="url")
    # Asked for explicitly, the encoding is left to the caller (boto3 decodes only what it asked for itself).
    assert [o["Key"] for o in enc["Contents"]] == ["needs+encoding/%C3%BC%26x"]
    err, _ = error_of(lambda: s3.list_objects_v2(Bucket=bucket, MaxKeys=-1))
    assert err["Code"] == "InvalidArgument"


def test_listing_edge_cases_answer_as_s3_does(s3, bucket):
    for k in ["a", "b/c", "d"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    # An empty delimiter is no delimiter, and is not echoed.
    for listed in (s3.list_objects(Bucket=bucket, Delimiter=""), s3.list_objects_v2(Bucket=bucket, Delimiter="")):
        assert "Delimiter" not in listed
        assert [o["Key"] for o in listed["Contents"]] == ["a", "b/c", "d"]
        assert "CommonPrefixes" not in listed
    # max-keys=0 lists nothing and is not truncated.
    for listed in (s3.list_objects(Bucket=bucket, MaxKeys=0), s3.list_objects_v2(Bucket=bucket, MaxKeys=0)):
        assert listed["IsTruncated"] is False
        assert "Contents" not in listed
    # An empty continuation token is the first page, and is echoed.
    first = s3.list_objects_v2(Bucket=bucket, ContinuationToken="")
    assert first["ContinuationToken"] == ""
    assert [o["Key"] for o in first["Contents"]] == ["a", "b/c", "d"]
    # boto3 asks version 1 for url encoding itself and decodes the keys, not the prefix: S3 echoes that as given.
    assert s3.list_objects(Bucket=bucket, Prefix="\n")["Prefix"] == "\n"
    assert s3.list_objects(Bucket=bucket, Prefix="x y")["Prefix"] == "x y"
    assert s3.list_objects_v2(Bucket=bucket, Prefix="\n")["Prefix"] == "\n"


@pytest.mark.parametrize("count", [-1, 2**31, 10**11])
def test_list_counts_outside_s3s_32_bit_range_are_invalid_arguments(s3, bucket, count):
    err, status = error_of(lambda: s3.list_objects_v2(Bucket=bucket, MaxKeys=count))
    assert (err["Code"], err["Message"], status) == ("InvalidArgument", "Provided max-keys not an integer or within integer range", 400)
    err, status = error_of(lambda: s3.list_objects(Bucket=bucket, MaxKeys=count))
    assert err["Code"] == "InvalidArgument"
    err, status = error_of(lambda: s3.list_multipart_uploads(Bucket=bucket, MaxUploads=count))
    assert (err["Code"], err["Message"], status) == ("InvalidArgument", "Argument max-uploads must be an integer between 0 and 2147483647", 400)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="counted")["UploadId"]
    err, status = error_of(lambda: s3.list_parts(Bucket=bucket, Key="counted", UploadId=upload, MaxParts=count))
    assert (err["Code"], err["Message"], status) == ("InvalidArgument", "Argument max-parts must be an integer between 0 and 2147483647", 400)
    err, status = error_of(lambda: s3.list_parts(Bucket=bucket, Key="counted", UploadId=upload, PartNumberMarker=count))
    assert (err["Code"], err["Message"], status) == ("InvalidArgument", "Argument part-number-marker must be an integer between 0 and 2147483647", 400)
    # The largest count S3 reads is fine.
    assert s3.list_objects_v2(Bucket=bucket, MaxKeys=2**31 - 1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_copy_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="orig", Body=b"data", ContentType="text/x-orig", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "orig"})
    got = s3.get_object(Bucket=bucket, Key="copy")
    assert (got["Body"].read(), got["ContentType"], got["Metadata"]) == (b"data", "text/x-orig", {"a": "1"})
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource=f"{bucket}/orig", MetadataDirective="REPLACE",
                   ContentType="text/x-new", Metadata={"b": "2"})
    got = s3.head_object(Bucket=bucket, Key="replaced")
    assert (got["ContentType"], got["Metadata"]) == ("text/x-new", {"b": "2"})
    err, _ = error_of(lambda: s3.copy_object(Bucket=bucket, Key="orig", CopySource=f"{bucket}/orig"))
    assert err["Code"] == "InvalidRequest"
    err, status = error_of(lambda: s3.copy_object(Bucket=bucket, Key="x", CopySource=f"{bucket}/missing"))
    assert (err["Code"], status) == ("NoSuchKey", 404)


def test_delete_objects(s3, bucket):
    for k in ["d1", "d2", "d3"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d1"}, {"Key": "d2"}, {"Key": "never"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["d1", "d2", "never"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["d3"]


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="team=blue&env=dev")
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]}
    assert tags == {"team": "blue", "env": "dev"}
    assert s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "only", "Value": "one"}]
    put = s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "cost", "Value": "center"}]})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204  # as S3 answers it, though its model does not say so
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "cost", "Value": "center"}]


def test_expect_100_continue_is_answered_only_when_the_body_is_wanted(clean, s3, bucket):
    import socket

    def put_expecting(path, headers=b""):
        sock = socket.create_connection(("127.0.0.1", clean.port), timeout=5)
        sock.sendall(b"PUT " + path + b" HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n" + headers + b"\r\n")
        return sock, sock.recv(65536)

    # Refused before its body is wanted: the final answer at once, no 100, and the connection closed (the
    # client never sent the body it announced, so nothing more can follow on it).
    sock, answer = put_expecting(b"/" + bucket.encode() + b"/k")
    assert answer.startswith(b"HTTP/1.1 403 ") and b"Connection: close" in answer and b"100 Continue" not in answer
    assert sock.recv(65536) == b""
    sock, answer = put_expecting(b"/no-such-bucket-at-all/k")
    assert answer.startswith(b"HTTP/1.1 404 ")
    # Let in (here by a policy that lets anyone write): 100 Continue, then the body, then the answer.
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/open/*"}]}))
    sock, answer = put_expecting(b"/" + bucket.encode() + b"/open/k")
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n")
    sock.sendall(b"hello")
    final = answer.split(b"\r\n\r\n", 1)[1] or sock.recv(65536)
    assert final.startswith(b"HTTP/1.1 200 ")
    assert s3.get_object(Bucket=bucket, Key="open/k")["Body"].read() == b"hello"
    # boto3 sends Expect with upload bodies of a megabyte and more: refused, it hears so before sending one.
    for i in range(2):
        s3.put_object(Bucket=bucket, Key=f"big{i}", Body=os.urandom(2 << 20))
    stranger = clean.client("s3", new_user(clean, "no-s3-rights"))
    err, status = error_of(lambda: stranger.put_object(Bucket=bucket, Key="refused", Body=os.urandom(4 << 20)))
    assert (err["Code"], status) == ("AccessDenied", 403)
    s3.put_object(Bucket=bucket, Key="after", Body=b"still fine")
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"still fine"


def test_a_date_header_with_a_numeric_zone_times_the_request(s3, bucket):
    # Given a Date header and no X-Amz-Date, botocore signs with Date as the request's time, here in the form
    # of Python's email.utils.formatdate(): "Wed, 25 Nov 2026 08:32:32 -0000".
    from email.utils import formatdate
    def dated(params, **_):
        params["headers"].update({"Date": formatdate(), "X-Amz-Date": formatdate()})
    s3.meta.events.register("before-call.s3.PutObject", dated)
    try:
        s3.put_object(Bucket=bucket, Key="dated", Body=b"x")
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", dated)
    assert s3.get_object(Bucket=bucket, Key="dated")["Body"].read() == b"x"


def test_bad_input(clean, s3, bucket):
    err, _ = error_of(lambda: s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x"))
    assert err["Code"] == "KeyTooLongError"
    bad = b"<Delete><Object>"
    r = clean.signed_request("POST", f"/{bucket}?delete", body=bad, service="s3", headers=s3_headers(bad, **{"Content-MD5": md5_b64(bad)}))
    assert r.status_code == 400 and "MalformedXML" in r.text, r.text
    r = clean.signed_request("PUT", f"/{bucket}?tagging", body=b"not xml at all", service="s3", headers=s3_headers(b"not xml at all"))
    assert r.status_code == 400
    policy = b'{"Statement": "nope"}'
    r = clean.signed_request("PUT", f"/{bucket}?policy", body=policy, service="s3", headers=s3_headers(policy))
    assert r.status_code == 400 and "MalformedPolicy" in r.text
    r = clean.signed_request("GET", f"/{bucket}/x", service="s3", headers=s3_headers(b"", Range="bytes=zzz"))
    assert r.status_code == 404
    assert clean.signed_request("GET", f"/{bucket}?list-type=2", service="s3", headers=s3_headers(b"")).status_code == 200


# -- the aws CLI ---------------------------------------------------------------------------------


def test_aws_s3_cli(clean, tmp_path):
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.txt").write_text("beta")
    (src / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))
    assert clean.aws("s3", "mb", "s3://cli-bucket").rc == 0
    r = clean.aws("s3", "sync", str(src), "s3://cli-bucket/tree")
    assert r.rc == 0, r.stderr
    r = clean.aws("s3", "ls", "s3://cli-bucket/tree/", "--recursive")
    assert sorted(line.split()[-1] for line in r.stdout.splitlines()) == ["tree/a.txt", "tree/big.bin", "tree/sub/b.txt"]
    out = tmp_path / "out"
    assert clean.aws("s3", "cp", "s3://cli-bucket/tree", str(out), "--recursive").rc == 0
    assert (out / "big.bin").read_bytes() == (src / "big.bin").read_bytes()
    assert (out / "sub" / "b.txt").read_text() == "beta"
    r = clean.aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "tree/a.txt")
    assert r.json["ContentLength"] == 5
    assert clean.aws("s3", "rm", "s3://cli-bucket/tree", "--recursive").rc == 0
    assert clean.aws("s3", "rb", "s3://cli-bucket").rc == 0


# -- presigned URLs ------------------------------------------------------------------------------


def test_presigned_get_and_put_expire(clean, bucket):
    s3v4 = clean.client("s3", signature_version="s3v4")
    put_url = s3v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=60)
    assert requests.put(put_url, data=b"presigned body", timeout=10).status_code == 200
    get_url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=2)
    r = requests.get(get_url, timeout=10)
    assert (r.status_code, r.content) == (200, b"presigned body")
    time.sleep(3)
    r = requests.get(get_url, timeout=10)
    assert r.status_code == 403 and "AccessDenied" in r.text
    # Without any signature the object is private.
    assert requests.get(f"{clean.url}/{bucket}/pre", timeout=10).status_code == 403


def test_sigv2_presigned_urls_from_boto3_defaults(clean, bucket, tmp_path):
    # boto3 and `aws s3 presign` still presign with Signature Version 2 by default in us-east-1.
    s3 = clean.client("s3")
    s3.put_object(Bucket=bucket, Key="v2", Body=b"signed the old way")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in url and "Signature=" in url
    assert requests.get(url, timeout=10).content == b"signed the old way"
    assert requests.get(url.replace("v2?", "v3?"), timeout=10).status_code == 403
    r = clean.aws("s3", "presign", f"s3://{bucket}/v2", "--expires-in", "1")
    assert r.rc == 0
    time.sleep(2)
    expired = requests.get(r.stdout.strip(), timeout=10)
    assert expired.status_code == 403 and "Request has expired" in expired.text
    # Parameters that are headers, Metadata among them, go into the URL, signed; S3 takes them as headers.
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "meta", "Metadata": {"venue": "123"}},
                                    ExpiresIn=60)
    assert "x-amz-meta-venue=123" in put
    assert requests.put(put, data=b"with metadata", timeout=10).status_code == 200
    assert s3.head_object(Bucket=bucket, Key="meta")["Metadata"] == {"venue": "123"}
    # ...and cannot be changed without breaking the signature.
    assert requests.put(put.replace("venue=123", "venue=456"), data=b"x", timeout=10).status_code == 403
    # Outside a presigned URL, an x-amz- query parameter is no header.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x", Metadata={"a": "1"})
    assert s3.head_object(Bucket=bucket, Key="plain")["Metadata"] == {"a": "1"}


# -- encryption ----------------------------------------------------------------------------------


def test_sse_c_round_trip(clean, bucket):
    ca = str(clean.data_dir / "ca.pem")
    s3 = clean.client("s3", endpoint=clean.tls_url, verify=ca)
    key = os.urandom(32)
    body = b"customer-encrypted " * 1000
    put = s3.put_object(Bucket=bucket, Key="ssec", Body=body, SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert put["SSECustomerAlgorithm"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="ssec", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert got["Body"].read() == body
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="ssec"))
    assert (err["Code"], status) == ("InvalidRequest", 400)
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="ssec", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32)))
    assert status == 403
    # Over plain HTTP the key is refused, as S3 refuses it.
    err, status = error_of(lambda: clean.client("s3").put_object(
        Bucket=bucket, Key="ssec-http", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=key))
    assert (err["Code"], status) == ("InvalidRequest", 400)
    # Neither the key nor the plaintext is anywhere in the data dir.
    for path in clean.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key not in data and base64.b64encode(key) not in data, path
            assert b"customer-encrypted customer-encrypted" not in data, path


def test_object_data_is_encrypted_at_rest(clean, bucket):
    marker = b"PLAINTEXT-MARKER-" + os.urandom(8).hex().encode()
    clean.client("s3").put_object(Bucket=bucket, Key="secret", Body=marker * 100)
    for path in clean.data_dir.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path


# -- access control ------------------------------------------------------------------------------


def new_user(server, name, *statements):
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Creds(key["AccessKeyId"], key["SecretAccessKey"], server.root.account_id)


def test_identity_policy_decides_object_access(clean, s3, bucket):
    s3.put_object(Bucket=bucket, Key="public/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="private/b", Body=b"b")
    reader = new_user(clean, "reader", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/public/*"})
    client = clean.client("s3", reader)
    assert client.get_object(Bucket=bucket, Key="public/a")["Body"].read() == b"a"
    err, status = error_of(lambda: client.get_object(Bucket=bucket, Key="private/b"))
    assert (err["Code"], status) == ("AccessDenied", 403)
    err, status = error_of(lambda: client.put_object(Bucket=bucket, Key="public/new", Body=b"x"))
    assert (err["Code"], status) == ("AccessDenied", 403)
    err, _ = error_of(lambda: client.list_objects_v2(Bucket=bucket))
    assert err["Code"] == "AccessDenied"
    # Copying needs s3:GetObject on the source as well as s3:PutObject on the target.
    writer = new_user(clean, "writer", {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    err, _ = error_of(lambda: clean.client("s3", writer).copy_object(Bucket=bucket, Key="stolen", CopySource=f"{bucket}/private/b"))
    assert err["Code"] == "AccessDenied"


def test_a_missing_key_is_404_only_to_a_caller_that_may_list_the_bucket(clean, s3, bucket):
    # S3's GetObject and HeadObject reference: without s3:ListBucket a caller cannot tell a key that is not there
    # from one it may not read; with it, it hears 404.
    s3.put_object(Bucket=bucket, Key="there", Body=b"x")
    reader = clean.client("s3", new_user(clean, "getter", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert reader.get_object(Bucket=bucket, Key="there")["Body"].read() == b"x"
    for call in (lambda: reader.get_object(Bucket=bucket, Key="missing"), lambda: reader.head_object(Bucket=bucket, Key="missing")):
        err, status = error_of(call)
        assert status == 403 and err["Code"] in ("AccessDenied", "403")
    err, _ = error_of(lambda: reader.get_object(Bucket=bucket, Key="missing"))
    assert err["Message"] == "Access Denied"  # naming the missing permission would tell that the key is missing
    lister = clean.client("s3", new_user(clean, "lister",
                                         {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
                                         {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}))
    err, status = error_of(lambda: lister.get_object(Bucket=bucket, Key="missing"))
    assert (err["Code"], status) == ("NoSuchKey", 404)
    # Allowed to list but not to read: a missing key is 404, one that is there 403.
    only_list = clean.client("s3", new_user(clean, "only-list", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}))
    err, status = error_of(lambda: only_list.get_object(Bucket=bucket, Key="missing"))
    assert (err["Code"], status) == ("NoSuchKey", 404)
    err, status = error_of(lambda: only_list.get_object(Bucket=bucket, Key="there"))
    assert (err["Code"], status) == ("AccessDenied", 403)
    # A bucket that is not there is NoSuchBucket to anyone, before any question of access.
    for caller in (reader, clean.client("s3", clean.create_account("s3-stranger")), None):
        if caller is None:
            response = requests.get(f"{clean.url}/no-such-bucket-here/k", timeout=10)
            assert (response.status_code, error_code(response)) == (404, "NoSuchBucket")
        else:
            err, status = error_of(lambda: caller.get_object(Bucket="no-such-bucket-here", Key="k"))
            assert (err["Code"], status) == ("NoSuchBucket", 404)


def error_code(response) -> str | None:
    found = re.search(rb"<Code>([^<]*)</Code>", response.content)
    return found.group(1).decode() if found else None


def test_access_is_decided_before_a_malformed_body_is_read(clean, s3, bucket):
    # As S3 does: a caller refused the action is refused whatever the body holds; one allowed it hears about the body.
    bad = b"<Tagging><TagSet><Tag>"
    r = requests.put(f"{clean.url}/{bucket}?tagging", data=bad, timeout=10)
    assert (r.status_code, error_code(r)) == (403, "AccessDenied"), r.text
    stranger = new_user(clean, "stranger")
    r = clean.signed_request("PUT", f"/{bucket}?tagging", body=bad, service="s3", headers=s3_headers(bad), creds=stranger)
    assert (r.status_code, error_code(r)) == (403, "AccessDenied"), r.text
    tagger = new_user(clean, "tagger", {"Effect": "Allow", "Action": "s3:PutBucketTagging", "Resource": f"arn:aws:s3:::{bucket}"})
    r = clean.signed_request("PUT", f"/{bucket}?tagging", body=bad, service="s3", headers=s3_headers(bad), creds=tagger)
    assert (r.status_code, error_code(r)) == (400, "MalformedXML"), r.text
    r = clean.signed_request("PUT", f"/{bucket}?tagging", body=bad, service="s3", headers=s3_headers(bad))
    assert (r.status_code, error_code(r)) == (400, "MalformedXML"), r.text
    # Nothing was tagged, and the refusals are in CloudTrail as the stranger's.
    err, _ = error_of(lambda: s3.get_bucket_tagging(Bucket=bucket))
    assert err["Code"] == "NoSuchTagSet"
    events = [json.loads(e["CloudTrailEvent"]) for e in clean.all_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutBucketTagging"}])]
    assert any(e.get("errorCode") == "AccessDenied" and e["userIdentity"].get("userName") == "stranger" for e in events), events


def test_bucket_policy_secure_transport_and_public_read(clean, s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"doc")
    err, status = error_of(lambda: s3.get_bucket_policy_status(Bucket=bucket))
    assert (err["Code"], status) == ("NoSuchBucketPolicy", 404)
    err, status = error_of(lambda: s3.get_bucket_policy(Bucket=bucket))
    assert (err["Code"], status, err["BucketName"]) == ("NoSuchBucketPolicy", 404, bucket)
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as in AWS
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
    ]}
    assert s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))["ResponseMetadata"]["HTTPStatusCode"] == 204
    # The deny binds the account's root too: over plain HTTP even reading the policy is refused.
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="doc"))
    assert (err["Code"], status) == ("AccessDenied", 403)
    err, status = error_of(lambda: s3.get_bucket_policy(Bucket=bucket))
    assert (err["Code"], status) == ("AccessDenied", 403)
    ca = str(clean.data_dir / "ca.pem")
    tls = clean.client("s3", endpoint=clean.tls_url, verify=ca)
    assert json.loads(tls.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"] == "TLSOnly"
    # Public: the statement that allows everyone without a condition.
    assert tls.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    assert tls.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"doc"
    # Anonymous reads over TLS are allowed by the policy; over HTTP they are denied.
    assert requests.get(f"{clean.tls_url}/{bucket}/doc", verify=ca, timeout=10).content == b"doc"
    assert requests.get(f"{clean.url}/{bucket}/doc", timeout=10).status_code == 403
    assert requests.put(f"{clean.tls_url}/{bucket}/doc", data=b"x", verify=ca, timeout=10).status_code == 403
    tls.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": policy["Statement"][:1]}))
    assert tls.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    tls.delete_bucket_policy(Bucket=bucket)
    assert requests.get(f"{clean.tls_url}/{bucket}/doc", verify=ca, timeout=10).status_code == 403


def test_cross_account_access_needs_the_bucket_policy(clean, s3, bucket):
    other = clean.create_account("s3-cross")
    s3.put_object(Bucket=bucket, Key="shared", Body=b"shared")
    other_s3 = clean.client("s3", other)
    err, _ = error_of(lambda: other_s3.get_object(Bucket=bucket, Key="shared"))
    assert err["Code"] == "AccessDenied"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other.account_id}:root"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert other_s3.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"shared"


def test_an_uploads_initiator_may_abort_it_and_list_its_parts(clean, s3, bucket):
    # S3's multipart permissions: the bucket owner and the upload's initiator may abort it and list its parts
    # by default; others need s3:AbortMultipartUpload / s3:ListMultipartUploadParts, and an explicit deny wins.
    writer, stranger = clean.create_account("s3-writer"), clean.create_account("s3-stranger")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{writer.account_id}:root", f"arn:aws:iam::{stranger.account_id}:root"]},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    writer_s3, stranger_s3 = clean.client("s3", writer), clean.client("s3", stranger)
    upload = writer_s3.create_multipart_upload(Bucket=bucket, Key="theirs")["UploadId"]
    writer_s3.upload_part(Bucket=bucket, Key="theirs", UploadId=upload, PartNumber=1, Body=b"part")
    assert [p["PartNumber"] for p in writer_s3.list_parts(Bucket=bucket, Key="theirs", UploadId=upload)["Parts"]] == [1]
    for call in (lambda: stranger_s3.list_parts(Bucket=bucket, Key="theirs", UploadId=upload),
                 lambda: stranger_s3.abort_multipart_upload(Bucket=bucket, Key="theirs", UploadId=upload)):
        err, status = error_of(call)
        assert (err["Code"], status) == ("AccessDenied", 403)
    # The owner's own upload is not the writer's to abort.
    own = s3.create_multipart_upload(Bucket=bucket, Key="mine")["UploadId"]
    err, _ = error_of(lambda: writer_s3.abort_multipart_upload(Bucket=bucket, Key="mine", UploadId=own))
    assert err["Code"] == "AccessDenied"
    writer_s3.abort_multipart_upload(Bucket=bucket, Key="theirs", UploadId=upload)
    err, status = error_of(lambda: s3.list_parts(Bucket=bucket, Key="theirs", UploadId=upload))
    assert (err["Code"], status) == ("NoSuchUpload", 404)
    # An explicit deny in the bucket policy takes the default away.
    again = writer_s3.create_multipart_upload(Bucket=bucket, Key="theirs")["UploadId"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:AbortMultipartUpload", "Resource": f"arn:aws:s3:::{bucket}/*"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    err, _ = error_of(lambda: writer_s3.abort_multipart_upload(Bucket=bucket, Key="theirs", UploadId=again))
    assert err["Code"] == "AccessDenied"


def test_s3_calls_are_in_cloudtrail(clean, s3, bucket):
    s3.put_object(Bucket=bucket, Key="audited", Body=b"x")
    events = clean.all_events()
    names = {(e["EventSource"], e["EventName"]) for e in events}
    assert ("s3.amazonaws.com", "CreateBucket") in names
    assert ("s3.amazonaws.com", "PutObject") in names


# -- durability ----------------------------------------------------------------------------------


def test_objects_survive_restart(fresh_server):
    server = fresh_server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="durable")
    body = os.urandom(3 * 1024 * 1024)
    s3.put_object(Bucket="durable", Key="k", Body=body)
    server.restart()
    s3 = server.client("s3")
    assert s3.get_object(Bucket="durable", Key="k")["Body"].read() == body


# -- versioning and Object Lock ------------------------------------------------------------------


def test_versioning(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="doc", Body=b"before versioning")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"two")["VersionId"]
    assert v1 != v2 and "null" not in (v1, v2)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId="null")["Body"].read() == b"before versioning"

    deleted = s3.delete_object(Bucket=bucket, Key="doc")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="doc"))
    assert (err["Code"], status) == ("NoSuchKey", 404)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    listing = s3.list_object_versions(Bucket=bucket, Prefix="doc")
    assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [(v2, False), (v1, False), ("null", False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in listing["DeleteMarkers"]] == [(marker, True)]

    # Removing the delete marker brings the object back; deleting a version destroys only that version.
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"one"
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="doc", VersionId=v2))
    assert status == 404

    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    # A suspended bucket's write makes the null version and, as S3's answer does (the PutObject reference's
    # "versioning suspended" sample), does not name it; reads do.
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="doc", Body=b"suspended")
    assert s3.head_object(Bucket=bucket, Key="doc")["VersionId"] == "null"
    assert "VersionId" not in s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "doc"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="parts", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    assert "VersionId" not in s3.complete_multipart_upload(Bucket=bucket, Key="parts", UploadId=upload,
                                                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    versions = s3.list_object_versions(Bucket=bucket, Prefix="doc")["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", v1]  # the old null version was replaced
    err, status = error_of(lambda: s3.delete_bucket(Bucket=bucket))
    assert err["Code"] == "BucketNotEmpty"


def _version_pages(s3, bucket, **kwargs):
    """Every page of ListObjectVersions through boto3's paginator, as (versions, markers, prefixes) in order."""
    versions, markers, prefixes = [], [], []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, **kwargs):
        versions += [(v["Key"], v["VersionId"], v["IsLatest"]) for v in page.get("Versions", [])]
        markers += [(m["Key"], m["VersionId"], m["IsLatest"]) for m in page.get("DeleteMarkers", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return versions, markers, prefixes


def test_list_object_versions_pages(s3, bucket):
    """Paging by KeyMarker and VersionIdMarker, with and without a delimiter, lists every version once."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    written = {}
    for key, count in [("a", 3), ("b", 1), ("dir/x", 2), ("dir/y", 1), ("c", 1)]:
        for _ in range(count):
            written.setdefault(key, []).insert(0, s3.put_object(Bucket=bucket, Key=key, Body=b"v")["VersionId"])
    marker = s3.delete_object(Bucket=bucket, Key="c")["VersionId"]
    expected = [(key, version, i == 0) for key in sorted(written) for i, version in enumerate(written[key])]
    expected = [(k, v, latest and k != "c") for k, v, latest in expected]

    for max_keys in (1, 2, 3, 1000):
        versions, markers, prefixes = _version_pages(s3, bucket, PaginationConfig={"PageSize": max_keys})
        assert versions == expected, max_keys
        assert markers == [("c", marker, True)]
        assert prefixes == []

    versions, markers, prefixes = _version_pages(s3, bucket, Delimiter="/", PaginationConfig={"PageSize": 2})
    assert versions == [v for v in expected if not v[0].startswith("dir/")]
    assert prefixes == ["dir/"]
    versions, _, _ = _version_pages(s3, bucket, Prefix="dir/", PaginationConfig={"PageSize": 1})
    assert versions == [v for v in expected if v[0].startswith("dir/")]


def test_list_object_versions_of_many_objects(s3, bucket):
    """More objects than one read of the store holds: an unversioned bucket lists each as its null version."""
    keys = [f"k{i:04d}" for i in range(1_210)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    versions, _, _ = _version_pages(s3, bucket, PaginationConfig={"PageSize": 500})
    assert versions == [(key, "null", True) for key in keys]
    page = s3.list_object_versions(Bucket=bucket, KeyMarker="k0999", MaxKeys=3)
    assert [v["Key"] for v in page["Versions"]] == ["k1000", "k1001", "k1002"]
    assert page["IsTruncated"] and page["NextKeyMarker"] == "k1002"


def test_object_lock_blocks_deletes(s3):
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    assert s3.get_bucket_versioning(Bucket="locked-bucket")["Status"] == "Enabled"
    s3.put_object_lock_configuration(Bucket="locked-bucket", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    version = s3.put_object(Bucket="locked-bucket", Key="record", Body=b"worm")["VersionId"]
    retention = s3.get_object_retention(Bucket="locked-bucket", Key="record")["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    err, status = error_of(lambda: s3.delete_object(Bucket="locked-bucket", Key="record", VersionId=version))
    assert (err["Code"], status) == ("AccessDenied", 403)
    # A delete without a version only adds a marker; the locked version stays.
    s3.delete_object(Bucket="locked-bucket", Key="record")
    assert s3.get_object(Bucket="locked-bucket", Key="record", VersionId=version)["Body"].read() == b"worm"

    # Compliance mode cannot be shortened or bypassed, even by the root user.
    from datetime import datetime, timedelta, timezone
    until = datetime.now(timezone.utc) + timedelta(days=2)
    v2 = s3.put_object(Bucket="locked-bucket", Key="strict", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)["VersionId"]
    err, _ = error_of(lambda: s3.delete_object(Bucket="locked-bucket", Key="strict", VersionId=v2, BypassGovernanceRetention=True))
    assert err["Code"] == "AccessDenied"
    err, _ = error_of(lambda: s3.put_object_retention(Bucket="locked-bucket", Key="strict", VersionId=v2,
                                                      Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}, BypassGovernanceRetention=True))
    assert err["Code"] == "AccessDenied"

    # Legal hold blocks deletion until released; governance yields to the bypass.
    s3.put_object_legal_hold(Bucket="locked-bucket", Key="record", VersionId=version, LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket="locked-bucket", Key="record", VersionId=version)["LegalHold"]["Status"] == "ON"
    err, _ = error_of(lambda: s3.delete_object(Bucket="locked-bucket", Key="record", VersionId=version, BypassGovernanceRetention=True))
    assert err["Code"] == "AccessDenied"
    s3.put_object_legal_hold(Bucket="locked-bucket", Key="record", VersionId=version, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket="locked-bucket", Key="record", VersionId=version, BypassGovernanceRetention=True)
    err, status = error_of(lambda: s3.get_object(Bucket="locked-bucket", Key="record", VersionId=version))
    assert status == 404
    err, _ = error_of(lambda: s3.put_bucket_versioning(Bucket="locked-bucket", VersioningConfiguration={"Status": "Suspended"}))
    assert err["Code"] == "InvalidBucketState"


def test_governance_bypass_needs_the_permission(clean, s3):
    s3.create_bucket(Bucket="gov-bucket", ObjectLockEnabledForBucket=True)
    from datetime import datetime, timedelta, timezone
    until = datetime.now(timezone.utc) + timedelta(days=1)
    version = s3.put_object(Bucket="gov-bucket", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)["VersionId"]
    user = new_user(clean, "deleter", {"Effect": "Allow", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "arn:aws:s3:::gov-bucket/*"})
    err, _ = error_of(lambda: clean.client("s3", user).delete_object(Bucket="gov-bucket", Key="k", VersionId=version, BypassGovernanceRetention=True))
    assert err["Code"] == "AccessDenied"
    assert s3.head_object(Bucket="gov-bucket", Key="k", VersionId=version)["ObjectLockMode"] == "GOVERNANCE"
    # Extending governance is free; giving it another mode, even the stricter compliance, takes the bypass.
    later = until + timedelta(days=1)
    s3.put_object_retention(Bucket="gov-bucket", Key="k", VersionId=version, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later})
    err, status = error_of(lambda: s3.put_object_retention(Bucket="gov-bucket", Key="k", VersionId=version,
                                                           Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later}))
    assert (err["Code"], status) == ("AccessDenied", 403)
    s3.put_object_retention(Bucket="gov-bucket", Key="k", VersionId=version, BypassGovernanceRetention=True,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later})
    assert s3.get_object_retention(Bucket="gov-bucket", Key="k", VersionId=version)["Retention"]["Mode"] == "COMPLIANCE"


# -- integrity of stored data ------------------------------------------------------------------------


def piece_files(server) -> list[Path]:
    root = server.data_dir / "blobs"
    return sorted(p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts)


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def operator_post(server, path):
    r = server.signed_request("POST", path)
    assert r.status_code == 200, r.text
    return r.json()


def test_corrupted_piece_is_read_around_and_repaired_by_the_scrubber(clean, s3, bucket):
    body = os.urandom(2 * 1024 * 1024 + 99)
    s3.put_object(Bucket=bucket, Key="precious", Body=body)
    pieces = piece_files(clean)
    assert len(pieces) == 3, pieces  # two data shards and a parity shard, in three directories
    assert len({p.parent.parent for p in pieces}) == 3
    originals = {p: p.read_bytes() for p in pieces}

    # A flipped byte in one shard: the GET is still right (and the read repairs the record).
    flip_byte(pieces[0], len(originals[pieces[0]]) // 2)
    assert s3.get_object(Bucket=bucket, Key="precious")["Body"].read() == body

    # Damage the scrubber finds by itself: another shard flipped, and one missing altogether.
    flip_byte(pieces[1], len(originals[pieces[1]]) // 3)
    report = operator_post(clean, "/_nimbus/scrub")
    assert report["corruptPieces"] >= 1 and report["repaired"] >= 1 and report["unrecoverable"] == []
    assert {p: p.read_bytes() for p in pieces} == originals
    pieces[2].unlink()
    report = operator_post(clean, "/_nimbus/scrub")
    assert report["missingPieces"] == 1 and report["repaired"] >= 1
    assert pieces[2].read_bytes() == originals[pieces[2]]
    assert s3.get_object(Bucket=bucket, Key="precious")["Body"].read() == body
    storage = clean.health().json()["storage"]
    assert storage["repairedPieces"] >= 2
    assert "nimbus_blob_repaired_pieces_total" in requests.get(clean.url + "/metrics", timeout=10).text


def test_small_object_reads_around_a_bad_piece_and_answers_internal_error_when_none_can_help(clean, s3, bucket):
    # Small bodies are read whole before the answer is written: the error, if any, can still be an answer.
    body = os.urandom(4096)
    s3.put_object(Bucket=bucket, Key="small", Body=body)
    pieces = piece_files(clean)
    assert len(pieces) == 3, pieces
    flip_byte(pieces[0], len(pieces[0].read_bytes()) // 2)
    got = s3.get_object(Bucket=bucket, Key="small", Range="bytes=100-199")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206 and got["Body"].read() == body[100:200]
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == body

    # Two of three pieces gone: nothing to rebuild from.
    pieces[1].unlink()
    pieces[2].unlink()
    err, status = error_of(lambda: s3.get_object(Bucket=bucket, Key="small"))
    assert (status, err["Code"]) == (500, "InternalError"), err
    # CloudTrail says what the caller saw: two reads that succeeded, and this one (and boto3's retries of
    # it), which failed.
    gets = [json.loads(e["CloudTrailEvent"]) for e in clean.all_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetObject"}])]
    codes = sorted(e.get("errorCode") or "" for e in gets)
    assert codes[:2] == ["", ""] and len(codes) > 2 and set(codes[2:]) == {"InternalError"}, gets
    # The same connection answers the next request.
    assert s3.head_object(Bucket=bucket, Key="small")["ContentLength"] == 4096
    s3.put_object(Bucket=bucket, Key="other", Body=b"fine")
    assert s3.get_object(Bucket=bucket, Key="other")["Body"].read() == b"fine"


def packed_copies(server) -> dict[tuple[Path, int], bytes]:
    """The blocks in use in the pack files that hold small objects, by (file, offset)."""
    copies = {}
    for path in piece_files(server):
        if path.parent.name != "packs":
            continue
        data = path.read_bytes()
        for offset in range(0, len(data), 4096):
            block = data[offset:offset + 4096]
            if any(block):
                copies[(path, offset)] = block
    return copies


def test_tiny_object_is_two_copies_in_two_directories(clean, s3, bucket):
    body = b"{\"state\": \"locked\"}"
    s3.put_object(Bucket=bucket, Key="tiny", Body=body)
    # Two blocks of 4 KiB in the pack files of two directories, and no file of its own.
    copies = packed_copies(clean)
    assert len(copies) == 2 and len({path.parent.parent for path, _ in copies}) == 2, copies
    assert all(path.parent.name == "packs" for path in piece_files(clean)), piece_files(clean)
    assert all(body not in block for block in copies.values())  # sealed, not plaintext

    # One directory's pack file lost: the other copy answers (and if the read needed the lost one, it writes it
    # again); the scrubber leaves both copies there.
    (lost, offset), original = next(iter(copies.items()))
    lost.unlink()
    assert s3.get_object(Bucket=bucket, Key="tiny")["Body"].read() == body
    assert operator_post(clean, "/_nimbus/scrub")["unrecoverable"] == []
    assert lost.read_bytes()[offset:offset + 4096] == original
    # Lost again, with no read to notice: the scrubber finds it and writes it again.
    lost.unlink()
    report = operator_post(clean, "/_nimbus/scrub")
    assert report["missingPieces"] == 1 and report["repaired"] == 1 and report["unrecoverable"] == [], report
    assert lost.read_bytes()[offset:offset + 4096] == original
    assert s3.get_object(Bucket=bucket, Key="tiny")["Body"].read() == body

    # Deleting the object leaves neither copy.
    s3.delete_object(Bucket=bucket, Key="tiny")
    assert packed_copies(clean) == {}


def pack_blocks_allocated(server) -> int:
    """4 KiB blocks with disk space in the pack files, holes not counted."""
    return sum(path.stat().st_blocks * 512 // 4096 for path in piece_files(server) if path.parent.name == "packs")


def test_small_objects_reuse_deleted_blocks_and_a_stop_or_the_next_scrub_gives_the_rest_back(fresh_server):
    server = fresh_server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="small")
    bodies = {f"k{i}": os.urandom(4096) for i in range(20)}
    for key, body in bodies.items():
        s3.put_object(Bucket="small", Key=key, Body=body)
    allocated = pack_blocks_allocated(server)
    # Three pieces each, one 4 KiB block apiece (and the file system's own blocks for the files' extents).
    assert allocated >= 60, allocated
    # Overwrites take the blocks of the objects they replaced: 60 of them use one object's blocks more, the ones
    # the first new object needed before the object it replaced gave its own up.
    for round_ in range(3):
        for key in bodies:
            bodies[key] = os.urandom(4096)
            s3.put_object(Bucket="small", Key=key, Body=bodies[key])
    assert pack_blocks_allocated(server) == allocated + 3
    for key, body in bodies.items():
        assert s3.get_object(Bucket="small", Key=key)["Body"].read() == body
    # Deleted: zeroed (no copy left to read) and kept for the next objects while the server runs.
    s3.delete_objects(Bucket="small", Delete={"Objects": [{"Key": key} for key in list(bodies)[:5]]})
    assert len(packed_copies(server)) == 45
    assert pack_blocks_allocated(server) == allocated + 3
    # A clean stop gives the kept blocks (six objects' worth) back to the file system.
    assert server.stop() == 0
    assert pack_blocks_allocated(server) == allocated - 15
    server.start()
    assert operator_post(server, "/_nimbus/scrub")["reclaimedBlocks"] == 0
    # After a crash the kept blocks belong to nobody: the first scrub after the start gives them back.
    s3 = server.client("s3")
    s3.delete_objects(Bucket="small", Delete={"Objects": [{"Key": key} for key in list(bodies)[5:10]]})
    assert len(packed_copies(server)) == 30
    server.kill()
    server.start()
    assert pack_blocks_allocated(server) == allocated - 15
    report = operator_post(server, "/_nimbus/scrub")
    assert report["reclaimedBlocks"] == 15 and report["blobsChecked"] == 10 and report["corruptPieces"] == 0, report
    assert pack_blocks_allocated(server) == allocated - 30
    s3 = server.client("s3")
    for key in list(bodies)[10:]:
        assert s3.get_object(Bucket="small", Key=key)["Body"].read() == bodies[key]
    assert operator_post(server, "/_nimbus/scrub")["reclaimedBlocks"] == 0


def test_reads_during_overwrites_get_a_whole_object(clean, s3, bucket):
    # GETs and copies of a key that other clients overwrite meanwhile: each gets one whole version (the one its
    # request found), never a connection cut mid-body; the replaced versions' pieces go once their reads end.
    import threading
    from concurrent.futures import ThreadPoolExecutor
    size = 300_000
    written = {}
    lock = threading.Lock()
    stop = time.time() + 3

    def put():
        while time.time() < stop:
            body = os.urandom(size)
            with lock:
                written[hashlib.md5(body).hexdigest()] = True
            s3.put_object(Bucket=bucket, Key="hot", Body=body)

    def get():
        seen = 0
        while time.time() < stop:
            body = s3.get_object(Bucket=bucket, Key="hot")["Body"].read()
            assert len(body) == size
            with lock:
                assert hashlib.md5(body).hexdigest() in written
            seen += 1
        return seen

    def copy():
        copies = 0
        while time.time() < stop:
            s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "hot"})
            copies += 1
        return copies

    put_first = os.urandom(size)
    written[hashlib.md5(put_first).hexdigest()] = True
    s3.put_object(Bucket=bucket, Key="hot", Body=put_first)
    with ThreadPoolExecutor(max_workers=8) as pool:
        puts = [pool.submit(put) for _ in range(3)]
        gets = [pool.submit(get) for _ in range(4)]
        copier = pool.submit(copy)
        assert sum(f.result() for f in gets) > 0 and copier.result() > 0
        for f in puts:
            f.result()
    body = s3.get_object(Bucket=bucket, Key="copy")["Body"].read()
    assert hashlib.md5(body).hexdigest() in written
    # Two objects of three pieces each are left, and nothing else.
    assert len(piece_files(clean)) == 6, piece_files(clean)


def test_a_bucket_with_uploads_in_progress_is_deleted_with_them(clean, s3):
    # S3 refuses to delete a bucket that holds objects, but not one that holds only unfinished uploads:
    # those go with it, parts and all.
    s3.create_bucket(Bucket="unfinished")
    for key in ["one", "two"]:
        upload = s3.create_multipart_upload(Bucket="unfinished", Key=key)["UploadId"]
        s3.upload_part(Bucket="unfinished", Key=key, UploadId=upload, PartNumber=1, Body=os.urandom(10_000))
    assert len(piece_files(clean)) == 6
    s3.put_object(Bucket="unfinished", Key="object", Body=os.urandom(10_000))
    err, status = error_of(lambda: s3.delete_bucket(Bucket="unfinished"))
    assert (err["Code"], status) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket="unfinished", Key="object")
    s3.delete_bucket(Bucket="unfinished")
    assert piece_files(clean) == []
    s3.create_bucket(Bucket="unfinished")
    assert s3.list_multipart_uploads(Bucket="unfinished").get("Uploads", []) == []


def test_deleted_objects_leave_no_pieces(clean, s3, bucket):
    s3.put_object(Bucket=bucket, Key="temporary", Body=os.urandom(10_000))
    assert len(piece_files(clean)) == 3
    s3.delete_object(Bucket=bucket, Key="temporary")
    assert piece_files(clean) == []


def write_until_killed(server, writer, stop, writers: int = 8, seconds: float = 3):
    """Runs `writer(n)` on `writers` threads, kills the server with SIGKILL after `seconds`, and waits for them."""
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(writer, n) for n in range(writers)]
        time.sleep(seconds)
        server.kill()
        stop.set()
        for f in futures:
            f.result(timeout=30)


def test_acknowledged_puts_survive_kill_9(fresh_server):
    import threading
    server = fresh_server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="crash")
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int):
        i = 0
        while not stop.is_set():
            key = f"w{n}/{i}"
            body = os.urandom(1024 * (1 + i % 64))
            try:
                s3.put_object(Bucket="crash", Key=key, Body=body)
            except Exception:
                return  # the server is gone
            with lock:
                acknowledged[key] = hashlib.md5(body).hexdigest()
            i += 1

    write_until_killed(server, writer, stop)
    assert len(acknowledged) > 20
    # Back with every blob old enough to be swept: what the crash left unnamed goes, and nothing a record names.
    server.extra_env["NIMBUS_SCRUB_ORPHAN_AGE"] = "0"
    server.start()
    assert operator_post(server, "/_nimbus/scrub")["unrecoverable"] == []
    s3 = server.client("s3")
    for key, digest in acknowledged.items():
        assert hashlib.md5(s3.get_object(Bucket="crash", Key=key)["Body"].read()).hexdigest() == digest, key


def test_acknowledged_overwrites_survive_kill_9(fresh_server):
    # Small objects overwritten over and over: their pack-file slots pass from each replaced version to the next
    # object while the server is killed. Every key reads back as its last acknowledged version, or as the one
    # whose PUT was in flight; and no object the records name is damaged.
    import threading
    server = fresh_server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="crash")
    acknowledged: dict[str, str] = {}
    in_flight: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int):
        i = 0
        while not stop.is_set():
            key = f"o{n}/{i % 8}"
            body = os.urandom(500 + (i * 997) % 7500)
            with lock:
                in_flight[key] = hashlib.md5(body).hexdigest()
            try:
                s3.put_object(Bucket="crash", Key=key, Body=body)
            except Exception:
                return  # the server is gone
            with lock:
                acknowledged[key] = in_flight.pop(key)
            i += 1

    write_until_killed(server, writer, stop)
    assert len(acknowledged) == 64
    server.start()
    s3 = server.client("s3")
    for key, digest in acknowledged.items():
        got = hashlib.md5(s3.get_object(Bucket="crash", Key=key)["Body"].read()).hexdigest()
        assert got == digest or got == in_flight.get(key), key
    report = operator_post(server, "/_nimbus/scrub")
    assert report["unrecoverable"] == [], report



def test_scrubber_removes_blobs_no_record_names_once_old_enough(fresh_server):
    # A crash between an object's record going and its pieces going (or between a blob's write and its
    # record's commit) leaves pieces that nothing names: made here by putting a deleted object's pieces back.
    server = fresh_server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="orphans")
    kept = os.urandom(40_000)
    s3.put_object(Bucket="orphans", Key="kept", Body=kept)
    before = set(piece_files(server))
    s3.put_object(Bucket="orphans", Key="doomed", Body=os.urandom(40_000))
    doomed = {path: path.read_bytes() for path in set(piece_files(server)) - before}
    assert len(doomed) == 3 and len({p.name.split(".")[0] for p in doomed}) == 1
    s3.delete_object(Bucket="orphans", Key="doomed")
    for path, data in doomed.items():
        path.write_bytes(data)

    # Pieces written within the last hour (by default) may be a write whose record is being committed: kept.
    report = operator_post(server, "/_nimbus/scrub")
    assert (report["orphansRemoved"], report["unrecoverable"]) == (0, []), report
    assert all(path.exists() for path in doomed)

    server.stop()
    server.extra_env["NIMBUS_SCRUB_ORPHAN_AGE"] = "0"
    server.start()
    report = operator_post(server, "/_nimbus/scrub")
    assert (report["orphansRemoved"], report["unrecoverable"]) == (1, []), report
    assert not any(path.exists() for path in doomed)
    s3 = server.client("s3")
    assert s3.get_object(Bucket="orphans", Key="kept")["Body"].read() == kept
    assert operator_post(server, "/_nimbus/scrub")["orphansRemoved"] == 0

# -- ACLs, Object Ownership, Block Public Access ---------------------------------------------------


def test_new_buckets_block_public_access_and_disable_acls(s3, bucket):
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    public = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    err, status = error_of(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public)))
    assert (err["Code"], status) == ("AccessDenied", 403)
    err, status = error_of(lambda: s3.put_object(Bucket=bucket, Key="acl", Body=b"x", ACL="public-read"))
    assert (err["Code"], status) == ("AccessControlListNotSupported", 400)
    s3.put_object(Bucket=bucket, Key="acl", Body=b"x", ACL="bucket-owner-full-control")
    acl = s3.get_object_acl(Bucket=bucket, Key="acl")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    # Owners and grantees by canonical ID alone: S3 stopped sending DisplayName on 21 November 2025.
    owner = s3.list_buckets()["Owner"]
    assert list(owner) == ["ID"] and acl["Owner"] == owner and acl["Grants"][0]["Grantee"] == {"Type": "CanonicalUser", **owner}


def test_public_read_acl_where_acls_are_allowed(s3, bucket):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_object(Bucket=bucket, Key="open", Body=b"for everyone", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="closed", Body=b"private")
    url = s3.meta.endpoint_url
    assert requests.get(f"{url}/{bucket}/open", timeout=10).content == b"for everyone"
    assert requests.get(f"{url}/{bucket}/closed", timeout=10).status_code == 403
    grants = s3.get_object_acl(Bucket=bucket, Key="open")["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [g["Grantee"] for g in grants]
    # IgnorePublicAcls switches the grant off without changing it.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    assert requests.get(f"{url}/{bucket}/open", timeout=10).status_code == 403
    # BlockPublicAcls refuses new public grants.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    err, status = error_of(lambda: s3.put_object_acl(Bucket=bucket, Key="closed", ACL="public-read"))
    assert status == 403


def test_acl_grants_to_another_account_are_enforced(clean, s3, bucket):
    other = clean.create_account("s3-grantee")
    other_s3 = clean.client("s3", other)
    other_id = other_s3.list_buckets()["Owner"]["ID"]
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object(Bucket=bucket, Key="granted", Body=b"for the other account")
    s3.put_object(Bucket=bucket, Key="kept", Body=b"not shared")
    err, _ = error_of(lambda: other_s3.get_object(Bucket=bucket, Key="granted"))
    assert err["Code"] == "AccessDenied"

    # A grant by canonical ID, with no bucket policy, lets that account read that object and nothing else.
    s3.put_object_acl(Bucket=bucket, Key="granted", GrantRead=f'id="{other_id}"')
    assert other_s3.get_object(Bucket=bucket, Key="granted")["Body"].read() == b"for the other account"
    err, _ = error_of(lambda: other_s3.get_object(Bucket=bucket, Key="kept"))
    assert err["Code"] == "AccessDenied"
    err, _ = error_of(lambda: other_s3.list_objects_v2(Bucket=bucket))
    assert err["Code"] == "AccessDenied"
    # The bucket's READ grant lets it list; IgnorePublicAcls leaves grants to accounts alone.
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={
        "Owner": s3.list_buckets()["Owner"],
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": other_id}, "Permission": "READ"}],
    })
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    assert [o["Key"] for o in other_s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["granted", "kept"]

    # A canonical ID of no account is refused, and the ACL stays as it was.
    unknown = "0" * 64
    err, status = error_of(lambda: s3.put_object_acl(Bucket=bucket, Key="granted", GrantRead=f'id="{unknown}"'))
    assert (err["Code"], status, err["Message"], err["ArgumentValue"]) == ("InvalidArgument", 400, "Invalid id", unknown)
    assert other_s3.get_object(Bucket=bucket, Key="granted")["Body"].read() == b"for the other account"


def test_deleted_ownership_controls_leave_acls_on(s3, bucket):
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    err, status = error_of(lambda: s3.get_bucket_ownership_controls(Bucket=bucket))
    assert (err["Code"], status) == ("OwnershipControlsNotFoundError", 404)
    # Without controls the bucket is as buckets were before them (ObjectWriter): ACLs apply.
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="shared", Body=b"x", ACL="authenticated-read")
    grants = s3.get_object_acl(Bucket=bucket, Key="shared")["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"} in [g["Grantee"] for g in grants]
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]


def test_account_level_block_public_access(clean, s3, bucket):
    """S3 Control's account-wide settings hold every bucket, whatever the bucket's own say."""
    control = clean.client("s3control")
    # boto3 addresses S3 Control at <account>.<endpoint host>, which this machine's resolver may not know;
    # connect to the endpoint itself, keeping the Host header the request was signed with.
    def to_loopback(request, **_):
        parts = urllib.parse.urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        request.url = urllib.parse.urlunsplit(parts._replace(netloc=f"127.0.0.1:{parts.port}"))
    control.meta.events.register("before-send.s3-control.*", to_loopback)
    account = clean.account_id
    err, status = error_of(lambda: control.get_public_access_block(AccountId=account))
    assert (err["Code"], status) == ("NoSuchPublicAccessBlockConfiguration", 404)

    # A bucket opened up on its own: public read through its policy.
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="open", Body=b"public")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    url = f"{clean.url}/{bucket}/open"
    assert requests.get(url, timeout=10).content == b"public"

    control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    got = control.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]
    assert got == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    # RestrictPublicBuckets: the public policy no longer lets anonymous callers in; the owner still reads.
    assert requests.get(url, timeout=10).status_code == 403
    assert s3.get_object(Bucket=bucket, Key="open")["Body"].read() == b"public"
    # BlockPublicPolicy: a new public policy is refused, though the bucket's own setting is off.
    err, status = error_of(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}]})))
    assert (err["Code"], status) == ("AccessDenied", 403)
    # BlockPublicAcls: a public ACL is refused where ACLs are enabled.
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    err, status = error_of(lambda: s3.put_object_acl(Bucket=bucket, Key="open", ACL="public-read"))
    assert status == 403
    # Only the caller's own account can be configured.
    err, status = error_of(lambda: control.get_public_access_block(AccountId="000000000000"))
    assert (err["Code"], status) == ("AccessDenied", 403)

    control.delete_public_access_block(AccountId=account)
    assert requests.get(url, timeout=10).content == b"public"


# -- SSE-KMS -------------------------------------------------------------------------------------


def test_sse_kms_with_a_customer_key_and_the_aws_managed_key(clean, s3, bucket):
    kms = clean.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    put = s3.put_object(Bucket=bucket, Key="kms", Body=b"under kms", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    got = s3.get_object(Bucket=bucket, Key="kms")
    assert got["Body"].read() == b"under kms" and got["SSEKMSKeyId"] == key_arn
    # Without a key id, the account's AWS managed key aws/s3 is made and used.
    put = s3.put_object(Bucket=bucket, Key="managed", Body=b"managed", ServerSideEncryption="aws:kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert "alias/aws/s3" in aliases and put["SSEKMSKeyId"].endswith(aliases["alias/aws/s3"])
    assert s3.get_object(Bucket=bucket, Key="managed")["Body"].read() == b"managed"
    # A disabled key makes its objects unreadable, with KMS's reason.
    kms.disable_key(KeyId=key_arn)
    err, _ = error_of(lambda: s3.get_object(Bucket=bucket, Key="kms"))
    assert err["Code"] == "KMS.DisabledException"
    kms.enable_key(KeyId=key_arn)
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"under kms"


def test_sse_kms_needs_the_callers_kms_permissions(clean, s3, bucket):
    kms = clean.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    reader = new_user(clean, "s3-only", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    client = clean.client("s3", reader)
    err, status = error_of(lambda: client.get_object(Bucket=bucket, Key="secret"))
    assert (err["Code"], status) == ("AccessDenied", 403)
    clean.client("iam").put_user_policy(UserName="s3-only", PolicyName="kms", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn, "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]}))
    assert client.get_object(Bucket=bucket, Key="secret")["Body"].read() == b"s"
    # But not to write: that needs kms:GenerateDataKey.
    err, _ = error_of(lambda: client.put_object(Bucket=bucket, Key="new", Body=b"n", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn))
    assert err["Code"] == "AccessDenied"


def test_naming_a_version_needs_the_version_actions(clean, s3, bucket):
    """s3:GetObject reads the current version only; a versionId needs s3:GetObjectVersion (and so on)."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="doc", Body=b"v1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="doc", Body=b"v2")
    user = new_user(clean, "current-only", {"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject", "s3:GetObjectTagging"], "Resource": "*"})
    client = clean.client("s3", user)
    assert client.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"v2"
    for call in (lambda: client.get_object(Bucket=bucket, Key="doc", VersionId=first),
                 lambda: client.get_object_tagging(Bucket=bucket, Key="doc", VersionId=first),
                 lambda: client.delete_object(Bucket=bucket, Key="doc", VersionId=first)):
        err, status = error_of(call)
        assert (err["Code"], status) == ("AccessDenied", 403)
    err, status = error_of(lambda: client.head_object(Bucket=bucket, Key="doc", VersionId=first))
    assert status == 403
    clean.client("iam").put_user_policy(UserName="current-only", PolicyName="versions", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObjectVersion", "s3:DeleteObjectVersion"], "Resource": "*"}]}))
    assert client.get_object(Bucket=bucket, Key="doc", VersionId=first)["Body"].read() == b"v1"
    client.delete_object(Bucket=bucket, Key="doc", VersionId=first)
    versions = s3.list_object_versions(Bucket=bucket, Prefix="doc")["Versions"]
    assert [v["VersionId"] for v in versions if v["VersionId"] == first] == []


def test_kms_calls_made_by_s3_are_in_cloudtrail(clean, s3, bucket):
    """Every KMS call is in CloudTrail, those S3 makes for SSE-KMS included, refused ones too."""
    key_arn = clean.client("kms").create_key()["KeyMetadata"]["Arn"]
    s3.put_object(Bucket=bucket, Key="traced", Body=b"t", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    s3.get_object(Bucket=bucket, Key="traced")["Body"].read()
    reader = new_user(clean, "no-kms", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    error_of(lambda: clean.client("s3", reader).get_object(Bucket=bucket, Key="traced"))
    events = [json.loads(e["CloudTrailEvent"]) for e in clean.all_events()]
    by_s3 = [e for e in events if e["eventSource"] == "kms.amazonaws.com" and e["userIdentity"].get("invokedBy") == "s3.amazonaws.com"]
    names = sorted((e["eventName"], e.get("errorCode") or "") for e in by_s3)
    assert names == [("Decrypt", ""), ("Decrypt", "AccessDenied"), ("GenerateDataKey", "")], names
    generate = next(e for e in by_s3 if e["eventName"] == "GenerateDataKey")
    assert generate["sourceIPAddress"] == "s3.amazonaws.com"
    assert generate["userIdentity"]["arn"] == f"arn:aws:iam::{clean.account_id}:root"
    assert generate["requestParameters"]["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/traced"}
    assert generate["resources"][0]["ARN"] == key_arn
    denied = next(e for e in by_s3 if e.get("errorCode"))
    assert denied["userIdentity"]["userName"] == "no-kms"


def test_bucket_default_encryption_with_a_bucket_key(clean, s3, bucket, tmp_path):
    key_arn = clean.client("kms").create_key()["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}, "BucketKeyEnabled": True}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key_arn and rule["BucketKeyEnabled"] is True
    marker = b"KMS-PLAINTEXT-" + os.urandom(6).hex().encode()
    for i in range(3):
        head = s3.put_object(Bucket=bucket, Key=f"o{i}", Body=marker * 50)
        assert (head["ServerSideEncryption"], head.get("BucketKeyEnabled")) == ("aws:kms", True)
    src = tmp_path / "mp.bin"
    src.write_bytes(os.urandom(11 * 1024 * 1024))
    s3.upload_file(str(src), bucket, "mp", Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024))
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == src.read_bytes()
    assert all(s3.get_object(Bucket=bucket, Key=f"o{i}")["Body"].read() == marker * 50 for i in range(3))
    for path in clean.data_dir.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path
