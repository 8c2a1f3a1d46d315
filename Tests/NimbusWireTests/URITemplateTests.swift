//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusWire
import Testing

@Suite struct URITemplateTests {
    static let templates = [
        "/", "/{Bucket}", "/{Bucket}/{Key+}", "/{Bucket}?acl", "/{Bucket}/{Key+}?uploads", "/v1/{Id}/tags",
        "/{A}/{B}", "/{A}/literal/{B+}", "/2015-03-31/functions/{FunctionName}/invocations",
    ]

    /// Every path of up to three segments drawn from a few values, the empty one among them.
    static let paths: [[String]] = {
        let values = ["", "b", "k", "v1", "tags", "literal", "2015-03-31"]
        var paths: [[String]] = [[]]
        var frontier: [[String]] = [[]]
        for _ in 0..<3 {
            frontier = frontier.flatMap { path in values.map { path + [$0] } }
            paths += frontier
        }
        return paths + [["2015-03-31", "functions", "f", "invocations"], ["b", "a", "b", "c", ""]]
    }()

    @Test(arguments: templates)
    func matchesAgreesWithMatch(_ template: String) {
        let parsed = URITemplate(template)
        for path in Self.paths {
            #expect(parsed.matches(path) == (parsed.match(path) != nil), "\(template) against \(path)")
        }
    }

    @Test func greedyLabelsTakeTheRestOfThePath() {
        let template = URITemplate("/{Bucket}/{Key+}")
        #expect(template.match(["b", "a", "", "c"]) == ["Bucket": "b", "Key": "a//c"])
        #expect(template.match(["b", ""]) == nil)
        #expect(template.match(["b", "", ""]) == ["Bucket": "b", "Key": "/"])
        #expect(URITemplate("/{Bucket}").match(["b", ""]) == ["Bucket": "b"])
    }
}
