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

/// A cut of the EC2 model: `queryName`/`locationName`, flattened `.N` lists, `item` list members.
let ec2Model = try! ServiceModel(
    json: Array(
        #"""
        {"version":"2.0","metadata":{"apiVersion":"2016-11-15","endpointPrefix":"ec2","protocol":"ec2","serviceId":"EC2","xmlNamespace":"http://ec2.amazonaws.com/doc/2016-11-15/"},
         "operations":{"DescribeSecurityGroups":{"name":"DescribeSecurityGroups","http":{"method":"POST","requestUri":"/"},
            "input":{"shape":"DescribeSecurityGroupsRequest"},"output":{"shape":"DescribeSecurityGroupsResult"}}},
         "shapes":{
          "DescribeSecurityGroupsRequest":{"type":"structure","members":{
             "GroupIds":{"shape":"GroupIdStringList","locationName":"GroupId"},
             "Filters":{"shape":"FilterList","locationName":"Filter"},
             "DryRun":{"shape":"Boolean","locationName":"dryRun"},
             "MaxResults":{"shape":"Integer"}}},
          "GroupIdStringList":{"type":"list","member":{"shape":"String","locationName":"groupId"}},
          "FilterList":{"type":"list","member":{"shape":"Filter","locationName":"Filter"}},
          "Filter":{"type":"structure","members":{"Name":{"shape":"String"},"Values":{"shape":"ValueStringList","locationName":"Value"}}},
          "ValueStringList":{"type":"list","member":{"shape":"String","locationName":"item"}},
          "DescribeSecurityGroupsResult":{"type":"structure","members":{
             "SecurityGroups":{"shape":"SecurityGroupList","locationName":"securityGroupInfo"},
             "NextToken":{"shape":"String","locationName":"nextToken"}}},
          "SecurityGroupList":{"type":"list","member":{"shape":"SecurityGroup","locationName":"item"}},
          "SecurityGroup":{"type":"structure","members":{
             "GroupId":{"shape":"String","locationName":"groupId"},
             "GroupName":{"shape":"String","locationName":"groupName"}}},
          "String":{"type":"string"},"Integer":{"type":"integer","min":5,"max":1000},"Boolean":{"type":"boolean"}}}
        """#.utf8
    )
)

/// A small rest-json service: URI labels, query, headers, a JSON body and an error with `x-amzn-ErrorType`.
let restJSONModel = try! ServiceModel(
    json: Array(
        #"""
        {"version":"2.0","metadata":{"apiVersion":"2026-01-01","endpointPrefix":"widgets","protocol":"rest-json","serviceId":"Widgets","signingName":"widgets"},
         "operations":{
          "CreateWidget":{"name":"CreateWidget","http":{"method":"POST","requestUri":"/v1/shops/{ShopId}/widgets","responseCode":201},
            "input":{"shape":"CreateWidgetRequest"},"output":{"shape":"CreateWidgetResponse"}},
          "GetWidget":{"name":"GetWidget","http":{"method":"GET","requestUri":"/v1/shops/{ShopId}/widgets/{WidgetId}"},
            "input":{"shape":"GetWidgetRequest"},"output":{"shape":"Widget"}},
          "ListWidgets":{"name":"ListWidgets","http":{"method":"GET","requestUri":"/v1/shops/{ShopId}/widgets"},
            "input":{"shape":"ListWidgetsRequest"},"output":{"shape":"ListWidgetsResponse"}}},
         "shapes":{
          "CreateWidgetRequest":{"type":"structure","required":["ShopId","Name"],"members":{
             "ShopId":{"shape":"Id","location":"uri","locationName":"ShopId"},
             "ClientToken":{"shape":"String","location":"header","locationName":"X-Client-Token","idempotencyToken":true},
             "Name":{"shape":"Name"},
             "Tags":{"shape":"TagMap"},
             "Created":{"shape":"Time"}}},
          "CreateWidgetResponse":{"type":"structure","members":{
             "WidgetId":{"shape":"Id"},"Location":{"shape":"String","location":"header","locationName":"Location"},
             "Created":{"shape":"Time"}}},
          "GetWidgetRequest":{"type":"structure","required":["ShopId","WidgetId"],"members":{
             "ShopId":{"shape":"Id","location":"uri","locationName":"ShopId"},
             "WidgetId":{"shape":"Id","location":"uri","locationName":"WidgetId"}}},
          "Widget":{"type":"structure","members":{"WidgetId":{"shape":"Id"},"Name":{"shape":"Name"}}},
          "ListWidgetsRequest":{"type":"structure","required":["ShopId"],"members":{
             "ShopId":{"shape":"Id","location":"uri","locationName":"ShopId"},
             "MaxResults":{"shape":"Max","location":"querystring","locationName":"maxResults"},
             "Colors":{"shape":"Colors","location":"querystring","locationName":"color"}}},
          "ListWidgetsResponse":{"type":"structure","members":{"Widgets":{"shape":"WidgetList"}}},
          "WidgetList":{"type":"list","member":{"shape":"Widget"}},
          "Colors":{"type":"list","member":{"shape":"String"}},
          "TagMap":{"type":"map","key":{"shape":"String"},"value":{"shape":"String"}},
          "Id":{"type":"string","pattern":"^[a-z0-9-]+$"},"Name":{"type":"string","min":1,"max":10},
          "Max":{"type":"integer","min":1,"max":100},"String":{"type":"string"},"Time":{"type":"timestamp"}}}
        """#.utf8
    )
)

@Suite struct EC2ProtocolTests {
    let ec2 = ServiceCodec(model: ec2Model)

    @Test func flattenedListsAndQueryNames() throws {
        let request = formRequest(
            "Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=sg-1&GroupId.2=sg-2"
                + "&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-a&Filter.1.Value.2=vpc-b&DryRun=false&MaxResults=10"
        )
        let operation = try ec2.operation(for: request)
        let input = try ec2.decodeInput(operation, from: request)
        #expect(
            input
                == .structure([
                    "GroupIds": .list([.string("sg-1"), .string("sg-2")]),
                    "Filters": .list([.structure(["Name": .string("vpc-id"), "Values": .list([.string("vpc-a"), .string("vpc-b")])])]),
                    "DryRun": .boolean(false),
                    "MaxResults": .integer(10),
                ])
        )
    }

    @Test func responseCarriesRequestIdFirst() throws {
        let operation = try #require(ec2Model.operations["DescribeSecurityGroups"])
        let output = ShapeValue.structure([
            "SecurityGroups": .list([.structure(["GroupId": .string("sg-1"), "GroupName": .string("default")])])
        ])
        let response = ec2.encodeOutput(operation, output, requestID: "59dbff89-35bd-4eac-99ed-be587EXAMPLE")
        #expect(
            text(response.body)
                == #"<?xml version="1.0" encoding="UTF-8"?><DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">"#
                + "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>"
                + "<securityGroupInfo><item><groupId>sg-1</groupId><groupName>default</groupName></item></securityGroupInfo>"
                + "</DescribeSecurityGroupsResponse>"
        )
    }

    @Test func errorsAndValidation() {
        let response = ec2.encodeError(AWSError(code: "InvalidGroup.NotFound", message: "The security group 'sg-9' does not exist"), requestID: "r")
        #expect(response.status == 400)
        #expect(
            text(response.body)
                == #"<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidGroup.NotFound</Code>"#
                + "<Message>The security group 'sg-9' does not exist</Message></Error></Errors><RequestID>r</RequestID></Response>"
        )
        let invalid = decodeError(ec2, formRequest("Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=1"))
        #expect(invalid?.code == "InvalidParameterValue")
        #expect(decodeError(ec2, formRequest("Action=RunRockets&Version=2016-11-15"))?.message == "The action RunRockets is not valid for this web service.")
    }
}

@Suite struct RestJSONProtocolTests {
    let codec = ServiceCodec(model: restJSONModel)

    @Test func labelsHeadersAndBody() throws {
        let request = WireRequest(
            method: "POST",
            path: "/v1/shops/shop-1/widgets",
            headers: [("X-Client-Token", "tok"), ("Content-Type", "application/json")],
            body: Array(#"{"Name":"gear","Tags":{"k":"v"},"Created":1795366800}"#.utf8)
        )
        let operation = try codec.operation(for: request)
        #expect(operation.name == "CreateWidget")
        #expect(
            try codec.decodeInput(operation, from: request)
                == .structure([
                    "ShopId": .string("shop-1"),
                    "ClientToken": .string("tok"),
                    "Name": .string("gear"),
                    "Tags": .map(["k": .string("v")]),
                    "Created": .timestamp(fixedDate),
                ])
        )
        let response = codec.encodeOutput(
            operation,
            .structure(["WidgetId": .string("w-1"), "Location": .string("/v1/shops/shop-1/widgets/w-1"), "Created": .timestamp(fixedDate)]),
            requestID: "r"
        )
        #expect(response.status == 201)
        #expect(response.header("Location") == "/v1/shops/shop-1/widgets/w-1")
        #expect(response.header("Content-Type") == "application/json")
        #expect(text(response.body) == #"{"WidgetId":"w-1","Created":1795366800}"#)
    }

    @Test func routingAndQueryLists() throws {
        let get = WireRequest(method: "GET", path: "/v1/shops/shop-1/widgets/w-2")
        #expect(try codec.operation(for: get).name == "GetWidget")
        let list = WireRequest(method: "GET", path: "/v1/shops/shop-1/widgets", query: "maxResults=5&color=red&color=blue")
        let operation = try codec.operation(for: list)
        #expect(operation.name == "ListWidgets")
        #expect(
            try codec.decodeInput(operation, from: list)
                == .structure(["ShopId": .string("shop-1"), "MaxResults": .integer(5), "Colors": .list([.string("red"), .string("blue")])])
        )
        #expect(decodeError(codec, WireRequest(method: "GET", path: "/v2/nothing"))?.code == "UnknownOperationException")
    }

    @Test func errorsAndValidation() {
        let response = codec.encodeError(AWSError(code: "ResourceNotFoundException", message: "No widget w-9", status: 404), requestID: "r")
        #expect(response.status == 404)
        #expect(response.header("x-amzn-ErrorType") == "ResourceNotFoundException")
        #expect(text(response.body) == #"{"message":"No widget w-9"}"#)

        let missing = decodeError(codec, WireRequest(method: "POST", path: "/v1/shops/shop-1/widgets", body: Array("{}".utf8)))
        #expect(missing?.code == "ValidationException")
        #expect(missing?.message == "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
        let badLabel = decodeError(codec, WireRequest(method: "GET", path: "/v1/shops/SHOP/widgets"))
        #expect(badLabel?.code == "ValidationException")
        let badJSON = decodeError(codec, WireRequest(method: "POST", path: "/v1/shops/s/widgets", body: Array("{".utf8)))
        #expect(badJSON?.code == "SerializationException")
    }
}
