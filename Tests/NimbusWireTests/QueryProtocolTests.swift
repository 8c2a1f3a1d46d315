//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusWire
import Testing

@Suite struct QueryProtocolTests {
    let sts = ServiceCodec(model: .sts)
    let iam = ServiceCodec(model: .iam)

    @Test func getCallerIdentityRoundTrip() throws {
        let request = formRequest("Action=GetCallerIdentity&Version=2011-06-15")
        // `Operation` alone is ambiguous next to Foundation's; spell the module.
        let operation: NimbusWire.Operation = try sts.operation(for: request)
        #expect(operation.name == "GetCallerIdentity")
        #expect(try sts.decodeInput(operation, from: request) == .structure([:]))
        let output = ShapeValue.structure([
            "Arn": .string("arn:aws:iam::123456789012:user/alice"),
            "UserId": .string("AIDAEXAMPLE"),
            "Account": .string("123456789012"),
        ])
        let response = sts.encodeOutput(operation, output, requestID: "req-1")
        #expect(response.status == 200)
        #expect(response.headers.map(\.name) == ["x-amzn-RequestId", "Content-Type"])
        #expect(response.header("Content-Type") == "text/xml")
        #expect(response.header("x-amzn-RequestId") == "req-1")
        #expect(
            text(response.body)
                == #"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>"#
                + "<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn>"
                + "</GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )
    }

    @Test func getRequestWithActionInTheQueryString() throws {
        let request = WireRequest(method: "GET", path: "/", query: "Action=GetCallerIdentity&Version=2011-06-15", host: "sts.localhost")
        #expect(try sts.operation(for: request).name == "GetCallerIdentity")
    }

    @Test func assumeRoleRequestDecoding() throws {
        let request = formRequest(
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo"
                + "&RoleSessionName=alice%2Bsession&DurationSeconds=3600"
                + "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"
                + "&Tags.member.2.Key=team&Tags.member.2.Value=blue&Tags.member.1.Key=project&Tags.member.1.Value=nimbus"
                + "&TransitiveTagKeys.member.1=project&Unknown=ignored"
        )
        let operation = try sts.operation(for: request)
        let input = try sts.decodeInput(operation, from: request)
        #expect(
            input
                == .structure([
                    "RoleArn": .string("arn:aws:iam::123456789012:role/demo"),
                    "RoleSessionName": .string("alice+session"),
                    "DurationSeconds": .integer(3600),
                    "PolicyArns": .list([.structure(["arn": .string("arn:aws:iam::aws:policy/ReadOnlyAccess")])]),
                    "Tags": .list([
                        .structure(["Key": .string("project"), "Value": .string("nimbus")]),
                        .structure(["Key": .string("team"), "Value": .string("blue")]),
                    ]),
                    "TransitiveTagKeys": .list([.string("project")]),
                ])
        )
    }

    @Test func assumeRoleResponseBytes() throws {
        let operation = try #require(ServiceModel.sts.operations["AssumeRole"])
        let output = ShapeValue.structure([
            "Credentials": .structure([
                "AccessKeyId": .string("ASIAEXAMPLE"),
                "SecretAccessKey": .string("secret"),
                "SessionToken": .string("token"),
                "Expiration": .timestamp(fixedDate),
            ]),
            "AssumedRoleUser": .structure([
                "AssumedRoleId": .string("AROAEXAMPLE:alice"),
                "Arn": .string("arn:aws:sts::123456789012:assumed-role/demo/alice"),
            ]),
            "PackedPolicySize": .integer(6),
        ])
        let response = sts.encodeOutput(operation, output, requestID: "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        #expect(
            text(response.body)
                == #"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>"#
                + "<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>"
                + "<SessionToken>token</SessionToken><Expiration>2026-11-22T17:00:00Z</Expiration></Credentials>"
                + "<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:alice</AssumedRoleId>"
                + "<Arn>arn:aws:sts::123456789012:assumed-role/demo/alice</Arn></AssumedRoleUser>"
                + "<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>"
                + "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></AssumeRoleResponse>"
        )
    }

    @Test func iamListUsersResponseWrapsListMembers() throws {
        let operation = try #require(ServiceModel.iam.operations["ListUsers"])
        let user = ShapeValue.structure([
            "Path": .string("/"),
            "UserName": .string("alice & bob"),
            "UserId": .string("AIDAEXAMPLE"),
            "Arn": .string("arn:aws:iam::123456789012:user/alice"),
            "CreateDate": .timestamp(Date(timeIntervalSince1970: 1_704_164_645.5)),
        ])
        let output = ShapeValue.structure(["Users": .list([user]), "IsTruncated": .boolean(false)])
        let response = iam.encodeOutput(operation, output, requestID: "r")
        #expect(
            text(response.body)
                == #"<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users><member>"#
                + "<Path>/</Path><UserName>alice &amp; bob</UserName><UserId>AIDAEXAMPLE</UserId>"
                + "<Arn>arn:aws:iam::123456789012:user/alice</Arn><CreateDate>2024-01-02T03:04:05.500Z</CreateDate>"
                + "</member></Users><IsTruncated>false</IsTruncated></ListUsersResult>"
                + "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>"
        )
    }

    @Test func iamListInputAndEmptyOutput() throws {
        let request = formRequest(
            "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=User&Filter.member.2=Role&MaxItems=10"
        )
        let operation = try iam.operation(for: request)
        let input = try iam.decodeInput(operation, from: request)
        #expect(input["Filter"] == .list([.string("User"), .string("Role")]))
        #expect(input["MaxItems"] == .integer(10))

        let delete = try #require(ServiceModel.iam.operations["DeleteUser"])
        let response = iam.encodeOutput(delete, .empty, requestID: "r")
        #expect(
            text(response.body)
                == #"<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">"#
                + "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>"
        )
    }

    @Test func validationErrorsNameMembersInCamelCase() {
        let error = decodeError(sts, formRequest("Action=AssumeRole&Version=2011-06-15"))
        #expect(error?.code == "ValidationError")
        #expect(error?.status == 400)
        #expect(
            error?.message
                == "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; "
                + "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"
        )
    }

    @Test func rangeLengthPatternAndEnumConstraints() {
        let base = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo"
        let short = decodeError(sts, formRequest(base + "&RoleSessionName=s&DurationSeconds=100"))
        #expect(
            short?.message
                == "2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: "
                + "Member must have length greater than or equal to 2; "
                + "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        )
        let pattern = decodeError(sts, formRequest(base + "&RoleSessionName=bad%20name"))
        #expect(
            pattern?.message
                == "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: "
                + #"Member must satisfy regular expression pattern: [\w+=,.@-]*"#
        )
        let nested = decodeError(sts, formRequest(base + "&RoleSessionName=ok&Tags.member.1.Key=k"))
        #expect(
            nested?.message
                == "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"
        )
        let enumValue = decodeError(iam, formRequest("Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=Robot"))
        #expect(
            enumValue?.message
                == "1 validation error detected: Value 'Robot' at 'filter.1.member' failed to satisfy constraint: "
                + "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"
        )
        let sensitive = decodeError(iam, formRequest("Action=CreateLoginProfile&Version=2010-05-08&UserName=alice&Password="))
        #expect(
            sensitive?.message
                == "2 validation errors detected: Value at 'password' failed to satisfy constraint: "
                + #"Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+; "#
                + "Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
        let notANumber = decodeError(sts, formRequest(base + "&RoleSessionName=ok&DurationSeconds=abc"))
        #expect(notANumber?.code == "ValidationError")
    }

    @Test func unknownAndMissingAction() {
        let unknown = decodeError(sts, formRequest("Action=FlyToTheMoon&Version=2011-06-15"))
        #expect(unknown?.code == "InvalidAction")
        #expect(unknown?.message == "Could not find operation FlyToTheMoon for version 2011-06-15")
        let missing = decodeError(sts, formRequest("Version=2011-06-15"))
        #expect(missing?.code == "MissingAction")
        #expect(missing?.status == 400)
    }

    @Test func errorResponseBytes() {
        let response = sts.encodeError(.accessDenied("User: alice is not authorized to perform: sts:AssumeRole"), requestID: "r-1")
        #expect(response.status == 403)
        #expect(response.header("Content-Type") == "text/xml")
        #expect(response.header("x-amzn-RequestId") == "r-1")
        #expect(
            text(response.body)
                == #"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>"#
                + "<Code>AccessDenied</Code><Message>User: alice is not authorized to perform: sts:AssumeRole</Message>"
                + "</Error><RequestId>r-1</RequestId></ErrorResponse>"
        )
        let server = iam.encodeError(.internalFailure(), requestID: "r-2")
        #expect(text(server.body).contains("<Type>Receiver</Type>"))
        #expect(server.status == 500)
    }
}

/// A query service with maps, flattened and not, as SNS and SQS use them.
let queryMapModel = try! ServiceModel(
    json: Array(
        #"""
        {"version":"2.0","metadata":{"apiVersion":"2012-11-05","endpointPrefix":"queues","protocol":"query","serviceId":"Queues","xmlNamespace":"http://queues.example/doc/2012-11-05/"},
         "operations":{"SetAttributes":{"name":"SetAttributes","http":{"method":"POST","requestUri":"/"},
            "input":{"shape":"SetAttributesRequest"},"output":{"shape":"SetAttributesResult","resultWrapper":"SetAttributesResult"}}},
         "shapes":{
          "SetAttributesRequest":{"type":"structure","members":{
             "Attributes":{"shape":"AttributeMap"},
             "Flat":{"shape":"FlatMap","locationName":"Attribute"},
             "Names":{"shape":"NameList","flattened":true}}},
          "AttributeMap":{"type":"map","key":{"shape":"String"},"value":{"shape":"String"}},
          "FlatMap":{"type":"map","key":{"shape":"String","locationName":"Name"},"value":{"shape":"String","locationName":"Value"},"flattened":true},
          "NameList":{"type":"list","member":{"shape":"String","locationName":"Name"}},
          "SetAttributesResult":{"type":"structure","members":{"Attributes":{"shape":"AttributeMap"},"Flat":{"shape":"FlatMap","locationName":"Attribute"}}},
          "String":{"type":"string"}}}
        """#.utf8
    )
)

@Suite struct QueryMapTests {
    let codec = ServiceCodec(model: queryMapModel)

    @Test func mapsAndFlattenedLists() throws {
        let request = formRequest(
            "Action=SetAttributes&Version=2012-11-05&Attributes.entry.1.key=Policy&Attributes.entry.1.value=%7B%7D"
                + "&Attributes.entry.2.key=Delay&Attributes.entry.2.value=5&Attribute.1.Name=A&Attribute.1.Value=1&Name.1=x&Name.2=y"
        )
        let operation = try codec.operation(for: request)
        #expect(
            try codec.decodeInput(operation, from: request)
                == .structure([
                    "Attributes": .map(["Policy": .string("{}"), "Delay": .string("5")]),
                    "Flat": .map(["A": .string("1")]),
                    "Names": .list([.string("x"), .string("y")]),
                ])
        )
        let output = ShapeValue.structure(["Attributes": .map(["b": .string("2"), "a": .string("1")]), "Flat": .map(["k": .string("v")])])
        #expect(
            text(codec.encodeOutput(operation, output, requestID: "r").body)
                == #"<SetAttributesResponse xmlns="http://queues.example/doc/2012-11-05/"><SetAttributesResult>"#
                + "<Attributes><entry><key>a</key><value>1</value></entry><entry><key>b</key><value>2</value></entry></Attributes>"
                + "<Attribute><Name>k</Name><Value>v</Value></Attribute>"
                + "</SetAttributesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SetAttributesResponse>"
        )
    }
}
