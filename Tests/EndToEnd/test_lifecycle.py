"""Process lifecycle: durability across restart and kill -9, graceful shutdown, secrets kept out of logs."""

import json
import re
import signal
import time

import pytest
from botocore.exceptions import ClientError

from conftest import Creds, random_secret


def _gci_event_ids(server, creds=None):
    events = server.all_events(creds, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    return [e["EventId"] for e in events]


def test_events_survive_restart_on_same_data_dir(fresh_server):
    server = fresh_server.start()
    assert server.aws("sts", "get-caller-identity").rc == 0
    server.client("sts").get_caller_identity()
    before = _gci_event_ids(server)
    assert len(before) == 2
    rc = server.stop()
    assert rc == 0, server.log_text()[-3000:]
    server.start()
    r = server.aws("cloudtrail", "lookup-events", "--lookup-attributes",
                   "AttributeKey=EventName,AttributeValue=GetCallerIdentity")
    assert r.rc == 0, r
    assert [e["EventId"] for e in r.json["Events"]] == before
    d = json.loads(r.json["Events"][0]["CloudTrailEvent"])
    assert d["sourceIPAddress"] == "127.0.0.1"
    assert d["userIdentity"]["arn"] == f"arn:aws:iam::{server.account_id}:root"
    # Same pinned root still works after the restart.
    assert server.client("sts").get_caller_identity()["Account"] == server.account_id


def test_events_survive_kill_9_right_after_the_answer(fresh_server):
    server = fresh_server.start()
    sts = server.client("sts")
    rids = [sts.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    server.proc.send_signal(signal.SIGKILL)  # immediately after the last answer
    server.proc.wait(timeout=10)
    server.start()
    events = server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    got = {json.loads(e["CloudTrailEvent"])["requestID"] for e in events}
    missing = [r for r in rids if r not in got]
    assert not missing, f"{len(missing)} of {len(rids)} acknowledged calls lost their CloudTrail event"


def test_events_of_concurrent_calls_survive_kill_9(fresh_server):
    import concurrent.futures
    server = fresh_server.start()
    sts = server.client("sts", max_pool_connections=32)
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        rids = list(pool.map(lambda _: sts.get_caller_identity()["ResponseMetadata"]["RequestId"], range(100)))
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    server.start()
    events = server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    got = {json.loads(e["CloudTrailEvent"])["requestID"] for e in events}
    missing = [r for r in rids if r not in got]
    assert not missing, f"{len(missing)} of {len(rids)} acknowledged concurrent calls lost their CloudTrail event"
    assert len(events) == len(rids), "duplicate events after recovery"


def test_account_created_survives_restart(fresh_server):
    server = fresh_server.start()
    b = server.create_account(name="durable")
    server.restart()
    assert server.client("sts", b).get_caller_identity()["Account"] == b.account_id


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_shutdown_exits_zero(fresh_server, sig):
    server = fresh_server.start()
    server.client("sts").get_caller_identity()
    t0 = time.monotonic()
    server.proc.send_signal(sig)
    try:
        rc = server.proc.wait(timeout=5)
    except Exception:
        pytest.fail(f"nimbus did not exit within 5 s of {sig.name}:\n{server.log_text()[-3000:]}")
    assert rc == 0, f"exit code {rc} after {sig.name}:\n{server.log_text()[-3000:]}"
    assert time.monotonic() - t0 < 5
    # And it starts again cleanly on the same data dir.
    server.start()
    assert server.client("sts").get_caller_identity()["Account"] == server.account_id


def test_secrets_never_logged_at_trace_level(fresh_server):
    server = fresh_server
    server.log_level = "trace"
    server.start()
    b = server.create_account(name="secret-check")
    server.aws("sts", "get-caller-identity")
    server.client("sts").get_caller_identity()
    server.client("sts", b).get_caller_identity()
    server.client("cloudtrail", b).lookup_events()
    server.client("cloudtrail").lookup_events()
    with pytest.raises(ClientError):
        server.client("sts", Creds(server.root.access_key, random_secret())).get_caller_identity()
    with pytest.raises(ClientError):
        server.client("sts", Creds(b.access_key, random_secret())).get_caller_identity()
    server.restart()
    server.client("sts", b).get_caller_identity()
    events_a = json.dumps(server.all_events(), default=str)
    events_b = json.dumps(server.all_events(b), default=str)
    # Reset wipes accounts other than the pinned default; the pinned root keeps working.
    assert server.reset().status_code == 200
    server.client("sts").get_caller_identity()
    server.stop()
    logs = server.log_bytes()
    assert len(logs) > 0
    assert b"GetCallerIdentity" in logs or b"sts" in logs, "trace log shows no request at all"
    for secret in (server.root.secret_key, b.secret_key):
        assert secret.encode() not in logs, "a secret access key appears in the server's output"
        assert secret not in events_a and secret not in events_b, "a secret access key appears in a CloudTrail event"


def test_ephemeral_keeps_nothing_across_restart(fresh_server):
    server = fresh_server
    server.extra_args = ["--ephemeral"]
    server.start()
    server.client("sts").get_caller_identity()
    before = {e["EventId"] for e in server.all_events()}
    assert before
    assert not (server.data_dir / "metadata.sqlite").exists()
    server.restart()
    # The pinned root works again, but nothing of the previous run remains.
    assert server.client("cloudtrail").lookup_events()["Events"] == []
    assert server.client("sts").get_caller_identity()["Account"] == server.account_id
    assert not before & {e["EventId"] for e in server.all_events()}


def test_ephemeral_object_data_is_gone_after_stop_and_after_kill_9(fresh_server, tmp_path):
    """An ephemeral server keeps object data in a directory of its own under TMPDIR: removed when it stops,
    and, when it was killed, by the next ephemeral server to start."""
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()

    def scratch_dirs():
        return sorted(p.name for p in scratch_parent.iterdir() if p.name.startswith("nimbus-ephemeral-"))

    def piece_files():
        return [p for p in scratch_parent.rglob("*") if p.is_file() and p.name != ".lock"]

    server = fresh_server
    server.extra_args = ["--ephemeral"]
    server.extra_env["TMPDIR"] = str(scratch_parent)
    server.start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="scratch")
    s3.put_object(Bucket="scratch", Key="k", Body=b"x" * 10_000)
    first = scratch_dirs()
    assert len(first) == 1 and piece_files(), "object data is not under TMPDIR"
    assert server.stop() == 0, server.log_text()[-3000:]
    assert scratch_dirs() == [], "a stopped ephemeral server left its object data behind"

    server.start()
    s3.create_bucket(Bucket="scratch")
    s3.put_object(Bucket="scratch", Key="k", Body=b"x" * 10_000)
    killed = scratch_dirs()
    assert len(killed) == 1
    server.kill()
    assert scratch_dirs() == killed, "kill -9 cannot clean up after itself"

    server.start()  # the next ephemeral server sweeps what the killed one left
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and killed[0] in scratch_dirs():
        time.sleep(0.05)
    remaining = scratch_dirs()
    assert killed[0] not in remaining, "the killed server's object data is still there"
    assert len(remaining) == 1, remaining  # the running server's own
    assert not _bucket_exists(s3, "scratch"), "an ephemeral server kept a bucket across a restart"


def _bucket_exists(s3, name):
    try:
        s3.head_bucket(Bucket=name)
        return True
    except ClientError:
        return False


def test_ephemeral_server_keeps_the_newest_events_up_to_its_limit(fresh_server):
    server = fresh_server
    server.extra_args = ["--ephemeral"]
    server.extra_env["NIMBUS_EPHEMERAL_MAX_EVENTS"] = "40"
    server.start()
    sts = server.client("sts")
    request_ids = [sts.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(150)]
    events = server.all_events()
    # Trimmed back to 40 once past 44; the lookups add their own events as they page.
    assert 40 <= len(events) <= 50, len(events)
    seen = {json.loads(e["CloudTrailEvent"])["requestID"] for e in events}
    assert request_ids[-1] in seen, "the newest call is gone"
    assert request_ids[0] not in seen, "the oldest call is still there"


def test_request_log_line_has_request_id_service_operation_status_latency(fresh_server):
    server = fresh_server.start()
    rid = server.client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"]
    deadline = time.monotonic() + 3
    line = None
    while time.monotonic() < deadline and line is None:
        line = next((l for l in server.log_text().splitlines() if rid in l), None)
        time.sleep(0.05)
    assert line, f"no log line carries request id {rid}:\n{server.log_text()[-2000:]}"
    for needle in ("GetCallerIdentity", "sts", "200"):
        assert needle in line, line
    assert "latency" in line.lower(), line


def test_port_in_use_fails_fast_with_message(fresh_server):
    import socket as _socket
    import subprocess
    blocker = _socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        server = fresh_server
        server.port = blocker.getsockname()[1]
        p = subprocess.run(server.command(), capture_output=True, text=True, env=server.server_env(), timeout=15)
        assert p.returncode != 0
        out = (p.stdout + p.stderr).lower()
        assert "address" in out or "in use" in out or str(server.port) in out, out[-2000:]
    finally:
        blocker.close()


@pytest.mark.parametrize("tz, offset", [(None, "+0000"), ("JST-9", "+0900")])
def test_log_timestamps_are_utc_unless_tz_is_set(fresh_server, monkeypatch, tz, offset):
    # Nimbus reckons in UTC, as AWS does; a TZ the user set is kept (a POSIX rule here, needing no tz database).
    if tz is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        fresh_server.extra_env["TZ"] = tz
    server = fresh_server.start()
    server.client("sts").get_caller_identity()
    deadline = time.monotonic() + 3
    stamps = []
    while time.monotonic() < deadline and not stamps:
        stamps = re.findall(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d{4}) ", server.log_text(), re.MULTILINE)
        time.sleep(0.05)
    assert stamps, server.log_text()[-2000:]
    assert set(stamps) == {offset}, stamps
