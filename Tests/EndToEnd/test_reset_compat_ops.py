"""POST /_nimbus/reset, --auth compat, /_nimbus/health and /metrics."""

import json
import re

import requests

from conftest import Creds, random_access_key_id, random_secret

# -- reset (strict) ---------------------------------------------------------------------------


def test_strict_unsigned_reset_is_forbidden(server):
    server.client("sts").get_caller_identity()
    r = requests.post(server.url + "/_nimbus/reset", timeout=10)
    assert r.status_code == 403
    # Nothing was wiped.
    assert server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])


def test_strict_reset_with_wrong_secret_is_forbidden(server):
    r = server.reset(creds=Creds(server.root.access_key, random_secret()))
    assert r.status_code == 403


def test_strict_reset_by_other_accounts_root_is_forbidden(server):
    b = server.create_account(name="not-default")
    server.client("sts").get_caller_identity()
    r = server.reset(creds=b)
    assert r.status_code == 403, r.text
    assert server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    # B still exists: the refused reset changed nothing.
    assert server.client("sts", b).get_caller_identity()["Account"] == b.account_id


def test_strict_signed_reset_wipes_trail_and_keeps_root(server):
    sts = server.client("sts")
    sts.get_caller_identity()
    b = server.create_account(name="wiped")
    assert server.all_events()
    r = server.reset()
    assert r.status_code == 200, r.text
    ct = server.client("cloudtrail")
    assert ct.lookup_events()["Events"] == []
    # Same root credentials, same account, still work.
    assert sts.get_caller_identity()["Account"] == server.account_id
    assert server.aws("sts", "get-caller-identity").json["Account"] == server.account_id
    # Other accounts are gone with the rest of the state.
    r2 = server.aws("sts", "get-caller-identity", creds=b)
    assert r2.rc != 0 and "InvalidClientTokenId" in r2.stderr, r2
    # The trail records again after the reset.
    events = server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    assert len(events) == 2


# -- compat mode ------------------------------------------------------------------------------


def test_compat_wrong_secret_is_root_of_default_account(compat_server):
    s = compat_server
    r = s.aws("sts", "get-caller-identity", creds=Creds(s.root.access_key, random_secret()))
    assert r.rc == 0, r
    assert r.json["Arn"] == f"arn:aws:iam::{s.account_id}:root"


def test_compat_any_key_is_root_of_default_account(compat_server):
    s = compat_server
    resp = s.client("sts", Creds(random_access_key_id(), "whatever")).get_caller_identity()
    assert resp["Account"] == s.account_id
    assert resp["Arn"] == f"arn:aws:iam::{s.account_id}:root"
    resp = s.client("sts", Creds("test", "test")).get_caller_identity()
    assert resp["Account"] == s.account_id


def test_compat_twelve_digit_key_names_the_account(compat_server):
    s = compat_server
    for acct in ("000000000000", "123456789012"):
        r = s.aws("sts", "get-caller-identity", creds=Creds(acct, "test"))
        assert r.rc == 0, r
        assert r.json["Account"] == acct
        assert r.json["Arn"] == f"arn:aws:iam::{acct}:root"


def test_compat_accounts_isolated_in_cloudtrail(compat_server):
    s = compat_server
    a = Creds("444455556666", "test")
    b = Creds("777788889999", "test")
    s.client("sts", a).get_caller_identity()
    a_events = s.all_events(a)
    b_events = s.all_events(b)
    assert any(e["EventName"] == "GetCallerIdentity" for e in a_events)
    assert not any(json.loads(e["CloudTrailEvent"])["recipientAccountId"] == a.access_key for e in b_events)
    assert all(json.loads(e["CloudTrailEvent"])["recipientAccountId"] == "444455556666" for e in a_events)


def test_compat_unsigned_reset_from_loopback(compat_server):
    s = compat_server
    s.client("sts").get_caller_identity()
    r = requests.post(s.url + "/_nimbus/reset", timeout=10)
    assert r.status_code == 200, r.text
    assert s.client("cloudtrail").lookup_events()["Events"] == []


def test_compat_moto_api_reset_for_motos_own_server_mode_tests(compat_server):
    # moto's test suite, run with TEST_SERVER_MODE=true, resets the server through /moto-api/reset.
    s = compat_server
    s.client("s3").create_bucket(Bucket="from-a-moto-test")
    r = requests.post(s.url + "/moto-api/reset", timeout=10)
    assert r.status_code == 200, r.text
    assert s.client("s3").list_buckets()["Buckets"] == []


def test_strict_moto_api_path_is_s3s(server):
    # In strict mode the path is no operator endpoint: an unsigned POST to it is S3's, and refused.
    r = requests.post(server.url + "/moto-api/reset", timeout=10)
    assert r.status_code in (403, 404, 405) and b"<Error>" in r.content


def test_compat_banner_says_security_is_off(compat_server):
    text = compat_server.log_text().lower()
    assert "compat" in text
    assert any(w in text for w in ("security is off", "not checked", "insecure", "no security", "security off")), text[:3000]


# -- health and metrics -----------------------------------------------------------------------


def test_health_json(server):
    r = server.health()
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    h = r.json()
    assert isinstance(h["version"], str) and h["version"]
    assert isinstance(h["uptimeSeconds"], (int, float)) and h["uptimeSeconds"] >= 0
    assert "sts" in h["services"] and "cloudtrail" in h["services"]


def test_health_uptime_grows(server):
    import time
    a = server.health().json()["uptimeSeconds"]
    time.sleep(0.2)
    b = server.health().json()["uptimeSeconds"]
    assert b > a


def _metric(text: str, service: str, operation: str, status: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith("nimbus_requests_total{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if labels.get("service") == service and labels.get("operation") == operation and labels.get("status") == status:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_service_operation_status(server):
    before = requests.get(server.url + "/metrics", timeout=10).text
    base_ok = _metric(before, "sts", "GetCallerIdentity", "200") or 0
    base_bad = _metric(before, "sts", "GetCallerIdentity", "403") or 0
    sts = server.client("sts")
    for _ in range(3):
        sts.get_caller_identity()
    try:
        server.client("sts", Creds(server.root.access_key, random_secret())).get_caller_identity()
    except Exception:
        pass
    server.client("cloudtrail").lookup_events(MaxResults=1)
    r = requests.get(server.url + "/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    assert "# TYPE nimbus_requests_total counter" in text
    assert _metric(text, "sts", "GetCallerIdentity", "200") == base_ok + 3
    assert _metric(text, "sts", "GetCallerIdentity", "403") == base_bad + 1
    assert (_metric(text, "cloudtrail", "LookupEvents", "200") or 0) >= 1
    assert "nimbus_request_duration_seconds_bucket{" in text
