//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusWire
import Testing

@Suite struct ServiceCatalogTests {
    let catalog = ServiceCatalog(models: [.sts, .iam, .kms, .cloudtrail, .s3])

    func identify(_ request: WireRequest, signing: String? = nil) -> String? {
        catalog.identify(request, signingService: signing)?.serviceID
    }

    @Test func bySigningScope() {
        #expect(identify(formRequest("Action=GetCallerIdentity&Version=2011-06-15"), signing: "sts") == "STS")
        #expect(identify(formRequest("Action=ListUsers&Version=2010-05-08"), signing: "iam") == "IAM")
        #expect(identify(WireRequest(method: "GET", path: "/bucket"), signing: "s3") == "S3")
    }

    @Test func byTargetHeader() {
        #expect(identify(jsonRequest(target: "TrentService.Encrypt", "{}")) == "KMS")
        #expect(identify(jsonRequest(target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", "{}")) == "CloudTrail")
        // The target wins over a signing scope that names another service.
        #expect(identify(jsonRequest(target: "TrentService.Encrypt", "{}"), signing: "sts") == "KMS")
    }

    @Test func byActionAndVersionWithoutSignature() {
        #expect(identify(formRequest("Action=GetCallerIdentity&Version=2011-06-15")) == "STS")
        #expect(identify(formRequest("Action=ListUsers&Version=2010-05-08")) == "IAM")
        #expect(identify(WireRequest(method: "GET", path: "/", query: "Action=AssumeRole&Version=2011-06-15")) == "STS")
    }

    @Test func byHost() {
        #expect(identify(WireRequest(method: "GET", path: "/", host: "s3.localhost:4566")) == "S3")
        #expect(identify(WireRequest(method: "GET", path: "/key", host: "bucket.s3.localhost:4566")) == "S3")
        #expect(identify(WireRequest(method: "GET", path: "/", host: "s3.us-east-1.localhost")) == "S3")
        #expect(identify(WireRequest(method: "GET", path: "/", host: "site.s3-website.localhost:4566")) == "S3")
        #expect(identify(formRequest("Action=GetCallerIdentity", host: "sts.localhost:4566")) == "STS")
        #expect(identify(formRequest("Action=GetCallerIdentity", host: "sts.us-east-1.localhost")) == "STS")
    }

    @Test func restLookingRequestsFallBackToS3() {
        #expect(identify(WireRequest(method: "PUT", path: "/bucket/key", host: "localhost:4566")) == "S3")
        #expect(identify(WireRequest(method: "GET", path: "/", host: "127.0.0.1:4566")) == "S3")
        let withoutS3 = ServiceCatalog(models: [.sts])
        #expect(withoutS3.identify(WireRequest(method: "PUT", path: "/bucket/key"), signingService: nil) == nil)
        #expect(withoutS3.identify(jsonRequest(target: "Nope.Op", "{}"), signingService: nil) == nil)
    }

    @Test func virtualHostedBucketNames() {
        #expect(ServiceCatalog.virtualHostedBucket(host: "photos.s3.localhost:4566") == "photos")
        #expect(ServiceCatalog.virtualHostedBucket(host: "my.photos.s3.us-east-1.localhost") == "my.photos")
        #expect(ServiceCatalog.virtualHostedBucket(host: "a.s3.b.s3.localhost") == "a.s3.b")
        #expect(ServiceCatalog.virtualHostedBucket(host: "photos.s3.amazonaws.com") == "photos")
        #expect(ServiceCatalog.virtualHostedBucket(host: "s3.localhost") == nil)
        #expect(ServiceCatalog.virtualHostedBucket(host: "localhost:4566") == nil)
        #expect(ServiceCatalog.virtualHostedBucket(host: "[::1]:4566") == nil)
        #expect(ServiceCatalog.virtualHostedBucket(host: "Photos.S3.LOCALHOST:4566") == "Photos")
        #expect(ServiceCatalog.virtualHostedBucket(host: "photos.s3x.localhost") == nil)
    }

    @Test func websiteEndpointBucketNames() {
        #expect(ServiceCatalog.websiteBucket(host: "site.s3-website.localhost:4566") == "site")
        #expect(ServiceCatalog.websiteBucket(host: "www.example.com.s3-website-us-east-1.localhost") == "www.example.com")
        #expect(ServiceCatalog.websiteBucket(host: "site.s3-website.eu-west-1.localhost") == "site")
        #expect(ServiceCatalog.websiteBucket(host: "Site.S3-Website.localhost") == "Site")
        #expect(ServiceCatalog.websiteBucket(host: "s3-website.localhost") == nil)
        #expect(ServiceCatalog.websiteBucket(host: "site.s3-websitex.localhost") == nil)
        #expect(ServiceCatalog.websiteBucket(host: "site.s3.localhost") == nil)
        #expect(ServiceCatalog.virtualHostedBucket(host: "site.s3-website.localhost") == nil)
    }
}

extension ServiceCatalogTests {
    @Test func unregisteredSigningServiceIsNotS3() {
        #expect(identify(WireRequest(method: "GET", path: "/2015-03-31/functions"), signing: "lambda") == nil)
    }
}
