"""HTTPS on --tls-port with the data dir's CA: TLS 1.2+ with ECDHE only."""

import socket
import ssl
import warnings

import pytest


def _ctx(server, *, min_v=None, max_v=None, ciphers=None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(server.data_dir / "ca.pem"))
    if ciphers:
        ctx.set_ciphers(ciphers)
    if min_v:
        ctx.minimum_version = min_v
    if max_v:
        ctx.maximum_version = max_v
    return ctx


def _handshake(server, ctx, host="localhost"):
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            return tls.version(), tls.cipher()


def test_ca_pem_exists(server):
    pem = (server.data_dir / "ca.pem").read_text()
    assert "BEGIN CERTIFICATE" in pem


def test_cli_over_https_with_ca_bundle(server):
    r = server.aws("sts", "get-caller-identity", endpoint=server.tls_url,
                   env={"AWS_CA_BUNDLE": str(server.data_dir / "ca.pem")})
    assert r.rc == 0, r
    assert r.json["Arn"] == f"arn:aws:iam::{server.account_id}:root"


def test_boto3_over_https_with_ca_bundle_and_127_0_0_1(server):
    ca = str(server.data_dir / "ca.pem")
    sts = server.client("sts", endpoint=server.tls_url, verify=ca)
    assert sts.get_caller_identity()["Account"] == server.account_id
    sts_ip = server.client("sts", endpoint=f"https://127.0.0.1:{server.tls_port}", verify=ca)
    assert sts_ip.get_caller_identity()["Account"] == server.account_id


def test_https_without_ca_bundle_is_untrusted(server):
    r = server.aws("sts", "get-caller-identity", endpoint=server.tls_url)
    assert r.rc != 0
    assert "SSL" in r.stderr or "certificate" in r.stderr.lower(), r


def test_tls13_accepted(server):
    version, _ = _handshake(server, _ctx(server, min_v=ssl.TLSVersion.TLSv1_3, max_v=ssl.TLSVersion.TLSv1_3))
    assert version == "TLSv1.3"


def test_tls12_ecdhe_accepted(server):
    version, cipher = _handshake(server, _ctx(server, min_v=ssl.TLSVersion.TLSv1_2, max_v=ssl.TLSVersion.TLSv1_2,
                                              ciphers="ECDHE"))
    assert version == "TLSv1.2"
    assert cipher[0].startswith("ECDHE-"), cipher


def test_tls12_non_ecdhe_cipher_refused(server):
    ctx = _ctx(server, min_v=ssl.TLSVersion.TLSv1_2, max_v=ssl.TLSVersion.TLSv1_2,
               ciphers="AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(server, ctx)
    server.assert_healthy()


def test_tls11_refused(server):
    ctx = _ctx(server, ciphers="ALL:@SECLEVEL=0")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot speak TLS 1.1 at all")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(server, ctx)
    server.assert_healthy()


def test_health_over_https(server):
    import requests
    r = requests.get(server.tls_url + "/_nimbus/health", verify=str(server.data_dir / "ca.pem"), timeout=10)
    assert r.status_code == 200
    assert "sts" in r.json()["services"]


def test_ca_survives_a_restart_and_a_lost_ca_pem_brings_a_new_ca(fresh_server):
    import requests
    server = fresh_server.start()
    ca_pem = server.data_dir / "ca.pem"
    first = ca_pem.read_bytes()
    server.restart()
    assert ca_pem.read_bytes() == first, "a restart replaced the CA that clients trust"
    assert requests.get(server.tls_url + "/_nimbus/health", verify=str(ca_pem), timeout=10).status_code == 200
    # Without its certificate the sealed key is of no use to clients: a new CA is made, both files written.
    server.stop()
    ca_pem.unlink()
    server.start()
    assert ca_pem.read_bytes() != first
    assert requests.get(server.tls_url + "/_nimbus/health", verify=str(ca_pem), timeout=10).status_code == 200
    assert oct((server.data_dir / "ca.key.sealed").stat().st_mode & 0o777) == "0o600"
    assert "aws_secret_access_key" in (server.data_dir / "credentials").read_text()
