"""Accounts, the credentials file and key-file permissions."""

import json
import os
import stat
import subprocess

from conftest import NIMBUS_BIN, parse_printed_credentials


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_accounts_create_while_running_prints_working_credentials(server):
    b = server.create_account(name="running")
    assert b.account_id and len(b.account_id) == 12 and b.account_id.isdigit()
    assert b.account_id != server.account_id
    assert b.access_key.startswith("AKIA") and len(b.access_key) == 20
    r = server.aws("sts", "get-caller-identity", creds=b)
    assert r.rc == 0, r
    assert r.json["Account"] == b.account_id
    assert r.json["Arn"] == f"arn:aws:iam::{b.account_id}:root"


def test_accounts_create_while_stopped_then_start(fresh_server):
    server = fresh_server.start()
    server.stop()
    b = server.create_account(name="offline")
    server.start()
    assert server.client("sts", b).get_caller_identity()["Account"] == b.account_id
    assert server.client("sts").get_caller_identity()["Account"] == server.account_id


def test_accounts_create_with_fixed_id(server):
    b = server.create_account(name="fixed", account_id="210987654321")
    assert b.account_id == "210987654321"
    assert server.client("sts", b).get_caller_identity()["Account"] == "210987654321"


def test_accounts_create_duplicate_id_fails(server):
    server.create_account(name="dup1", account_id="333344445555")
    p = subprocess.run([NIMBUS_BIN, "accounts", "create", "--data-dir", str(server.data_dir), "--account-id", "333344445555"],
                       capture_output=True, text=True, env=server.server_env(), timeout=30)
    assert p.returncode != 0, p.stdout


def test_accounts_create_rejects_malformed_id(server):
    for bad in ("12345", "abcdefghijkl", "1234567890123"):
        p = subprocess.run([NIMBUS_BIN, "accounts", "create", "--data-dir", str(server.data_dir), "--account-id", bad],
                           capture_output=True, text=True, env=server.server_env(), timeout=30)
        assert p.returncode != 0, f"{bad!r} accepted: {p.stdout}"


def test_accounts_are_isolated_in_cloudtrail(server):
    b = server.create_account(name="isolated")
    server.client("sts").get_caller_identity()
    server.client("sts", b).get_caller_identity()
    server.client("sts", b).get_caller_identity()
    a_events = server.all_events()
    b_events = server.all_events(b)
    assert b_events, "account B sees none of its own events"
    for e in b_events:
        d = json.loads(e["CloudTrailEvent"])
        assert d["recipientAccountId"] == b.account_id
        assert d["userIdentity"]["accountId"] == b.account_id
        assert e["AccessKeyId"] != server.root.access_key
    a_ids = {e["EventId"] for e in a_events}
    assert not a_ids & {e["EventId"] for e in b_events}
    for e in a_events:
        d = json.loads(e["CloudTrailEvent"])
        assert d["recipientAccountId"] == server.account_id
        assert e.get("AccessKeyId") != b.access_key
    # Looking up A's key from B finds nothing.
    cross = server.all_events(b, LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": server.root.access_key}])
    assert cross == []


def test_accounts_list_lists_both(server):
    b = server.create_account(name="listed")
    out = server.list_accounts()
    assert server.account_id in out
    assert b.account_id in out
    assert b.access_key in out or "listed" in out
    assert b.secret_key not in out
    assert server.root.secret_key not in out


def test_credentials_file_profile_nimbus_works(server):
    cred_file = server.data_dir / "credentials"
    assert cred_file.exists()
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(cred_file), "AWS_PROFILE": "nimbus"}
    r = server.aws("sts", "get-caller-identity", creds=False, env=env)
    assert r.rc == 0, r
    assert r.json["Arn"] == f"arn:aws:iam::{server.account_id}:root"
    # Also with --profile, as the banner shows.
    r = server.aws("--profile", "nimbus", "sts", "get-caller-identity", creds=False,
                   env={"AWS_SHARED_CREDENTIALS_FILE": str(cred_file)})
    assert r.rc == 0, r


def test_credentials_file_and_root_key_are_0600(server):
    assert _mode(server.data_dir / "credentials") == 0o600
    assert _mode(server.data_dir / "root.key") == 0o600


def test_printed_credentials_parse():
    c = parse_printed_credentials("[x]\naccount_id = 123456789012\naws_access_key_id = AKIAX\naws_secret_access_key = s\n")
    assert (c.account_id, c.access_key, c.secret_key) == ("123456789012", "AKIAX", "s")
