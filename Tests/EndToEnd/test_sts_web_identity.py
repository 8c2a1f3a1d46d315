"""STS AssumeRoleWithWebIdentity against a live OpenID provider, as CI pipelines (GitHub Actions, EKS IRSA) use it.

The provider is a small HTTPS server started here, on a CA of its own that Nimbus is told to trust through
NIMBUS_OIDC_CA_BUNDLE; Nimbus fetches its discovery document and JWKS like STS does. Tokens are minted with
`cryptography` (RS256 and ES256), exactly as an identity provider would.
"""

import base64
import datetime
import http.server
import ipaddress
import json
import secrets
import ssl
import subprocess
import threading
import time

import boto3
import botocore.config
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from conftest import Creds, _new_server, aws_cli_command

CLIENT_ID = "nimbus-ci"
SUBJECT = "repo:acme/widgets:ref:refs/heads/main"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_int(value: int) -> str:
    return b64u(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Provider:
    """An OpenID provider on https://localhost:<port> with one RSA and one P-256 signing key."""

    def __init__(self, directory):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.requests = 0
        ca_key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nimbus e2e OIDC CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False, key_agreement=False,
                                           encipher_only=False, decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_path = directory / "oidc-ca.pem"
        self.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_path, key_path = directory / "oidc-leaf.pem", directory / "oidc-leaf.key"
        cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                provider.requests += 1
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.issuer + "/keys",
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif self.path == "/keys":
                    body = provider.jwks()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.issuer = f"https://localhost:{self.port}"
        self.location = f"localhost:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def jwks(self) -> dict:
        n = self.rsa.public_key().public_numbers()
        p = self.ec.public_key().public_numbers()
        return {"keys": [
            {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": b64u_int(n.n), "e": b64u_int(n.e)},
            {"kty": "EC", "kid": "ec-1", "use": "sig", "alg": "ES256", "crv": "P-256",
             "x": b64u(p.x.to_bytes(32, "big")), "y": b64u(p.y.to_bytes(32, "big"))},
        ]}

    def token(self, *, alg="RS256", kid=None, key=None, lifetime=600, **claims) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "sub": SUBJECT, "aud": CLIENT_ID, "iat": now, "exp": now + lifetime}
        payload.update(claims)
        header = {"alg": alg, "typ": "JWT", "kid": kid or ("rsa-1" if alg == "RS256" else "ec-1")}
        signing_input = (b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(payload).encode())).encode()
        if alg == "RS256":
            signature = (key or self.rsa).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature((key or self.ec).sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input.decode() + "." + b64u(signature)

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def setup(tmp_root):
    directory = tmp_root / f"oidc-{secrets.token_hex(3)}"
    directory.mkdir()
    provider = Provider(directory)
    server = _new_server(tmp_root, f"web-identity-{secrets.token_hex(3)}", env={"NIMBUS_OIDC_CA_BUNDLE": str(provider.ca_path)})
    server.start()
    iam = server.client("iam")
    provider_arn = iam.create_open_id_connect_provider(
        Url=provider.issuer, ClientIDList=[CLIENT_ID], ThumbprintList=["0" * 40]
    )["OpenIDConnectProviderArn"]
    assert provider_arn == f"arn:aws:iam::{server.account_id}:oidc-provider/{provider.location}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{provider.location}:aud": CLIENT_ID},
                "StringLike": {f"{provider.location}:sub": "repo:acme/widgets:*"},
            },
        }],
    }
    role_arn = iam.create_role(RoleName="ci-deployer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="ci-deployer", PolicyName="list-buckets", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
    }))
    yield server, provider, role_arn
    server.stop()
    server.kill()
    provider.close()


def unsigned_sts(server):
    """An STS client with no credentials at all: boto3 sends AssumeRoleWithWebIdentity unsigned."""
    return boto3.session.Session().client(
        "sts", region_name="us-east-1", endpoint_url=server.url,
        config=botocore.config.Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def assume(server, role_arn, token, **kw):
    return unsigned_sts(server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName=kw.pop("session", "build-42"), WebIdentityToken=token, **kw
    )


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_rs256_token_is_exchanged_for_role_credentials_that_work(setup):
    server, provider, role_arn = setup
    resp = assume(server, role_arn, provider.token())
    creds = resp["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert resp["SubjectFromWebIdentityToken"] == SUBJECT
    assert resp["Audience"] == CLIENT_ID
    assert resp["Provider"] == provider.location
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/ci-deployer/build-42"
    session = Creds(creds["AccessKeyId"], creds["SecretAccessKey"], server.account_id, creds["SessionToken"])
    me = server.client("sts", session).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/ci-deployer/build-42"
    # The role's policy applies to the session: listing buckets is allowed, creating users is not.
    server.client("s3", session).list_buckets()
    code, _, _ = error_of(lambda: server.client("iam", session).create_user(UserName="intruder"))
    assert code == "AccessDenied"


def test_es256_token_is_accepted(setup):
    server, provider, role_arn = setup
    resp = assume(server, role_arn, provider.token(alg="ES256"), session="es-session")
    assert resp["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_cli_and_boto3_web_identity_credential_provider(setup, tmp_path):
    """What GitHub Actions and EKS do: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE and no keys at all."""
    server, provider, role_arn = setup
    token_file = tmp_path / "token"
    token_file.write_text(provider.token())
    env = server.cli_env(False, AWS_ROLE_ARN=role_arn, AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
                         AWS_ROLE_SESSION_NAME="gha-run", AWS_DEFAULT_REGION="us-east-1",
                         AWS_ENDPOINT_URL=server.url)
    p = subprocess.run([*aws_cli_command(), "--endpoint-url", server.url, "--output", "json", "sts", "get-caller-identity"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/ci-deployer/gha-run"

    r = server.aws("sts", "assume-role-with-web-identity", "--role-arn", role_arn, "--role-session-name", "cli",
                   "--web-identity-token", provider.token(), creds=False)
    assert r.rc == 0, r
    assert r.json["SubjectFromWebIdentityToken"] == SUBJECT


def test_trust_policy_conditions_decide(setup):
    server, provider, role_arn = setup
    code, message, status = error_of(lambda: assume(server, role_arn, provider.token(sub="repo:evil/fork:ref:refs/heads/main")))
    assert (code, status) == ("AccessDenied", 403)
    assert message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_token_for_another_audience_is_refused(setup):
    server, provider, role_arn = setup
    code, message, status = error_of(lambda: assume(server, role_arn, provider.token(aud="someone-else")))
    assert (code, message, status) == ("InvalidIdentityToken", "Incorrect token audience", 400)


def test_expired_token_is_refused(setup):
    server, provider, role_arn = setup
    code, message, _ = error_of(lambda: assume(server, role_arn, provider.token(lifetime=-60)))
    assert code == "ExpiredTokenException"
    assert message.startswith("Token expired: current date/time")


def test_token_signed_by_another_key_is_refused(setup):
    server, provider, role_arn = setup
    forged = provider.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    code, message, _ = error_of(lambda: assume(server, role_arn, forged))
    assert code == "InvalidIdentityToken"
    assert "could not be validated" in message
    # A payload edited after signing fails the same way.
    header, payload, signature = provider.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "repo:acme/widgets:ref:refs/heads/evil"
    edited = ".".join([header, b64u(json.dumps(claims).encode()), signature])
    assert error_of(lambda: assume(server, role_arn, edited))[0] == "InvalidIdentityToken"


def test_unknown_key_id_and_unregistered_issuer_are_refused(setup):
    server, provider, role_arn = setup
    code, message, _ = error_of(lambda: assume(server, role_arn, provider.token(kid="rotated-away")))
    assert code == "InvalidIdentityToken"
    assert "verification key" in message
    code, message, _ = error_of(lambda: assume(server, role_arn, provider.token(iss="https://elsewhere.example")))
    assert (code, message) == ("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://elsewhere.example")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x" * 5000])
def test_garbage_tokens_are_invalid_identity_token(setup, token):
    server, _, role_arn = setup
    code, _, status = error_of(lambda: assume(server, role_arn, token))
    assert (code, status) == ("InvalidIdentityToken", 400)
    server.assert_healthy()


def test_cloudtrail_records_the_exchange_without_the_token(setup):
    server, provider, role_arn = setup
    token = provider.token()
    assume(server, role_arn, token, session="audited")
    events = [json.loads(e["CloudTrailEvent"]) for e in server.all_events() if e["EventName"] == "AssumeRoleWithWebIdentity"]
    assert events, "no AssumeRoleWithWebIdentity event"
    event = events[0]
    identity = event["userIdentity"]
    assert identity["type"] == "WebIdentityUser"
    assert identity["userName"] == SUBJECT
    assert identity["identityProvider"] == provider.location
    assert identity["principalId"] == f"{provider.location}:{CLIENT_ID}:{SUBJECT}"
    assert token not in json.dumps(event)
    assert event["requestParameters"]["roleSessionName"] == "audited"


def test_cloudtrail_records_refused_tokens_in_the_roles_account(setup):
    server, provider, role_arn = setup
    account = role_arn.split(":")[4]
    wrong_audience = provider.token(aud="someone-else")
    assert error_of(lambda: assume(server, role_arn, wrong_audience, session="refused"))[0] == "InvalidIdentityToken"
    assert error_of(lambda: assume(server, role_arn, "not-a-jwt", session="garbage"))[0] == "InvalidIdentityToken"
    oversized = provider.token(aud="someone-else", sub="s" * 5000)
    assert error_of(lambda: assume(server, role_arn, oversized, session="oversized"))[0] == "InvalidIdentityToken"
    missing_role = f"arn:aws:iam::{account}:role/no-such-role"
    assert error_of(lambda: assume(server, missing_role, "not-a-jwt", session="no-role"))[0] == "InvalidIdentityToken"

    events = [json.loads(e["CloudTrailEvent"]) for e in server.all_events() if e["EventName"] == "AssumeRoleWithWebIdentity"]
    by_session = {e["requestParameters"]["roleSessionName"]: e for e in events}
    refused = by_session["refused"]
    assert (refused["errorCode"], refused["errorMessage"]) == ("InvalidIdentityToken", "Incorrect token audience")
    assert refused["recipientAccountId"] == account
    # Who the token claimed to be: unverified, as AWS shows it.
    assert refused["userIdentity"]["type"] == "WebIdentityUser"
    assert refused["userIdentity"]["userName"] == SUBJECT
    assert refused["userIdentity"]["identityProvider"] == provider.location
    assert wrong_audience not in json.dumps(refused)
    garbage = by_session["garbage"]
    assert garbage["errorCode"] == "InvalidIdentityToken"
    assert garbage["userIdentity"]["type"] == "WebIdentityUser"
    # Unsigned claims beyond the model's sizes are not copied into the record.
    assert by_session["oversized"]["userIdentity"] == garbage["userIdentity"]
    assert "s" * 256 not in json.dumps(by_session["oversized"])
    # Only roles that exist have their refusals recorded.
    assert "no-role" not in by_session
    server.assert_healthy()
