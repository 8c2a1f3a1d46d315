"""CloudTrail LookupEvents over the calls the server has answered."""

import datetime
import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import Creds, random_secret


def _details(event: dict) -> dict:
    return json.loads(event["CloudTrailEvent"])


def _gci_events(events):
    return [e for e in events if e["EventName"] == "GetCallerIdentity"]


def test_cli_lookup_events_lists_earlier_calls_with_identity_and_source_ip(clean):
    server = clean
    for _ in range(2):
        assert server.aws("sts", "get-caller-identity").rc == 0
    r = server.aws("cloudtrail", "lookup-events")
    assert r.rc == 0, r
    events = _gci_events(r.json["Events"])
    assert len(events) == 2, r.json
    for e in events:
        assert e["EventSource"] == "sts.amazonaws.com"
        assert e["AccessKeyId"] == server.root.access_key
        assert e["Username"] == "root"
        assert e["ReadOnly"] == "true"
        d = _details(e)
        assert d["eventSource"] == "sts.amazonaws.com"
        assert d["eventName"] == "GetCallerIdentity"
        assert d["sourceIPAddress"] == "127.0.0.1"
        assert d["userAgent"].startswith("aws-cli/")
        assert d["awsRegion"] == "us-east-1"
        ui = d["userIdentity"]
        assert ui["type"] == "Root"
        assert ui["arn"] == f"arn:aws:iam::{server.account_id}:root"
        assert ui["accountId"] == server.account_id
        assert ui["accessKeyId"] == server.root.access_key
        assert d["recipientAccountId"] == server.account_id
        assert d["eventID"] == e["EventId"]
        assert d["readOnly"] is True
        assert d["eventType"] == "AwsApiCall"
        assert d["managementEvent"] is True
        assert d["requestID"]
        assert "errorCode" not in d or d["errorCode"] in (None, "")
        for field in ("eventVersion", "eventTime", "requestParameters", "responseElements"):
            assert field in d, field
    # Newest first, as AWS returns them.
    times = [e["EventTime"] for e in r.json["Events"]]
    assert times == sorted(times, reverse=True)


def test_event_carries_the_request_id_the_client_saw(clean):
    server = clean
    resp = server.client("sts").get_caller_identity()
    rid = resp["ResponseMetadata"]["RequestId"]
    events = _gci_events(server.all_events())
    assert [_details(e)["requestID"] for e in events] == [rid]


@pytest.fixture
def populated(clean):
    """Two GetCallerIdentity calls and one LookupEvents call in a fresh trail."""
    server = clean
    sts = server.client("sts")
    sts.get_caller_identity()
    sts.get_caller_identity()
    server.client("cloudtrail").lookup_events(MaxResults=1)
    return server


@pytest.mark.parametrize("key,value,expected_names", [
    ("EventName", "GetCallerIdentity", {"GetCallerIdentity"}),
    ("EventName", "LookupEvents", {"LookupEvents"}),
    ("EventSource", "sts.amazonaws.com", {"GetCallerIdentity"}),
    ("EventSource", "cloudtrail.amazonaws.com", {"LookupEvents"}),
    ("ReadOnly", "true", {"GetCallerIdentity", "LookupEvents"}),
    ("ReadOnly", "false", set()),
    ("Username", "root", {"GetCallerIdentity", "LookupEvents"}),
    ("Username", "nobody", set()),
    ("EventName", "NoSuchEvent", set()),
])
def test_lookup_attribute_filters(populated, key, value, expected_names):
    server = populated
    events = server.all_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])
    names = {e["EventName"] for e in events}
    assert names == expected_names, events
    if key == "EventName" and value == "GetCallerIdentity":
        assert len(events) == 2


def test_lookup_by_access_key_id(populated):
    server = populated
    events = server.all_events(LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": server.root.access_key}])
    assert len(events) >= 3
    assert all(e["AccessKeyId"] == server.root.access_key for e in events)
    none = server.all_events(LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": "AKIAAAAAAAAAAAAAAAAA"}])
    assert none == []


def test_lookup_by_event_id(populated):
    server = populated
    everything = server.all_events()
    target = everything[-1]
    got = server.all_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": target["EventId"]}])
    assert [e["EventId"] for e in got] == [target["EventId"]]


def test_cli_lookup_attribute_filter(populated):
    server = populated
    r = server.aws("cloudtrail", "lookup-events",
                   "--lookup-attributes", "AttributeKey=EventName,AttributeValue=GetCallerIdentity")
    assert r.rc == 0, r
    assert [e["EventName"] for e in r.json["Events"]] == ["GetCallerIdentity", "GetCallerIdentity"]


def test_time_range(populated):
    server = populated
    now = datetime.datetime.now(datetime.timezone.utc)
    ct = server.client("cloudtrail")
    inside = ct.lookup_events(StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=1))
    assert len(inside["Events"]) >= 3
    future = ct.lookup_events(StartTime=now + datetime.timedelta(minutes=2), EndTime=now + datetime.timedelta(minutes=5))
    assert future["Events"] == []
    past = ct.lookup_events(StartTime=now - datetime.timedelta(days=2), EndTime=now - datetime.timedelta(days=1))
    assert past["Events"] == []


def test_start_time_after_end_time_is_invalid_time_range(populated):
    now = datetime.datetime.now(datetime.timezone.utc)
    with pytest.raises(ClientError) as e:
        populated.client("cloudtrail").lookup_events(StartTime=now, EndTime=now - datetime.timedelta(hours=1))
    assert e.value.response["Error"]["Code"] == "InvalidTimeRangeException"


def test_pagination_max_results_one_visits_every_event_once(clean):
    server = clean
    sts = server.client("sts")
    for _ in range(5):
        sts.get_caller_identity()
    ct = server.client("cloudtrail")
    seen, token, pages = [], None, 0
    while True:
        args = {"MaxResults": 1, "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}]}
        if token:
            args["NextToken"] = token
        resp = ct.lookup_events(**args)
        pages += 1
        assert len(resp["Events"]) <= 1
        seen.extend(e["EventId"] for e in resp["Events"])
        token = resp.get("NextToken")
        if not token:
            break
        assert pages < 20, "pagination does not terminate"
    assert len(seen) == 5
    assert len(set(seen)) == 5


def test_cli_pagination_with_next_token(clean):
    server = clean
    sts = server.client("sts")
    for _ in range(3):
        sts.get_caller_identity()
    filt = ["--lookup-attributes", "AttributeKey=EventName,AttributeValue=GetCallerIdentity"]
    first = server.aws("cloudtrail", "lookup-events", "--no-paginate", "--max-results", "1", *filt)
    assert first.rc == 0, first
    assert len(first.json["Events"]) == 1
    token = first.json["NextToken"]
    second = server.aws("cloudtrail", "lookup-events", "--no-paginate", "--max-results", "1", "--next-token", token, *filt)
    assert second.rc == 0, second
    assert len(second.json["Events"]) == 1
    assert second.json["Events"][0]["EventId"] != first.json["Events"][0]["EventId"]
    # The CLI's own paginator walks the whole trail without duplicates.
    walked = server.aws("cloudtrail", "lookup-events", "--page-size", "1", *filt)
    assert walked.rc == 0, walked
    ids = [e["EventId"] for e in walked.json["Events"]]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_invalid_next_token_is_refused(populated):
    with pytest.raises(ClientError) as e:
        populated.client("cloudtrail").lookup_events(NextToken="not-a-real-token")
    assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_max_results_out_of_range_is_invalid_max_results(clean):
    # LookupEvents documents InvalidMaxResultsException for a MaxResults outside 1..50.
    with pytest.raises(ClientError) as e:
        clean.client("cloudtrail").lookup_events(MaxResults=1000)
    assert e.value.response["Error"]["Code"] == "InvalidMaxResultsException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_failed_authenticated_call_is_recorded_with_error_code(clean):
    server = clean
    ct = server.client("cloudtrail")
    with pytest.raises(ClientError) as e:
        ct.lookup_events(MaxResults=1000)
    code = e.value.response["Error"]["Code"]
    events = server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "LookupEvents"}])
    failed = [_details(ev) for ev in events if _details(ev).get("errorCode")]
    assert len(failed) == 1, events
    assert failed[0]["errorCode"] == code
    assert failed[0]["errorMessage"]
    assert failed[0]["userIdentity"]["accessKeyId"] == server.root.access_key
    assert failed[0]["userIdentity"]["type"] == "Root"


def test_invalid_lookup_attribute_is_refused(populated):
    with pytest.raises(ClientError) as e:
        populated.client("cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                              {"AttributeKey": "Username", "AttributeValue": "root"}])
    # AWS allows exactly one lookup attribute.
    assert e.value.response["Error"]["Code"] == "InvalidLookupAttributesException"


def test_wrong_secret_does_not_create_event_for_the_account_as_success(clean):
    """A call refused at authentication must never appear as a successful call of the key's account."""
    server = clean
    bad = Creds(server.root.access_key, random_secret())
    with pytest.raises(ClientError):
        server.client("sts", bad).get_caller_identity()
    for e in server.all_events():
        d = _details(e)
        if d["eventName"] == "GetCallerIdentity":
            assert d.get("errorCode") == "SignatureDoesNotMatch", d


def test_events_contain_no_secret(clean):
    server = clean
    server.client("sts").get_caller_identity()
    server.aws("sts", "get-caller-identity")
    with pytest.raises(ClientError):
        server.client("sts", Creds(server.root.access_key, random_secret())).get_caller_identity()
    ct = server.client("cloudtrail")
    raw = []
    token = None
    while True:
        resp = ct.lookup_events(**({"NextToken": token} if token else {}))
        raw.append(json.dumps(resp, default=str))
        token = resp.get("NextToken")
        if not token:
            break
    blob = "\n".join(raw)
    assert "GetCallerIdentity" in blob
    assert server.root.secret_key not in blob
    assert "aws_secret_access_key" not in blob.lower()
    assert "secretaccesskey" not in blob.lower()


def test_unknown_lookup_attribute_key_is_refused(populated):
    with pytest.raises(ClientError) as e:
        populated.client("cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "Bogus", "AttributeValue": "x"}])
    assert e.value.response["Error"]["Code"] == "InvalidLookupAttributesException"


def test_event_time_is_now(clean):
    server = clean
    t0 = datetime.datetime.now(datetime.timezone.utc)
    server.client("sts").get_caller_identity()
    (e,) = server.all_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    assert abs((e["EventTime"] - t0).total_seconds()) < 5
    d = _details(e)
    parsed = datetime.datetime.strptime(d["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((parsed - t0).total_seconds()) < 5
    assert d["userAgent"].startswith("Boto3/") or "Botocore" in d["userAgent"] or "botocore" in d["userAgent"]
