//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import Testing

@Suite struct UsersTests {
    @Test func createGetDelete() async throws {
        let iam = IAMHarness()
        let created = try await iam.ok("CreateUser", ["UserName": "bob", "Path": "/team/"])
        #expect(created.value("User", "Arn") == "arn:aws:iam::111122223333:user/team/bob")
        #expect(created["UserId"]?.hasPrefix("AIDA") == true)
        let got = try await iam.ok("GetUser", ["UserName": "BOB"])
        #expect(got.value("User", "UserName") == "bob")
        let dup = try await iam.call("CreateUser", ["UserName": "Bob"])
        #expect(dup.status == 409)
        #expect(dup.errorCode == "EntityAlreadyExists")
        try await iam.ok("DeleteUser", ["UserName": "bob"])
        let gone = try await iam.call("GetUser", ["UserName": "bob"])
        #expect(gone.errorCode == "NoSuchEntity")
        #expect(gone.errorMessage == "The user with name bob cannot be found.")
    }
}
