"""KMS end to end: boto3 and the aws CLI against a live server.

Keys of every spec round-trip; signatures verify with `openssl dgst` and the key GetPublicKey returns;
rotation keeps old ciphertexts decryptable; key policies are enforced for IAM users; CloudTrail records
KMS calls without plaintext; the data directory never holds plaintext key bytes.
"""
import base64
import hashlib
import json
import os
import subprocess
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import Creds


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    return info.value.response["Error"]


def new_user(server, name, *statements):
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="kms",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Creds(key["AccessKeyId"], key["SecretAccessKey"], server.root.account_id)


def der_to_pem(der: bytes, label: str = "PUBLIC KEY") -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


# -- round trips ------------------------------------------------------------------------------

def test_symmetric_round_trip_with_context_and_alias(clean):
    kms = clean.client("kms")
    meta = kms.create_key(Description="e2e")["KeyMetadata"]
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyState"] == "Enabled"
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{clean.root.account_id}:key/{meta['KeyId']}"
    kms.create_alias(AliasName="alias/e2e", TargetKeyId=meta["KeyId"])
    ctx = {"purpose": "test", "tenant": "t1"}
    blob = kms.encrypt(KeyId="alias/e2e", Plaintext=b"hello kms", EncryptionContext=ctx)["CiphertextBlob"]
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert out["Plaintext"] == b"hello kms" and out["KeyId"] == meta["Arn"]
    assert error_of(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other"}))["Code"] == "InvalidCiphertextException"
    assert error_of(lambda: kms.decrypt(CiphertextBlob=blob[:-1] + bytes([blob[-1] ^ 1]), EncryptionContext=ctx))["Code"] == "InvalidCiphertextException"
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    assert error_of(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=other, EncryptionContext=ctx))["Code"] == "IncorrectKeyException"
    assert error_of(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x" * 4097))["Code"] == "ValidationException"
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=ctx, DestinationKeyId=other)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=moved)["Plaintext"] == b"hello kms"


@pytest.mark.parametrize("spec,algorithm", [("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"), ("ML_DSA_65", "ML_DSA_SHAKE_256"),
                                            ("ML_DSA_87", "ML_DSA_SHAKE_256")])
def test_ed25519_and_ml_dsa_signatures_verify_with_the_cryptography_package(clean, spec, algorithm):
    from cryptography.hazmat.primitives import serialization
    kms = clean.client("kms")
    meta = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert (meta["KeySpec"], meta["SigningAlgorithms"]) == (spec, [algorithm])
    message = b"signed by a key that never leaves" * 20
    signature = kms.sign(KeyId=meta["KeyId"], Message=message, MessageType="RAW", SigningAlgorithm=algorithm)["Signature"]
    assert kms.verify(KeyId=meta["KeyId"], Message=message, Signature=signature, SigningAlgorithm=algorithm)["SignatureValid"]
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert error_of(lambda: kms.verify(KeyId=meta["KeyId"], Message=message, Signature=tampered,
                                       SigningAlgorithm=algorithm))["Code"] == "KMSInvalidSignatureException"
    # An independent implementation verifies it with the public key GetPublicKey hands out (DER SubjectPublicKeyInfo).
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"])
    public.verify(signature, message)  # raises InvalidSignature otherwise
    assert error_of(lambda: kms.sign(KeyId=meta["KeyId"], Message=b"x" * 64, MessageType="DIGEST",
                                     SigningAlgorithm=algorithm))["Code"] == "ValidationException"
    assert error_of(lambda: kms.sign(KeyId=meta["KeyId"], Message=message, SigningAlgorithm="ECDSA_SHA_256"))["Code"] == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec,curve", [("ECC_NIST_P256", "SECP256R1"), ("ECC_NIST_P384", "SECP384R1"), ("ECC_NIST_P521", "SECP521R1")])
def test_key_agreement_derives_the_secret_the_peer_derives(clean, spec, curve):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    kms = clean.client("kms")
    meta = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    assert meta["KeyAgreementAlgorithms"] == ["ECDH"] and "SigningAlgorithms" not in meta
    public = kms.get_public_key(KeyId=meta["KeyId"])
    assert (public["KeyUsage"], public["KeyAgreementAlgorithms"]) == ("KEY_AGREEMENT", ["ECDH"])
    # The peer's side, with its own key pair and the KMS key's public key.
    peer = ec.generate_private_key(getattr(ec, curve)())
    peer_public = peer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    expected = peer.exchange(ec.ECDH(), serialization.load_der_public_key(public["PublicKey"]))
    derived = kms.derive_shared_secret(KeyId=meta["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_public)
    assert (derived["SharedSecret"], derived["KeyAgreementAlgorithm"], derived["KeyId"]) == (expected, "ECDH", meta["Arn"])

    other_curve = ec.generate_private_key(ec.SECP256K1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert error_of(lambda: kms.derive_shared_secret(KeyId=meta["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=other_curve))["Code"] == "ValidationException"
    assert error_of(lambda: kms.sign(KeyId=meta["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"))["Code"] == "InvalidKeyUsageException"
    signing = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    assert error_of(lambda: kms.derive_shared_secret(KeyId=signing, KeyAgreementAlgorithm="ECDH", PublicKey=peer_public))["Code"] == "InvalidKeyUsageException"


def test_multi_region_keys_share_material_across_regions(clean):
    """A primary key and its replica: ciphertexts made in either Region decrypt in the other, also after the
    primary rotates; the replica cannot rotate itself; the primary can move."""
    east = clean.client("kms")
    west = boto3.session.Session().client(
        "kms", region_name="us-west-2", endpoint_url=clean.url, aws_access_key_id=clean.root.access_key,
        aws_secret_access_key=clean.root.secret_key, config=botocore.config.Config(retries={"max_attempts": 1}))
    primary = east.create_key(MultiRegion=True, Description="shared")["KeyMetadata"]
    key_id = primary["KeyId"]
    assert key_id.startswith("mrk-") and len(key_id) == 36 and primary["MultiRegion"] is True
    assert primary["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    from_east = east.encrypt(KeyId=key_id, Plaintext=b"made in the east", EncryptionContext={"a": "b"})["CiphertextBlob"]

    replica = east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2", Description="west copy")
    meta = replica["ReplicaKeyMetadata"]
    assert (meta["KeyId"], meta["Arn"]) == (key_id, f"arn:aws:kms:us-west-2:{clean.account_id}:key/{key_id}")
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA" and meta["Description"] == "west copy"
    described = east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert described["ReplicaKeys"] == [{"Arn": meta["Arn"], "Region": "us-west-2"}]
    assert west.decrypt(CiphertextBlob=from_east, EncryptionContext={"a": "b"})["Plaintext"] == b"made in the east"
    from_west = west.encrypt(KeyId=key_id, Plaintext=b"made in the west")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=from_west)["Plaintext"] == b"made in the west"

    # The primary's rotation reaches the replica; the replica's own is refused.
    east.rotate_key_on_demand(KeyId=key_id)
    rotated = east.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=rotated)["Plaintext"] == b"after rotation"
    assert error_of(lambda: west.rotate_key_on_demand(KeyId=key_id))["Code"] == "UnsupportedOperationException"
    assert error_of(lambda: east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2"))["Code"] == "AlreadyExistsException"
    single = east.create_key()["KeyMetadata"]["KeyId"]
    assert error_of(lambda: east.replicate_key(KeyId=single, ReplicaRegion="us-west-2"))["Code"] == "UnsupportedOperationException"
    assert error_of(lambda: east.replicate_key(KeyId=key_id, ReplicaRegion="mars"))["Code"] == "ValidationException"

    # The primary moves west; deleting it waits for its replica.
    east.update_primary_region(KeyId=key_id, PrimaryRegion="us-west-2")
    assert west.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    scheduled = west.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingReplicaDeletion"
    west.cancel_key_deletion(KeyId=key_id)


def test_list_aliases_shows_the_aws_managed_aliases_before_their_keys_exist(clean):
    """As in a new AWS account: the alias/aws/* names are listed, without a TargetKeyId, until a service
    makes the key; paging walks them in order with the account's own."""
    kms = clean.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for name in ("alias/app", "alias/zeta", "alias/aws-like"):
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    listed = kms.list_aliases()["Aliases"]
    names = [a["AliasName"] for a in listed]
    assert names == sorted(names)
    reserved = {a["AliasName"]: a for a in listed if a["AliasName"].startswith("alias/aws/")}
    assert {"alias/aws/s3", "alias/aws/ebs", "alias/aws/rds", "alias/aws/lambda"} <= set(reserved) and len(reserved) == 14
    assert "TargetKeyId" not in reserved["alias/aws/s3"]
    assert reserved["alias/aws/s3"]["AliasArn"] == f"arn:aws:kms:us-east-1:{clean.account_id}:alias/aws/s3"

    paged, marker = [], None
    while True:
        page = kms.list_aliases(Limit=4, **({"Marker": marker} if marker else {}))
        assert len(page["Aliases"]) <= 4
        paged += [a["AliasName"] for a in page["Aliases"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert paged == names

    # Once S3 makes the AWS managed key, its alias is listed once, with its key.
    s3 = clean.client("s3")
    s3.create_bucket(Bucket="kms-alias-bucket")
    s3.put_object(Bucket="kms-alias-bucket", Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    s3_aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    assert len(s3_aliases) == 1 and "TargetKeyId" in s3_aliases[0]
    # Listing one key's aliases shows only its own.
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=key_id)["Aliases"]] == ["alias/app", "alias/aws-like", "alias/zeta"]


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072", "RSA_4096"])
def test_rsa_encryption_round_trip(clean, spec):
    kms = clean.client("kms")
    key_id = kms.create_key(KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    for algorithm in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]:
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"rsa secret", EncryptionAlgorithm=algorithm)["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, KeyId=key_id, EncryptionAlgorithm=algorithm)["Plaintext"] == b"rsa secret"
    assert error_of(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"))["Code"] == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec, algorithm, digest", [
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "-sha256"),
    ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384", "-sha384"),
    ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512", "-sha512"),
    ("RSA_2048", "RSASSA_PSS_SHA_256", "-sha256"),
    ("ECC_NIST_P256", "ECDSA_SHA_256", "-sha256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384", "-sha384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512", "-sha512"),
])
def test_signatures_verify_with_openssl(clean, tmp_path, spec, algorithm, digest):
    kms = clean.client("kms")
    key_id = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = kms.get_public_key(KeyId=key_id)
    assert public["KeySpec"] == spec and public["KeyUsage"] == "SIGN_VERIFY"
    assert algorithm in public["SigningAlgorithms"]
    message = b"the quick brown fox"
    signature = kms.sign(KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=algorithm)["Signature"]
    (tmp_path / "pub.pem").write_text(der_to_pem(public["PublicKey"]))
    (tmp_path / "sig").write_bytes(signature)
    (tmp_path / "msg").write_bytes(message)
    cmd = ["openssl", "dgst", digest, "-verify", str(tmp_path / "pub.pem"), "-signature", str(tmp_path / "sig")]
    if "PSS" in algorithm:
        cmd[3:3] = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"]
    cmd.append(str(tmp_path / "msg"))
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0 and "Verified OK" in p.stdout, p.stdout + p.stderr
    assert kms.verify(KeyId=key_id, Message=message, Signature=signature, SigningAlgorithm=algorithm)["SignatureValid"]
    assert error_of(lambda: kms.verify(KeyId=key_id, Message=b"tampered", Signature=signature,
                                       SigningAlgorithm=algorithm))["Code"] == "KMSInvalidSignatureException"
    # A digest signed with MessageType DIGEST verifies against the raw message.
    hashed = hashlib.new(digest[1:], message).digest()
    by_digest = kms.sign(KeyId=key_id, Message=hashed, MessageType="DIGEST", SigningAlgorithm=algorithm)["Signature"]
    assert kms.verify(KeyId=key_id, Message=message, Signature=by_digest, SigningAlgorithm=algorithm)["SignatureValid"]


@pytest.mark.parametrize("spec", ["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"])
def test_hmac_round_trip(clean, spec):
    kms = clean.client("kms")
    key_id = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    algorithm = "HMAC_SHA_" + spec.split("_")[1]
    mac = kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm=algorithm)["Mac"]
    assert kms.verify_mac(KeyId=key_id, Message=b"m", Mac=mac, MacAlgorithm=algorithm)["MacValid"]
    assert error_of(lambda: kms.verify_mac(KeyId=key_id, Message=b"n", Mac=mac, MacAlgorithm=algorithm))["Code"] == "KMSInvalidMacException"


def test_data_keys_and_pairs(clean):
    kms = clean.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    assert "Plaintext" not in kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=64)
    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P256")
    assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"] == pair["PrivateKeyPlaintext"]
    assert len(kms.generate_random(NumberOfBytes=100)["Plaintext"]) == 100


# -- lifecycle ----------------------------------------------------------------------------------

def test_rotation_keeps_old_ciphertexts(clean):
    kms = clean.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    old = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    new = kms.encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 180


def test_disable_and_schedule_deletion(clean):
    kms = clean.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    assert error_of(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"))["Code"] == "DisabledException"
    resp = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert resp["KeyState"] == "PendingDeletion"
    assert error_of(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"))["Code"] == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_aws_cli_drives_kms(clean, tmp_path):
    rc, out, err, created = clean.aws("kms", "create-key", "--description", "cli")
    assert rc == 0, err
    key_id = created["KeyMetadata"]["KeyId"]
    (tmp_path / "plain").write_bytes(b"cli secret")
    rc, out, err, enc = clean.aws("kms", "encrypt", "--key-id", key_id, "--plaintext", f"fileb://{tmp_path / 'plain'}")
    assert rc == 0, err
    (tmp_path / "blob").write_bytes(base64.b64decode(enc["CiphertextBlob"]))
    rc, out, err, dec = clean.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}")
    assert rc == 0, err
    assert base64.b64decode(dec["Plaintext"]) == b"cli secret"


# -- authorization ---------------------------------------------------------------------------

def test_key_policy_deny_is_enforced(clean):
    server = clean
    account = server.root.account_id
    bob = new_user(server, "bob", {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    kms = server.client("kms")
    meta = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"guarded")["CiphertextBlob"]
    assert server.client("kms", bob).decrypt(CiphertextBlob=blob)["Plaintext"] == b"guarded"

    kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "No decrypt for bob", "Effect": "Deny",
             "Principal": {"AWS": f"arn:aws:iam::{account}:user/bob"}, "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }))
    err = error_of(lambda: server.client("kms", bob).decrypt(CiphertextBlob=blob))
    assert err["Code"] == "AccessDeniedException"
    assert "kms:Decrypt" in err["Message"]
    # Other operations stay allowed, and the root still decrypts.
    assert server.client("kms", bob).encrypt(KeyId=meta["KeyId"], Plaintext=b"ok")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"guarded"
    bad = error_of(lambda: kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy="{not json"))
    assert bad["Code"] == "MalformedPolicyDocumentException"


def test_grant_lets_a_user_without_policies_decrypt(clean):
    server = clean
    carol = new_user(server, "carol")
    kms = server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"granted", EncryptionContext={"app": "a"})["CiphertextBlob"]
    assert error_of(lambda: server.client("kms", carol).decrypt(CiphertextBlob=blob, EncryptionContext={"app": "a"}))["Code"] == "AccessDeniedException"
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=f"arn:aws:iam::{server.root.account_id}:user/carol",
                             Operations=["Decrypt"], Constraints={"EncryptionContextSubset": {"app": "a"}})
    out = server.client("kms", carol).decrypt(CiphertextBlob=blob, EncryptionContext={"app": "a"}, GrantTokens=[grant["GrantToken"]])
    assert out["Plaintext"] == b"granted"
    kms.revoke_grant(KeyId=key_id, GrantId=grant["GrantId"])
    assert error_of(lambda: server.client("kms", carol).decrypt(CiphertextBlob=blob, EncryptionContext={"app": "a"}))["Code"] == "AccessDeniedException"


# -- audit and storage -------------------------------------------------------------------------

def test_cloudtrail_lists_kms_calls_without_plaintext(clean):
    server = clean
    kms = server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    secret = b"cloudtrail-must-not-see-this"
    blob = kms.encrypt(KeyId=key_id, Plaintext=secret)["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"]
    events = server.all_events(LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}])
    names = {e["EventName"] for e in events}
    assert {"CreateKey", "Encrypt", "Decrypt", "GenerateDataKey"} <= names, names
    encrypt = next(e for e in events if e["EventName"] == "Encrypt")
    assert key_id in encrypt["CloudTrailEvent"]
    for event in events:
        text = event["CloudTrailEvent"]
        for needle in (secret.decode(), base64.b64encode(secret).decode(), base64.b64encode(data_key).decode()):
            assert needle not in text, f"{event['EventName']} records plaintext"


def test_data_dir_holds_no_plaintext_key_bytes(clean):
    server = clean
    kms = server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    keys = [kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"] for _ in range(3)]
    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="RSA_2048")["PrivateKeyPlaintext"]
    time.sleep(0.5)  # let group commit and the WAL settle; writes are durable before the answer anyway
    needles = []
    for k in keys:
        needles += [k, base64.b64encode(k), k.hex().encode()]
    needles += [pair[-64:], base64.b64encode(pair)[:64]]
    roots = [server.data_dir, server.log_dir]
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                try:
                    with open(path, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                for needle in needles:
                    assert needle not in data, f"{path} holds plaintext key bytes"


# -- the AWS Encryption SDK ---------------------------------------------------------------------

def test_aws_encryption_sdk_round_trip(clean, monkeypatch):
    aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk")
    from aws_encryption_sdk.identifiers import CommitmentPolicy
    import botocore.session

    server = clean
    key_arn = server.client("kms").create_key()["KeyMetadata"]["Arn"]
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.root.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.root.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=botocore.session.Session())
    ciphertext, _ = client.encrypt(source=b"sdk message", key_provider=provider, encryption_context={"who": "e2e"})
    plaintext, header = client.decrypt(source=ciphertext, key_provider=provider)
    assert plaintext == b"sdk message"
    assert header.encryption_context["who"] == "e2e"
