//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusWire
import Testing

@Suite struct ServiceModelTests {
    @Test func importedModelsLoad() {
        let sts = ServiceModel.sts
        #expect(sts.protocol == .query)
        #expect(sts.apiVersion == "2011-06-15")
        #expect(sts.signingName == "sts")
        #expect(sts.xmlNamespace == "https://sts.amazonaws.com/doc/2011-06-15/")
        #expect(sts.operations["AssumeRole"]?.output?.resultWrapper == "AssumeRoleResult")

        let kms = ServiceModel.kms
        #expect(kms.protocol == .json(version: "1.1"))
        #expect(kms.targetPrefix == "TrentService")

        let cloudTrail = ServiceModel.cloudtrail
        #expect(cloudTrail.targetPrefix == "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101")
        #expect(cloudTrail.signingName == "cloudtrail")

        let iam = ServiceModel.iam
        #expect(iam.protocol == .query)
        #expect(iam.operations.count > 150)

        let s3 = ServiceModel.s3
        #expect(s3.protocol == .restXML)
        #expect(s3.operations["PutObject"]?.streamingInputMember == "Body")
        #expect(s3.operations["GetObject"]?.streamingOutputMember == "Body")
        #expect(s3.operations["ListObjectsV2"]?.requestURI == "/{Bucket}?list-type=2")
    }

    @Test func membersKeepModelOrder() throws {
        let shape = try #require(ServiceModel.sts.shapes["GetCallerIdentityResponse"])
        #expect(shape.members.map(\.name) == ["UserId", "Account", "Arn"])
        let assumeRole = try #require(ServiceModel.sts.shapes["AssumeRoleRequest"])
        #expect(assumeRole.required == ["RoleArn", "RoleSessionName"])
        #expect(ServiceModel.sts.shapes["accessKeySecretType"]?.sensitive == true)
    }

    /// The compiled-in models parse their shapes on first use: every one of them must parse, and a
    /// shape's name must be the name it is found under.
    @Test(arguments: [ServiceModel.sts, .iam, .s3, .s3control, .kms, .cloudtrail])
    func everyGeneratedShapeLoads(model: ServiceModel) throws {
        #expect(model.shapes.count > 0)
        #expect(Set(model.shapes.names).count == model.shapes.count)
        for name in model.shapes.names {
            let shape = try #require(model.shapes[name])
            #expect(shape.name == name)
        }
    }

    /// Loading lazily (the compiled-in models) and loading at once (`init(json:)`) give the same model.
    @Test func lazyLoadingMatchesEagerLoading() throws {
        let json: StaticString = #"""
            { "version" : "2.0",
              "metadata": {"apiVersion":"2026-01-01","endpointPrefix":"demo","protocol":"rest-xml","serviceId":"Demo",
                           "nested":{"a":[1,2,{"b":"}"}],"c":-1.5e3,"d":true,"e":null}},
              "operations": {
                "Put": {"name":"Put","http":{"method":"PUT","requestUri":"/{Bucket}/{Key+}","responseCode":204},
                        "input":{"shape":"PutRequest"},"output":{"shape":"PutOutput"}},
                "Get": {"name":"Get","http":{"method":"GET","requestUri":"/{Bucket}/{Key+}"},
                        "input":{"shape":"GetRequest"},"output":{"shape":"GetOutput"}}
              },
              "shapes" : {
                "PutRequest":{"type":"structure","required":["Bucket","Key"],"members":{
                  "Bucket":{"shape":"Name","location":"uri","locationName":"Bucket"},
                  "Key":{"shape":"Name","location":"uri","locationName":"Key"},
                  "Body":{"shape":"Stream","streaming":true}},"payload":"Body"},
                "PutOutput":{"type":"structure","members":{}},
                "GetRequest":{"type":"structure","members":{"Bucket":{"shape":"Name","location":"uri","locationName":"Bucket"},
                  "Key":{"shape":"Name","location":"uri","locationName":"Key"}}},
                "GetOutput":{"type":"structure","members":{"Body":{"shape":"Stream"},
                  "Note":{"shape":"Name","locationName":"say \"payload\" here"}},"payload":"Body"},
                "Stream":{"type":"blob","streaming":true},
                "Name":{"type":"string","min":1,"max":1024,"pattern":"[^\\/]+"},
                "Esc\u0061ped":{"type":"list","member":{"shape":"Name"},"min":0},
                "Empty":{}
              }
            }
            """#
        let lazy = ServiceModel.generated(json: json)
        let eager = try ServiceModel(json: json.withUTF8Buffer { Array($0) })
        #expect(Set(lazy.shapes.names) == Set(eager.shapes.names))
        #expect(lazy.shapes["Escaped"]?.type == .list)
        for name in eager.shapes.names {
            #expect(lazy.shapes[name] == eager.shapes[name], "\(name)")
        }
        #expect(lazy.shapes["Missing"] == nil)
        #expect(lazy.protocol == eager.protocol)
        #expect(lazy.serviceID == "Demo" && lazy.apiVersion == eager.apiVersion)
        #expect(Set(lazy.operations.keys) == Set(eager.operations.keys))
        for (name, operation) in eager.operations {
            let other = try #require(lazy.operations[name])
            #expect(other == operation)
            #expect(other.responseCode == operation.responseCode)
            #expect(other.input == operation.input && other.output == operation.output)
            #expect(other.streamingInputMember == operation.streamingInputMember)
            #expect(other.streamingOutputMember == operation.streamingOutputMember)
        }
        #expect(lazy.operations["Put"]?.streamingInputMember == "Body")
        #expect(lazy.operations["Get"]?.streamingOutputMember == "Body")
    }

    @Test func streamingPayloadTraits() throws {
        let s3 = ServiceModel.s3
        let putObject = try #require(s3.shapes["PutObjectRequest"])
        #expect(putObject.payload == "Body")
        #expect(putObject[member: "Metadata"]?.ref.location == .headers)
        #expect(putObject[member: "Metadata"]?.ref.locationName == "x-amz-meta-")
        #expect(putObject[member: "Key"]?.ref.location == .uri)
    }
}
