"""Hostile and malformed requests: always a 4xx (never a 5xx), and the server keeps answering."""

import os
import socket
import threading
import time

import pytest
import requests

JSON_HEADERS = {"X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", "Content-Type": "application/x-amz-json-1.1"}
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def _after(server, r: requests.Response | None = None):
    """The server is alive and answers health and a real API call."""
    server.assert_healthy()
    assert server.client("sts").get_caller_identity()["Account"] == server.account_id
    if r is not None:
        assert 400 <= r.status_code < 500, f"HTTP {r.status_code}: {r.text[:1000]}"


def _raw(server, data: bytes, *, close_write=True, timeout=10.0) -> bytes:
    """Send raw bytes, read whatever comes back until the server closes or the timeout."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if close_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        return out


def _status(raw_response: bytes) -> int | None:
    if not raw_response.startswith(b"HTTP/1."):
        return None
    return int(raw_response.split(b" ", 2)[1])


def test_random_bytes_post_to_root(server):
    r = requests.post(server.url + "/", data=os.urandom(64 * 1024),
                      headers={"Content-Type": "application/octet-stream"}, timeout=10)
    _after(server, r)


def test_random_bytes_post_signed(server):
    r = server.signed_request("POST", "/", body=os.urandom(64 * 1024),
                              headers={"Content-Type": "application/octet-stream"}, service="sts")
    _after(server, r)


def _json_error(r: requests.Response, code: str = "SerializationException"):
    assert r.status_code == 400, r.text
    body = r.json()
    assert body.get("__type", "").split("#")[-1] == code, body
    assert r.headers.get("x-amzn-RequestId"), r.headers


def test_json_control_well_formed_raw_request_succeeds(clean):
    """The raw JSON requests below reach the LookupEvents decoder: a well-formed one is answered."""
    r = clean.signed_request("POST", "/", body=b"{}", headers=JSON_HEADERS, service="cloudtrail")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/x-amz-json-1.1")
    # An empty trail is an empty list on the wire, as AWS sends it.
    assert r.json()["Events"] == [], r.text


def test_json_invalid_json(server):
    r = server.signed_request("POST", "/", body=b'{"MaxResults": 5,,, "oops', headers=JSON_HEADERS, service="cloudtrail")
    _after(server, r)
    _json_error(r)


def test_json_deep_nesting(server):
    body = b"[" * 10_000 + b"]" * 10_000
    r = server.signed_request("POST", "/", body=body, headers=JSON_HEADERS, service="cloudtrail")
    _after(server, r)
    _json_error(r)


def test_json_deep_object_nesting_inside_member(server):
    body = b'{"LookupAttributes":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}"
    r = server.signed_request("POST", "/", body=body, headers=JSON_HEADERS, service="cloudtrail")
    _after(server, r)
    _json_error(r)


def test_json_invalid_utf8(server):
    body = b'{"NextToken": "\xff\xfe\xc3\x28", "MaxResults": 1}'
    r = server.signed_request("POST", "/", body=body, headers=JSON_HEADERS, service="cloudtrail")
    _after(server, r)
    _json_error(r)


def test_json_wrong_types(server):
    r = server.signed_request("POST", "/", body=b'{"MaxResults": "many", "StartTime": [1], "LookupAttributes": 7}',
                              headers=JSON_HEADERS, service="cloudtrail")
    _after(server, r)
    _json_error(r)


def test_json_body_not_object(server):
    for body in (b"[]", b"42", b'"s"', b"null"):
        r = server.signed_request("POST", "/", body=body, headers=JSON_HEADERS, service="cloudtrail")
        _after(server, r)
        _json_error(r)


def test_json_unknown_target(server):
    r = server.signed_request("POST", "/", body=b"{}", headers={**JSON_HEADERS, "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.Nope"},
                              service="cloudtrail")
    _after(server, r)
    _json_error(r, "UnknownOperationException")


def test_query_malformed_form_body(server):
    body = b"Action=GetCallerIdentity&Version=2011-06-15&%%%=&a=%ZZ&=&&b=%"
    r = server.signed_request("POST", "/", body=body, headers={"Content-Type": FORM}, service="sts")
    _after(server, r)
    assert r.status_code == 400
    assert "<Code>MalformedQueryString</Code>" in r.text, r.text


def test_query_invalid_percent_escape_in_action(server):
    r = server.signed_request("POST", "/", body=b"Action=GetCaller%G1Identity&Version=2011-06-15",
                              headers={"Content-Type": FORM}, service="sts")
    _after(server, r)
    assert "<Code>MalformedQueryString</Code>" in r.text, r.text


def test_query_invalid_utf8_form(server):
    r = server.signed_request("POST", "/", body=b"Action=GetCallerIdentity&Version=2011-06-15&X=%ff%fe",
                              headers={"Content-Type": FORM}, service="sts")
    assert r.status_code < 500, r.text
    _after(server)


def test_xml_billion_laughs(server):
    lol = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
           + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
           + b']>\n<CreateBucketConfiguration><LocationConstraint>&lol9;</LocationConstraint></CreateBucketConfiguration>')
    t0 = time.monotonic()
    for path, service in (("/lol-bucket", "s3"), ("/", "sts")):
        r = server.signed_request("PUT" if service == "s3" else "POST", path, body=lol,
                                  headers={"Content-Type": "application/xml"}, service=service)
        _after(server, r)
        assert b"lollollollollollollollollollol" * 10 not in r.content
    unsigned = requests.put(server.url + "/lol-bucket", data=lol, headers={"Content-Type": "application/xml"}, timeout=10)
    _after(server, unsigned)
    assert time.monotonic() - t0 < 10


def test_huge_body_is_refused(server):
    size = 40 * 1024 * 1024
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    resp = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(head)
        chunk = b"A" * (1024 * 1024)
        sent = 0
        try:
            while sent < size:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                resp += c
        except (ConnectionResetError, socket.timeout):
            pass
    status = _status(resp)
    assert status is not None, f"no HTTP response to a 40 MB body (sent {sent} bytes, got {resp[:200]!r})"
    assert 400 <= status < 500, resp[:500]
    _after(server)


def test_huge_body_via_requests(server):
    try:
        r = requests.post(server.url + "/", data=b"A" * (40 * 1024 * 1024),
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
        assert 400 <= r.status_code < 500, r.status_code
    except requests.ConnectionError:
        pass  # the server may close early after answering 413; what matters is it stays up
    _after(server)


def test_huge_header(server):
    r = requests.get(server.url + "/", headers={"X-Junk": "a" * 60_000}, timeout=10)
    _after(server, r)


def test_many_headers(server):
    r = requests.get(server.url + "/", headers={f"X-H{i}": "v" for i in range(2000)}, timeout=10)
    _after(server, r)


def test_garbage_request_line(server):
    for garbage in (b"GARBAGE \x00\x01 nonsense\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200),
                    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"\r\n\r\n\r\n"):
        resp = _raw(server, garbage, timeout=5)
        status = _status(resp)
        assert status is None or 400 <= status < 500, resp[:300]
        _after(server)


def test_malformed_headers(server):
    resp = _raw(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\nNo colon here\r\n\r\n", timeout=5)
    status = _status(resp)
    assert status is None or 400 <= status < 500, resp[:300]
    resp = _raw(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello", timeout=5)
    status = _status(resp)
    assert status is None or 400 <= status < 500, resp[:300]
    _after(server)


def test_bad_authorization_header(server):
    for auth in ("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=", "AWS4-HMAC-SHA256 Credential=A/B, Signature=zz",
                 "Bearer x", "AWS4-HMAC-SHA256 Credential=AKIA/20200101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=" + "0" * 64):
        r = requests.post(server.url + "/", data="Action=GetCallerIdentity&Version=2011-06-15",
                          headers={"Content-Type": FORM, "Authorization": auth.encode("utf-8")}, timeout=10)
        _after(server, r)
        assert "<Code>IncompleteSignature</Code>" in r.text, (auth, r.text)


def test_content_sha256_mismatch(server):
    import botocore.auth
    import botocore.awsrequest
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    req = botocore.awsrequest.AWSRequest(method="POST", url=server.url + "/", data=body, headers={"Content-Type": FORM})
    botocore.auth.SigV4Auth(server.root.botocore(), "sts", "us-east-1").add_auth(req)
    p = req.prepare()
    r = requests.post(p.url, headers=dict(p.headers), data=body + b"&Extra=1", timeout=10)
    _after(server, r)
    assert r.status_code == 403


def test_truncated_chunked_body(server):
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: {FORM}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    for tail in (b"100\r\nAction=GetCallerIdentity", b"zz\r\nabc\r\n", b"5\r\nabc"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(head + tail)
        # connection closed early, mid-chunk
        _after(server)
    # Same, but half-close and read: any answer must be a 4xx.
    resp = _raw(server, head + b"100\r\nAction=GetCallerIdentity", timeout=5)
    status = _status(resp)
    assert status is None or 400 <= status < 500, resp[:300]
    _after(server)


def test_slow_client_does_not_block_others(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
        t0 = time.monotonic()
        _after(server)
        assert time.monotonic() - t0 < 3
    finally:
        s.close()


def test_200_concurrent_requests_all_succeed(server):
    n = 200
    barrier = threading.Barrier(n)
    results: list = [None] * n
    body = b"Action=GetCallerIdentity&Version=2011-06-15"

    def worker(i):
        try:
            barrier.wait(timeout=30)
            r = server.signed_request("POST", "/", body=body, headers={"Content-Type": FORM}, service="sts", timeout=30)
            results[i] = (r.status_code, server.account_id in r.text)
        except Exception as e:  # noqa: BLE001
            results[i] = repr(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    bad = [r for r in results if r != (200, True)]
    assert not bad, f"{len(bad)} of {n} failed, e.g. {bad[:5]}"
    _after(server)


@pytest.mark.parametrize("path", ["/_nimbus/health/../reset", "/%2e%2e/%2e%2e/etc/passwd", "/_nimbus/nope", "/metrics/../_nimbus/reset"])
def test_odd_paths_never_5xx(server, path):
    for method in ("GET", "POST", "DELETE"):
        resp = _raw(server, f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode(), timeout=5)
        status = _status(resp)
        assert status is not None and status < 500, resp[:300]
    # And none of them reset anything: the pinned root still has its trail.
    _after(server)
    assert server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
