"""IAM and STS for real: every request is authorized by the policy engine, as AWS decides.

Each test starts from a reset server (the `clean` fixture) and acts as the account's root to set up
users, roles and policies, then acts as those principals through boto3 and the aws CLI.
"""
import csv
import datetime
import io
import json
import time
from unittest import mock

import botocore.exceptions
import pyotp
import pytest

from conftest import Creds


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def new_user(server, name):
    iam = server.client("iam")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Creds(key["AccessKeyId"], key["SecretAccessKey"], server.root.account_id)


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    return info.value.response["Error"]


def test_new_user_is_denied_until_a_policy_allows(clean):
    server = clean
    bob = new_user(server, "bob")
    err = error_of(lambda: server.client("iam", bob).list_users())
    assert err["Code"] == "AccessDenied"
    account = server.root.account_id
    assert err["Message"] == (
        f"User: arn:aws:iam::{account}:user/bob is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{account}:user/ because no identity-based policy allows the iam:ListUsers action"
    )

    server.client("iam").put_user_policy(UserName="bob", PolicyName="list", PolicyDocument=policy(allow("iam:ListUsers")))
    users = server.client("iam", bob).list_users()["Users"]
    assert [u["UserName"] for u in users] == ["bob"]

    # Still nothing else.
    err = error_of(lambda: server.client("iam", bob).create_user(UserName="mallory"))
    assert err["Code"] == "AccessDenied"


def test_managed_policy_attachment_and_explicit_deny(clean):
    server = clean
    alice = new_user(server, "alice")
    iam = server.client("iam")
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert server.client("iam", alice).list_users()["Users"]

    iam.put_user_policy(UserName="alice", PolicyName="no-list", PolicyDocument=policy(deny("iam:ListUsers")))
    err = error_of(lambda: server.client("iam", alice).list_users())
    assert err["Code"] == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in err["Message"]
    # The deny is narrow: other reads still work.
    assert server.client("iam", alice).get_user(UserName="alice")["User"]["UserName"] == "alice"


def test_denial_is_recorded_in_cloudtrail(clean):
    server = clean
    carol = new_user(server, "carol")
    error_of(lambda: server.client("iam", carol).list_roles())
    events = [e for e in server.all_events() if e["EventName"] == "ListRoles"]
    assert events, "the denied call is in CloudTrail"
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDenied"
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["userName"] == "carol"


@pytest.mark.parametrize("cidr, allowed", [("127.0.0.0/8", True), ("10.0.0.0/8", False), ("::1/128", False)])
def test_source_ip_condition(clean, cidr, allowed):
    server = clean
    dave = new_user(server, "dave")
    server.client("iam").put_user_policy(
        UserName="dave", PolicyName="ip",
        PolicyDocument=policy(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": cidr}})),
    )
    if allowed:
        assert server.client("iam", dave).list_users()["Users"]
    else:
        assert error_of(lambda: server.client("iam", dave).list_users())["Code"] == "AccessDenied"


def enable_virtual_mfa(server, user):
    iam = server.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    totp = pyotp.TOTP(seed)
    now = time.time()
    # The two previous codes: a code is accepted once, so the current one stays free for the test.
    iam.enable_mfa_device(
        UserName=user, SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now - 60), AuthenticationCode2=totp.at(now - 30),
    )
    return device["SerialNumber"], totp


def test_mfa_condition_needs_an_mfa_session(clean):
    server = clean
    erin = new_user(server, "erin")
    server.client("iam").put_user_policy(
        UserName="erin", PolicyName="mfa",
        PolicyDocument=policy(
            allow("sts:GetSessionToken"),
            allow("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        ),
    )
    assert error_of(lambda: server.client("iam", erin).list_users())["Code"] == "AccessDenied"

    serial, totp = enable_virtual_mfa(server, "erin")
    # A wrong code is refused, and so is a replayed one.
    err = error_of(lambda: server.client("sts", erin).get_session_token(SerialNumber=serial, TokenCode="000000"))
    assert err["Code"] == "AccessDenied"
    code = totp.now()
    creds = server.client("sts", erin).get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert error_of(lambda: server.client("sts", erin).get_session_token(SerialNumber=serial, TokenCode=code))["Code"] == "AccessDenied"

    session = Creds(creds["AccessKeyId"], creds["SecretAccessKey"], server.root.account_id, creds["SessionToken"])
    assert server.client("iam", session).list_users()["Users"]
    # A session without MFA is still refused.
    plain = server.client("sts", erin).get_session_token()["Credentials"]
    plain_session = Creds(plain["AccessKeyId"], plain["SecretAccessKey"], server.root.account_id, plain["SessionToken"])
    assert error_of(lambda: server.client("iam", plain_session).list_users())["Code"] == "AccessDenied"


def trust(principal_arn, **condition):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_assume_role_follows_the_trust_policy(clean):
    server = clean
    account = server.root.account_id
    frank = new_user(server, "frank")
    iam = server.client("iam")
    iam.put_user_policy(UserName="frank", PolicyName="assume", PolicyDocument=policy(allow("sts:AssumeRole")))
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:user/frank"))
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=policy(allow("iam:ListRoles")))
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:user/nobody"))

    out = server.client("sts", frank).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/reader", RoleSessionName="s1", DurationSeconds=900
    )
    c = out["Credentials"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/reader/s1"
    expires_in = c["Expiration"].timestamp() - time.time()
    assert 800 < expires_in <= 905
    session = Creds(c["AccessKeyId"], c["SecretAccessKey"], account, c["SessionToken"])
    assert server.client("sts", session).get_caller_identity()["Arn"] == f"arn:aws:sts::{account}:assumed-role/reader/s1"
    assert server.client("iam", session).list_roles()["Roles"]
    assert error_of(lambda: server.client("iam", session).list_users())["Code"] == "AccessDenied"

    err = error_of(lambda: server.client("sts", frank).assume_role(RoleArn=f"arn:aws:iam::{account}:role/other", RoleSessionName="s0"))
    assert err["Code"] == "AccessDenied"
    err = error_of(lambda: server.client("sts", frank).assume_role(RoleArn=f"arn:aws:iam::{account}:role/missing", RoleSessionName="s0"))
    assert err["Code"] == "AccessDenied"
    # A session token that does not belong to the key is refused.
    forged = Creds(c["AccessKeyId"], c["SecretAccessKey"], account, c["SessionToken"][:-4] + "AAAA")
    assert error_of(lambda: server.client("sts", forged).get_caller_identity())["Code"] == "InvalidClientTokenId"

    # The role's sessions made requests: GetRole reports its last use (written within a few seconds).
    deadline = time.time() + 15
    while "LastUsedDate" not in iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"] and time.time() < deadline:
        time.sleep(1)
    last = iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"]
    assert last["Region"] == "us-east-1" and abs(last["LastUsedDate"].timestamp() - time.time()) < 60
    assert "LastUsedDate" not in iam.get_role(RoleName="other")["Role"]["RoleLastUsed"]


def test_assume_role_with_an_mfa_condition(clean):
    server = clean
    account = server.root.account_id
    gina = new_user(server, "gina")
    iam = server.client("iam")
    iam.put_user_policy(UserName="gina", PolicyName="assume", PolicyDocument=policy(allow("sts:AssumeRole")))
    iam.create_role(
        RoleName="admin",
        AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:user/gina", Bool={"aws:MultiFactorAuthPresent": "true"}),
    )
    arn = f"arn:aws:iam::{account}:role/admin"
    assert error_of(lambda: server.client("sts", gina).assume_role(RoleArn=arn, RoleSessionName="s0"))["Code"] == "AccessDenied"
    serial, totp = enable_virtual_mfa(server, "gina")
    out = server.client("sts", gina).assume_role(RoleArn=arn, RoleSessionName="s0", SerialNumber=serial, TokenCode=totp.now())
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_role_chaining_is_capped_at_one_hour(clean):
    server = clean
    account = server.root.account_id
    iam = server.client("iam")
    iam.create_role(RoleName="first", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:root"), MaxSessionDuration=43200)
    iam.put_role_policy(RoleName="first", PolicyName="assume", PolicyDocument=policy(allow("sts:AssumeRole")))
    iam.create_role(RoleName="second", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:role/first"), MaxSessionDuration=43200)
    c = server.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/first", RoleSessionName="a0")["Credentials"]
    first = Creds(c["AccessKeyId"], c["SecretAccessKey"], account, c["SessionToken"])
    err = error_of(lambda: server.client("sts", first).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/second", RoleSessionName="b0", DurationSeconds=7200))
    assert err["Code"] == "ValidationError"
    out = server.client("sts", first).assume_role(RoleArn=f"arn:aws:iam::{account}:role/second", RoleSessionName="b0")
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/second/b0")


def test_password_policy_is_enforced(clean):
    server = clean
    iam = server.client("iam")
    iam.create_user(UserName="henry")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True)
    err = error_of(lambda: iam.create_login_profile(UserName="henry", Password="short1!"))
    assert err["Code"] == "PasswordPolicyViolation"
    err = error_of(lambda: iam.create_login_profile(UserName="henry", Password="longenoughbutnosymbol1"))
    assert err["Code"] == "PasswordPolicyViolation"
    iam.create_login_profile(UserName="henry", Password="Long-enough-and-1-symbol!")
    assert iam.get_login_profile(UserName="henry")["LoginProfile"]["UserName"] == "henry"
    policy_out = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy_out["MinimumPasswordLength"] == 14


def test_credential_report_has_aws_columns(clean):
    server = clean
    new_user(server, "ivan")
    iam = server.client("iam")
    for _ in range(20):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
        time.sleep(0.2)
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.reader(io.StringIO(report["Content"].decode())))
    assert rows[0] == [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
        "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
        "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
        "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
        "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
        "cert_2_active", "cert_2_last_rotated",
    ]
    users = {row[0]: row for row in rows[1:]}
    assert "<root_account>" in users
    assert users["ivan"][8] == "true"


def test_access_key_rotation(clean):
    server = clean
    judy = new_user(server, "judy")
    server.client("iam").put_user_policy(UserName="judy", PolicyName="self", PolicyDocument=policy(allow("iam:*AccessKey*")))
    me = server.client("iam", judy)
    second = me.create_access_key(UserName="judy")["AccessKey"]
    new = Creds(second["AccessKeyId"], second["SecretAccessKey"], server.root.account_id)
    assert error_of(lambda: me.create_access_key(UserName="judy"))["Code"] == "LimitExceeded"

    server.client("iam", new).update_access_key(UserName="judy", AccessKeyId=judy.access_key, Status="Inactive")
    err = error_of(lambda: server.client("sts", judy).get_caller_identity())
    assert err["Code"] == "InvalidClientTokenId"
    assert server.client("sts", new).get_caller_identity()["Arn"].endswith(":user/judy")
    server.client("iam", new).delete_access_key(UserName="judy", AccessKeyId=judy.access_key)
    keys = server.client("iam", new).list_access_keys(UserName="judy")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [new.access_key]
    last = server.client("iam", new).get_access_key_last_used(AccessKeyId=new.access_key)["AccessKeyLastUsed"]
    assert last["ServiceName"] in ("sts", "iam", "N/A")


def test_aws_cli_drives_iam(clean):
    server = clean
    rc, out, err, parsed = server.aws("iam", "create-user", "--user-name", "kate")
    assert rc == 0, err
    assert parsed["User"]["Arn"].endswith(":user/kate")
    rc, out, err, parsed = server.aws("iam", "list-users")
    assert rc == 0 and [u["UserName"] for u in parsed["Users"]] == ["kate"]
    rc, out, err, _ = server.aws("iam", "get-user", "--user-name", "nobody")
    assert rc != 0 and "NoSuchEntity" in err


def test_tag_based_access_control_on_roles(clean):
    """ABAC: aws:RequestTag, aws:TagKeys and aws:ResourceTag against the caller's own aws:PrincipalTag."""
    server = clean
    iam = server.client("iam")
    user = new_user(server, "blue-admin")
    iam.tag_user(UserName="blue-admin", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName="blue-admin", PolicyName="abac", PolicyDocument=policy(
        allow("iam:CreateRole", Condition={"StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"}}),
        allow(["iam:TagRole", "iam:UntagRole"]),
        allow("iam:DeleteRole", Condition={"StringEquals": {"iam:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
        deny("iam:UntagRole", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}),
    ))
    as_user = server.client("iam", user)
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"}, "Action": "sts:AssumeRole"}]})

    # Creating: only with the caller's own team tag.
    assert error_of(lambda: as_user.create_role(RoleName="untagged", AssumeRolePolicyDocument=document))["Code"] == "AccessDenied"
    red = [{"Key": "team", "Value": "red"}]
    assert error_of(lambda: as_user.create_role(RoleName="red", AssumeRolePolicyDocument=document, Tags=red))["Code"] == "AccessDenied"
    as_user.create_role(RoleName="blue", AssumeRolePolicyDocument=document, Tags=[{"Key": "team", "Value": "blue"}])

    # Deleting: only roles whose team tag matches, as stored, not as claimed.
    iam.create_role(RoleName="reds", AssumeRolePolicyDocument=document, Tags=red)
    assert error_of(lambda: as_user.delete_role(RoleName="reds"))["Code"] == "AccessDenied"

    # Removing the team tag is denied; other tags may go.
    as_user.tag_role(RoleName="blue", Tags=[{"Key": "cost-center", "Value": "42"}])
    assert error_of(lambda: as_user.untag_role(RoleName="blue", TagKeys=["team"]))["Code"] == "AccessDenied"
    as_user.untag_role(RoleName="blue", TagKeys=["cost-center"])
    as_user.delete_role(RoleName="blue")
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} >= {"reds"}


def test_role_session_credentials_expire(fresh_server):
    """Temporary credentials are refused with ExpiredToken once their time is up (the server's clock is moved
    ahead with NIMBUS_CLOCK_OFFSET_SECONDS rather than waiting 15 minutes)."""
    server = fresh_server.start()
    iam = server.client("iam")
    iam.create_role(RoleName="short", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{server.account_id}:root"))
    c = server.client("sts").assume_role(RoleArn=f"arn:aws:iam::{server.account_id}:role/short",
                                         RoleSessionName="brief", DurationSeconds=900)["Credentials"]
    session = Creds(c["AccessKeyId"], c["SecretAccessKey"], server.account_id, c["SessionToken"])
    assert server.client("sts", session).get_caller_identity()["Arn"].endswith(":assumed-role/short/brief")

    server.stop()
    server.extra_env["NIMBUS_CLOCK_OFFSET_SECONDS"] = "960"
    server.start()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=960)
    with mock.patch("botocore.auth.get_current_datetime", return_value=later.replace(tzinfo=None)):
        fresh = server._session.client("sts", region_name="us-east-1", endpoint_url=server.url,
                                       aws_access_key_id=session.access_key, aws_secret_access_key=session.secret_key,
                                       aws_session_token=session.token)
        err = error_of(lambda: fresh.get_caller_identity())
        assert err["Code"] == "ExpiredToken"
        # The account's long-term root key, signed at the same moment, still works: only the session ended.
        root = server._session.client("sts", region_name="us-east-1", endpoint_url=server.url,
                                      aws_access_key_id=server.root.access_key, aws_secret_access_key=server.root.secret_key)
        assert root.get_caller_identity()["Account"] == server.account_id
