"""S3 static website hosting, replication, and the other bucket settings tools read on every refresh, end to end.

Website: the configuration through boto3 and `aws s3 website`, S3's checks of it, and the website endpoint
(`<bucket>.s3-website.localhost:<port>`, reached here through 127.0.0.1 with that Host header): index
documents, folder redirects, object redirects, routing rules, the error document, HTML error pages, anonymous
access only to what the bucket makes public.

Settings: Transfer Acceleration, Requester Pays (enforced: other accounts must accept the charge), event
notifications (refused while their destination cannot be validated, as S3 refuses a destination that does not
exist), replication (carried out, as the configuration's role, into another bucket of the server), and the
inventory, analytics, metrics and Intelligent-Tiering reads, which answer as for a bucket without them.
"""

from __future__ import annotations

import http.client
import json
import time

import botocore.exceptions
import pytest
import requests


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    return info.value.response["Error"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def s3(clean):
    return clean.client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="site-bucket")
    return "site-bucket"


def public_site(s3, bucket: str, **configuration) -> None:
    """Objects readable by anyone (Block Public Access off, a policy allowing s3:GetObject), and a website."""
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }))
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=configuration)


def web(server, bucket: str, path: str, method: str = "GET", host: str | None = None, **kw) -> requests.Response:
    host = host or f"{bucket}.s3-website.localhost:{server.port}"
    return requests.request(method, f"http://127.0.0.1:{server.port}{path}", headers={"Host": host, **kw.pop("headers", {})},
                            allow_redirects=False, timeout=30, **kw)


# -- configuration -------------------------------------------------------------------------------

def test_website_configuration_round_trip_and_checks(s3, bucket):
    err, status = error_of(lambda: s3.get_bucket_website(Bucket=bucket))
    assert (err["Code"], status, err["BucketName"]) == ("NoSuchWebsiteConfiguration", 404, bucket)

    configuration = {
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [
            {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
            {"Condition": {"HttpErrorCodeReturnedEquals": "404"}, "Redirect": {"HostName": "example.com", "Protocol": "https",
                                                                              "HttpRedirectCode": "302"}},
        ],
    }
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=configuration)
    got = s3.get_bucket_website(Bucket=bucket)
    assert {k: got[k] for k in configuration} == configuration

    def put(config):
        return error_of(lambda: s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config))

    err, status = put({"ErrorDocument": {"Key": "error.html"}})
    assert (err["Code"], status, err["ArgumentName"]) == ("InvalidArgument", 400, "IndexDocument")
    assert err["Message"] == "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"
    err, _ = put({"IndexDocument": {"Suffix": "site/index.html"}})
    assert (err["Code"], err["Message"]) == ("InvalidArgument", "The IndexDocument Suffix is not well formed")
    err, _ = put({"RedirectAllRequestsTo": {"HostName": "example.com"}, "IndexDocument": {"Suffix": "index.html"}})
    assert (err["Code"], err["ArgumentName"]) == ("InvalidArgument", "RedirectAllRequestsTo")
    err, _ = put({"IndexDocument": {"Suffix": "index.html"},
                  "RoutingRules": [{"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}]})
    assert (err["Code"], err["Message"]) == ("InvalidRequest", "You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
    err, _ = put({"IndexDocument": {"Suffix": "index.html"}, "RoutingRules": [{"Redirect": {"Protocol": "ftp"}}]})
    assert err["Code"] == "InvalidRequest"
    # A refused configuration left the stored one as it was.
    assert s3.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}

    s3.delete_bucket_website(Bucket=bucket)
    err, _ = error_of(lambda: s3.get_bucket_website(Bucket=bucket))
    assert err["Code"] == "NoSuchWebsiteConfiguration"


def test_aws_cli_website_command_configures_the_bucket(clean):
    clean.client("s3").create_bucket(Bucket="cli-site")
    result = clean.aws("s3", "website", "s3://cli-site", "--index-document", "index.html", "--error-document", "404.html")
    assert result.rc == 0, result
    result = clean.aws("s3api", "get-bucket-website", "--bucket", "cli-site")
    assert result.rc == 0, result
    assert result.json["IndexDocument"] == {"Suffix": "index.html"}
    assert result.json["ErrorDocument"] == {"Key": "404.html"}


# -- the website endpoint ------------------------------------------------------------------------

def test_website_endpoint_serves_index_documents_redirects_and_the_error_document(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="guide/index.html", Body=b"<h1>guide</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="error.html", Body=b"<h1>not here</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="moved", Body=b"", WebsiteRedirectLocation="/guide/")
    public_site(s3, bucket, IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "error.html"},
                RoutingRules=[{"Condition": {"KeyPrefixEquals": "blog/"}, "Redirect": {"ReplaceKeyPrefixWith": "posts/"}}])

    home = web(server, bucket, "/")
    assert (home.status_code, home.content, home.headers["Content-Type"]) == (200, b"<h1>home</h1>", "text/html")
    assert web(server, bucket, "/guide/").content == b"<h1>guide</h1>"
    folder = web(server, bucket, "/guide")
    assert (folder.status_code, folder.headers["Location"]) == (302, "/guide/")
    moved = web(server, bucket, "/moved")
    assert (moved.status_code, moved.headers["Location"]) == (301, "/guide/")
    rule = web(server, bucket, "/blog/2026/hello")
    assert (rule.status_code, rule.headers["Location"]) == (301, f"http://{bucket}.s3-website.localhost:{server.port}/posts/2026/hello")
    # The bucket does not let anybody list it, so a missing key is 403, answered with the error document.
    missing = web(server, bucket, "/nothing-here.html")
    assert (missing.status_code, missing.content) == (403, b"<h1>not here</h1>")
    head = web(server, bucket, "/", method="HEAD")
    assert (head.status_code, head.content, head.headers["Content-Length"]) == (200, b"", "13")
    ranged = web(server, bucket, "/", headers={"Range": "bytes=4-7"})
    assert (ranged.status_code, ranged.content) == (206, b"home")
    unchanged = web(server, bucket, "/", headers={"If-None-Match": home.headers["ETag"]})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["ETag"]) == (304, b"", home.headers["ETag"])
    # Region forms of the endpoint's host name the same bucket.
    for host in (f"{bucket}.s3-website-us-east-1.localhost:{server.port}", f"{bucket}.s3-website.us-east-1.localhost:{server.port}"):
        assert web(server, bucket, "/", host=host).content == b"<h1>home</h1>"


def test_website_endpoint_refuses_as_s3_does(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"private")
    # No website configuration yet: an HTML page saying so.
    page = web(server, bucket, "/")
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "Code: NoSuchWebsiteConfiguration" in page.text

    # A website over objects that are not public: the endpoint is anonymous, so 403.
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    denied = web(server, bucket, "/")
    assert denied.status_code == 403 and "Code: AccessDenied" in denied.text
    assert b"private" not in denied.content

    # Only GET and HEAD; nothing is written.
    # A folder whose index document is not public is not given away by a redirect.
    s3.put_object(Bucket=bucket, Key="private/index.html", Body=b"hidden")
    folder = web(server, bucket, "/private")
    assert folder.status_code == 403 and "Location" not in folder.headers

    put = web(server, bucket, "/index.html", method="PUT", data=b"defaced")
    assert put.status_code == 405 and "Code: MethodNotAllowed" in put.text
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"private"

    # A path that is not a URI, and a key over S3's limit, are refused as the REST endpoint refuses them.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)  # requests would re-quote the path
    connection.request("GET", "/%zz", headers={"Host": f"{bucket}.s3-website.localhost:{server.port}"})
    invalid = connection.getresponse()
    assert invalid.status == 400 and b"Code: InvalidURI" in invalid.read()
    connection.close()
    assert web(server, bucket, "/" + "k" * 1100).status_code == 400

    missing = web(server, "no-such-site", "/")
    assert missing.status_code == 404 and "Code: NoSuchBucket" in missing.text and "BucketName: no-such-site" in missing.text


def test_website_endpoint_lists_missing_keys_only_to_a_bucket_anyone_may_list(server, s3, bucket):
    public_site(s3, bucket, IndexDocument={"Suffix": "index.html"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        ],
    }))
    missing = web(server, bucket, "/gone.html")
    assert missing.status_code == 404 and "Code: NoSuchKey" in missing.text


def test_website_redirecting_every_request(server, s3, bucket):
    public_site(s3, bucket, RedirectAllRequestsTo={"HostName": "www.example.com", "Protocol": "https"})
    r = web(server, bucket, "/a/b.html?x=1")
    assert (r.status_code, r.headers["Location"]) == (301, "https://www.example.com/a/b.html?x=1")


# -- settings ------------------------------------------------------------------------------------

def test_transfer_acceleration_and_requester_pays(s3, bucket):
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Suspended"
    err, status = error_of(lambda: s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "On"}))
    assert (err["Code"], status) == ("MalformedXML", 400)
    s3.create_bucket(Bucket="dotted.bucket")
    err, _ = error_of(lambda: s3.put_bucket_accelerate_configuration(Bucket="dotted.bucket", AccelerateConfiguration={"Status": "Enabled"}))
    assert err["Code"] == "InvalidRequest"

    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    err, _ = error_of(lambda: s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Nobody"}))
    assert err["Code"] == "MalformedXML"


def test_requester_pays_bucket_charges_only_callers_who_accept(clean, s3, bucket):
    s3.put_object(Bucket=bucket, Key="data", Body=b"paid for")
    other = clean.create_account("payer")
    other_s3 = clean.client("s3", other)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    assert other_s3.get_object(Bucket=bucket, Key="data")["Body"].read() == b"paid for"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})

    # The owner's account pays as before; another account must say it accepts the charge.
    assert s3.get_object(Bucket=bucket, Key="data")["Body"].read() == b"paid for"
    err, status = error_of(lambda: other_s3.get_object(Bucket=bucket, Key="data"))
    assert (err["Code"], status) == ("AccessDenied", 403)
    err, _ = error_of(lambda: other_s3.list_objects_v2(Bucket=bucket))
    assert err["Code"] == "AccessDenied"
    charged = other_s3.get_object(Bucket=bucket, Key="data", RequestPayer="requester")
    assert (charged["Body"].read(), charged["RequestCharged"]) == (b"paid for", "requester")
    assert "RequestCharged" not in s3.get_object(Bucket=bucket, Key="data", RequestPayer="requester")
    assert [o["Key"] for o in other_s3.list_objects_v2(Bucket=bucket, RequestPayer="requester")["Contents"]] == ["data"]
    # Nobody pays for an anonymous request: refused, whatever the policy says.
    url = f"{clean.url}/{bucket}/data"
    assert requests.get(url, headers={"x-amz-request-payer": "requester"}, timeout=10).status_code == 403

    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "BucketOwner"})
    assert requests.get(url, timeout=10).content == b"paid for"


def test_event_notifications_are_checked_and_kept(s3, bucket):
    assert set(s3.get_bucket_notification_configuration(Bucket=bucket)) == {"ResponseMetadata"}

    def put(configuration, **kw):
        return error_of(lambda: s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration, **kw))

    queue = "arn:aws:sqs:us-east-1:123456789012:uploads"
    err, status = put({"QueueConfigurations": [{"QueueArn": "arn:aws:sns:us-east-1:123456789012:x", "Events": ["s3:ObjectCreated:*"]}]})
    assert (err["Code"], status, err["Message"]) == ("InvalidArgument", 400, "The ARN is not well formed")
    err, _ = put({"QueueConfigurations": [{"QueueArn": "arn:aws:sqs:eu-west-1:123456789012:x", "Events": ["s3:ObjectCreated:*"]}]})
    assert err["Message"] == "The notification destination service region is not valid for the bucket location constraint"
    err, _ = put({"QueueConfigurations": [{"QueueArn": queue, "Events": ["s3:ObjectEaten"]}]})
    assert err["Message"].startswith("The event 's3:ObjectEaten' is not supported for notifications.")
    # Nimbus runs no SQS, SNS or Lambda: a destination cannot be validated, as S3 refuses one that does not exist.
    err, _ = put({"QueueConfigurations": [{"QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}]})
    assert (err["Code"], err["Message"]) == ("InvalidArgument", "Unable to validate the following destination configurations")
    assert set(s3.get_bucket_notification_configuration(Bucket=bucket)) == {"ResponseMetadata"}

    # Unless the caller skips the validation.
    configuration = {
        "QueueConfigurations": [{"Id": "uploads", "QueueArn": queue, "Events": ["s3:ObjectCreated:Put"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}],
        "EventBridgeConfiguration": {},
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration, SkipDestinationValidation=True)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == configuration["QueueConfigurations"]
    assert got["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert set(s3.get_bucket_notification_configuration(Bucket=bucket)) == {"ResponseMetadata"}


def replication_role(clean, name: str, actions: list[str]) -> str:
    iam = clean.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="replication", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return arn


def wait_for_status(s3, bucket, key, version):
    deadline = time.time() + 15
    while time.time() < deadline:
        status = s3.head_object(Bucket=bucket, Key=key, VersionId=version).get("ReplicationStatus")
        if status != "PENDING":
            return status
        time.sleep(0.2)
    return "PENDING"


def test_replication_copies_new_versions_and_delete_markers(clean, s3, bucket):
    s3.create_bucket(Bucket="replica-bucket")
    role = replication_role(clean, "replication", ["s3:GetObjectVersionForReplication", "s3:ReplicateObject", "s3:ReplicateDelete"])
    rule = {"ID": "docs", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "docs/"},
            "DeleteMarkerReplication": {"Status": "Enabled"}, "Destination": {"Bucket": "arn:aws:s3:::replica-bucket"}}

    def put(configuration, target=bucket):
        return error_of(lambda: s3.put_bucket_replication(Bucket=target, ReplicationConfiguration=configuration))

    err, status = put({"Role": role, "Rules": [rule]})
    assert (err["Code"], status) == ("InvalidRequest", 400)  # versioning is not on
    for name in (bucket, "replica-bucket"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="unversioned")
    err, _ = put({"Role": role, "Rules": [{**rule, "Destination": {"Bucket": "arn:aws:s3:::unversioned"}}]})
    assert (err["Code"], err["Message"]) == ("InvalidRequest", "Destination bucket must have versioning enabled.")
    err, _ = put({"Role": role, "Rules": [{k: v for k, v in rule.items() if k != "DeleteMarkerReplication"}]})
    assert err["Code"] == "InvalidRequest"
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration={"Role": role, "Rules": [rule]})
    assert s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"] == {"Role": role, "Rules": [rule]}

    put_doc = s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=b"replicate me", Metadata={"owner": "docs"}, ContentType="text/plain")
    version = put_doc["VersionId"]
    s3.put_object(Bucket=bucket, Key="other/b.txt", Body=b"stays here")
    assert wait_for_status(s3, bucket, "docs/a.txt", version) == "COMPLETED"
    replica = s3.get_object(Bucket="replica-bucket", Key="docs/a.txt")
    assert (replica["Body"].read(), replica["VersionId"], replica["ReplicationStatus"]) == (b"replicate me", version, "REPLICA")
    assert (replica["Metadata"], replica["ContentType"], replica["ETag"]) == ({"owner": "docs"}, "text/plain", put_doc["ETag"])
    assert "ReplicationStatus" not in s3.head_object(Bucket=bucket, Key="other/b.txt")
    err, _ = error_of(lambda: s3.head_object(Bucket="replica-bucket", Key="other/b.txt"))
    assert err["Code"] == "404"

    # A delete marker follows, under the same version id; the replicated version stays behind it.
    marker = s3.delete_object(Bucket=bucket, Key="docs/a.txt")["VersionId"]
    deadline = time.time() + 15
    while time.time() < deadline:
        markers = s3.list_object_versions(Bucket="replica-bucket", Prefix="docs/").get("DeleteMarkers", [])
        if markers:
            break
        time.sleep(0.2)
    assert [m["VersionId"] for m in markers] == [marker]
    err, _ = error_of(lambda: s3.get_object(Bucket="replica-bucket", Key="docs/a.txt"))
    assert err["Code"] == "NoSuchKey"
    assert s3.get_object(Bucket="replica-bucket", Key="docs/a.txt", VersionId=version)["Body"].read() == b"replicate me"

    s3.delete_bucket_replication(Bucket=bucket)
    err, status = error_of(lambda: s3.get_bucket_replication(Bucket=bucket))
    assert (err["Code"], status) == ("ReplicationConfigurationNotFoundError", 404)


def test_replication_fails_where_the_role_may_not(clean, s3, bucket):
    for name in (bucket, "replica-denied"):
        if name != bucket:
            s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    role = replication_role(clean, "read-only-replication", ["s3:GetObjectVersionForReplication"])
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration={"Role": role, "Rules": [
        {"Status": "Enabled", "Prefix": "", "Destination": {"Bucket": "arn:aws:s3:::replica-denied"}}]})
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    assert wait_for_status(s3, bucket, "k", version) == "FAILED"
    assert "Versions" not in s3.list_object_versions(Bucket="replica-denied")


def test_configurations_of_work_nimbus_does_not_do_read_as_absent(s3, bucket):
    for kind in ("inventory", "analytics", "metrics", "intelligent_tiering"):
        listed = getattr(s3, f"list_bucket_{kind}_configurations")(Bucket=bucket)
        assert listed["IsTruncated"] is False
        err, status = error_of(lambda: getattr(s3, f"get_bucket_{kind}_configuration")(Bucket=bucket, Id="x"))
        assert (err["Code"], status) == ("NoSuchConfiguration", 404)
    err, _ = error_of(lambda: s3.get_bucket_website(Bucket="no-such-bucket"))
    assert err["Code"] == "NoSuchBucket"
