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

@testable import NimbusS3

@Suite struct ReplicationSettingsTests {
    static let role = ShapeValue.string("arn:aws:iam::123456789012:role/replication")

    static func rule(_ members: [String: ShapeValue]) -> ShapeValue {
        var rule: [String: ShapeValue] = ["Status": .string("Enabled"), "Destination": .structure(["Bucket": .string("arn:aws:s3:::dest")])]
        rule.merge(members) { _, new in new }
        return .structure(rule)
    }

    @Test func theRuleOfHighestPriorityThatMatchesReplicates() throws {
        let settings = try S3Service.replicationSettings(.structure(["Role": Self.role, "Rules": .list([
            Self.rule(["ID": .string("all"), "Priority": .integer(1), "Filter": .structure([:]),
                       "DeleteMarkerReplication": .structure(["Status": .string("Disabled")])]),
            Self.rule(["ID": .string("tagged"), "Priority": .integer(5), "DeleteMarkerReplication": .structure(["Status": .string("Disabled")]),
                       "Filter": .structure(["And": .structure(["Prefix": .string("logs/"),
                                                                "Tags": .list([.structure(["Key": .string("keep"), "Value": .string("yes")])])])])]),
            Self.rule(["ID": .string("off"), "Priority": .integer(9), "Status": .string("Disabled"), "Filter": .structure([:]),
                       "DeleteMarkerReplication": .structure(["Status": .string("Disabled")])]),
        ])]))
        #expect(settings.rule(for: "logs/a", tags: ["keep": "yes"])?.id == "tagged")
        #expect(settings.rule(for: "logs/a", tags: ["keep": "no"])?.id == "all")
        #expect(settings.rule(for: "other", tags: nil)?.id == "all")
        #expect(settings.rules.map(\.destination) == ["dest", "dest", "dest"])
        // The configuration goes back as it came, through its JSON form.
        let json = try JSONEncoder().encode(settings.document)
        #expect(try JSONDecoder().decode(StoredShape.self, from: json).value == settings.document.value)
    }

    @Test func s3sChecksRefuseWhatS3Refuses() {
        func code(_ configuration: ShapeValue) -> String? {
            do { _ = try S3Service.replicationSettings(configuration); return nil } catch let error as AWSError { return error.code } catch { return "?" }
        }
        #expect(code(.structure(["Role": Self.role, "Rules": .list([])])) == "MalformedXML")
        #expect(code(.structure(["Role": .string("role"), "Rules": .list([Self.rule([:])])])) == "InvalidArgument")
        #expect(code(.structure(["Role": Self.role, "Rules": .list([Self.rule(["Filter": .structure([:])])])])) == "InvalidRequest")
        #expect(code(.structure(["Role": Self.role, "Rules": .list([Self.rule(["Destination": .structure(["Bucket": .string("dest")])])])])) == "InvalidArgument")
        #expect(code(.structure(["Role": Self.role, "Rules": .list([Self.rule(["ID": .string("a")]), Self.rule(["ID": .string("a")])])])) == "InvalidArgument")
        #expect(code(.structure(["Role": Self.role, "Rules": .list([Self.rule(["Status": .string("On")])])])) == "MalformedXML")
        #expect(code(.structure(["Role": Self.role, "Rules": .list([Self.rule([:])])])) == nil)
    }
}
