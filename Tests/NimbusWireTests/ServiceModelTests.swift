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

    @Test func streamingPayloadTraits() throws {
        let s3 = ServiceModel.s3
        let putObject = try #require(s3.shapes["PutObjectRequest"])
        #expect(putObject.payload == "Body")
        #expect(putObject[member: "Metadata"]?.ref.location == .headers)
        #expect(putObject[member: "Metadata"]?.ref.locationName == "x-amz-meta-")
        #expect(putObject[member: "Key"]?.ref.location == .uri)
    }
}
