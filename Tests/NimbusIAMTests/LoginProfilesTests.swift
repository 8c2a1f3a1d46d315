//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusStorage
import Testing

@testable import NimbusIAM

@Suite struct LoginProfilesTests {
    static let account = IAMHarness.account
    static let good = "Correct-Horse-7"

    @Test func createGetUpdateDelete() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        let missing = try await iam.call("GetLoginProfile", ["UserName": "bob"])
        #expect(missing.status == 404)
        #expect(missing.errorMessage == "Login Profile for User bob cannot be found.")

        let created = try await iam.ok("CreateLoginProfile", ["UserName": "bob", "Password": Self.good, "PasswordResetRequired": "true"])
        #expect(created.value("LoginProfile", "UserName") == "bob")
        #expect(created.value("LoginProfile", "PasswordResetRequired") == "true")
        #expect(!created.xml.contains(Self.good))
        let duplicate = try await iam.call("CreateLoginProfile", ["UserName": "bob", "Password": Self.good])
        #expect(duplicate.errorCode == "EntityAlreadyExists")

        #expect(try await iam.ok("GetLoginProfile", ["UserName": "bob"]).value("LoginProfile", "PasswordResetRequired") == "true")
        try await iam.ok("UpdateLoginProfile", ["UserName": "bob", "PasswordResetRequired": "false"])
        #expect(try await iam.ok("GetLoginProfile", ["UserName": "bob"]).value("LoginProfile", "PasswordResetRequired") == "false")
        try await iam.ok("UpdateLoginProfile", ["UserName": "bob", "Password": "Another-Pass-8"])

        // Only slow salted hashes are stored.
        let stored = try await iam.storedText(IAMKeys.loginProfiles)
        #expect(!stored.contains(Self.good) && !stored.contains("Another-Pass-8"))
        #expect(stored.contains("$pbkdf2-sha256$"))

        #expect(try await iam.call("DeleteUser", ["UserName": "bob"]).errorMessage == "Cannot delete entity, must delete login profile first.")
        try await iam.ok("DeleteLoginProfile", ["UserName": "bob"])
        #expect(try await iam.call("DeleteLoginProfile", ["UserName": "bob"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("CreateLoginProfile", ["UserName": "nobody", "Password": Self.good]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("UpdateLoginProfile", ["UserName": "bob", "Password": Self.good]).errorCode == "NoSuchEntity")
    }

    @Test func defaultRulesWithoutPolicy() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        for weak in ["short", "alllowercaseletters", "passwordonly"] {
            let refused = try await iam.call("CreateLoginProfile", ["UserName": "bob", "Password": weak])
            #expect(refused.errorCode == "PasswordPolicyViolation", "\(weak)")
            #expect(refused.status == 400)
            #expect(refused.errorMessage?.contains(weak) == false)
        }
        #expect(try await iam.call("GetLoginProfile", ["UserName": "bob"]).errorCode == "NoSuchEntity")
    }

    @Test func accountPasswordPolicy() async throws {
        let iam = IAMHarness.credentials()
        let none = try await iam.call("GetAccountPasswordPolicy")
        #expect(none.status == 404)
        #expect(none.errorMessage == "The Password Policy with domain name \(Self.account) cannot be found.")
        #expect(try await iam.call("DeleteAccountPasswordPolicy").errorCode == "NoSuchEntity")

        try await iam.ok("UpdateAccountPasswordPolicy", [
            "MinimumPasswordLength": "12", "RequireSymbols": "true", "RequireNumbers": "true",
            "RequireUppercaseCharacters": "true", "RequireLowercaseCharacters": "true",
            "AllowUsersToChangePassword": "true", "MaxPasswordAge": "90", "PasswordReusePrevention": "3",
        ])
        let policy = try await iam.ok("GetAccountPasswordPolicy")
        #expect(policy["MinimumPasswordLength"] == "12")
        #expect(policy["RequireSymbols"] == "true")
        #expect(policy["ExpirePasswords"] == "true")
        #expect(policy["MaxPasswordAge"] == "90")
        #expect(policy["PasswordReusePrevention"] == "3")
        #expect(policy["AllowUsersToChangePassword"] == "true")
        #expect(try await iam.service.allowsUsersToChangePassword(in: Self.account))

        try await iam.createUser("bob")
        let cases: [(String, String)] = [
            ("Sh0rt!", "Password should have a minimum length of 12"),
            ("nosymbols12ABC", "Password should have at least one symbol"),
            ("no-numbers-ABCdef", "Password should have at least one number"),
            ("no-upper-case-123", "Password should have at least one uppercase letter"),
            ("NO-LOWER-CASE-123", "Password should have at least one lowercase letter"),
        ]
        for (password, message) in cases {
            let refused = try await iam.call("CreateLoginProfile", ["UserName": "bob", "Password": password])
            #expect(refused.errorCode == "PasswordPolicyViolation")
            #expect(refused.errorMessage == message)
        }
        try await iam.ok("CreateLoginProfile", ["UserName": "bob", "Password": "Valid-Password-1"])

        // Out-of-range parameters are refused and leave the policy alone.
        #expect(try await iam.call("UpdateAccountPasswordPolicy", ["MinimumPasswordLength": "5"]).status == 400)
        #expect(try await iam.call("UpdateAccountPasswordPolicy", ["PasswordReusePrevention": "25"]).status == 400)
        #expect(try await iam.call("UpdateAccountPasswordPolicy", ["MaxPasswordAge": "1096"]).status == 400)
        #expect(try await iam.ok("GetAccountPasswordPolicy")["MinimumPasswordLength"] == "12")

        // Omitted parameters take the defaults again.
        try await iam.ok("UpdateAccountPasswordPolicy", ["RequireSymbols": "true"])
        let reset = try await iam.ok("GetAccountPasswordPolicy")
        #expect(reset["MinimumPasswordLength"] == "6")
        #expect(reset["MaxPasswordAge"] == nil)
        #expect(reset["ExpirePasswords"] == "false")

        try await iam.ok("DeleteAccountPasswordPolicy")
        #expect(try await iam.call("GetAccountPasswordPolicy").errorCode == "NoSuchEntity")
    }

    @Test func reusePrevention() async throws {
        let iam = IAMHarness.credentials()
        try await iam.ok("UpdateAccountPasswordPolicy", ["PasswordReusePrevention": "2"])
        try await iam.createUser("bob")
        try await iam.ok("CreateLoginProfile", ["UserName": "bob", "Password": "first-password"])
        let same = try await iam.call("UpdateLoginProfile", ["UserName": "bob", "Password": "first-password"])
        #expect(same.errorCode == "PasswordPolicyViolation")
        #expect(same.errorMessage == "Policy constraint violation with password reuse prevention during password change")
        try await iam.ok("UpdateLoginProfile", ["UserName": "bob", "Password": "second-password"])
        #expect(try await iam.call("UpdateLoginProfile", ["UserName": "bob", "Password": "first-password"]).errorCode == "PasswordPolicyViolation")
        try await iam.ok("UpdateLoginProfile", ["UserName": "bob", "Password": "third-password"])
        // Two back is allowed again.
        try await iam.ok("UpdateLoginProfile", ["UserName": "bob", "Password": "first-password"])
    }

    @Test func changePassword() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.ok("UpdateAccountPasswordPolicy", ["MinimumPasswordLength": "10", "AllowUsersToChangePassword": "true", "PasswordReusePrevention": "1"])
        try await iam.createUser("bob")
        try await iam.ok("CreateLoginProfile", ["UserName": "bob", "Password": "initial-pass", "PasswordResetRequired": "true"])
        let bob = IAMHarness.userPrincipal("bob")

        let wrong = try await iam.call("ChangePassword", ["OldPassword": "not-the-password", "NewPassword": "brand-new-pass"], as: bob)
        #expect(wrong.errorCode == "AccessDenied")
        #expect(wrong.errorMessage?.contains("not-the-password") == false)
        let weak = try await iam.call("ChangePassword", ["OldPassword": "initial-pass", "NewPassword": "short"], as: bob)
        #expect(weak.errorCode == "PasswordPolicyViolation")
        let reused = try await iam.call("ChangePassword", ["OldPassword": "initial-pass", "NewPassword": "initial-pass"], as: bob)
        #expect(reused.errorCode == "PasswordPolicyViolation")

        try await iam.ok("ChangePassword", ["OldPassword": "initial-pass", "NewPassword": "brand-new-pass"], as: bob)
        #expect(try await iam.ok("GetLoginProfile", ["UserName": "bob"]).value("LoginProfile", "PasswordResetRequired") == "false")
        #expect(try await iam.call("ChangePassword", ["OldPassword": "initial-pass", "NewPassword": "another-pass"], as: bob).errorCode == "AccessDenied")
        try await iam.ok("ChangePassword", ["OldPassword": "brand-new-pass", "NewPassword": "another-pass"], as: bob)

        // Only IAM users change their own password; a user without a profile has none to change.
        #expect(try await iam.call("ChangePassword", ["OldPassword": "x", "NewPassword": "y"]).errorCode == "InvalidUserType")
        try await iam.createUser("alice")
        #expect(try await iam.call("ChangePassword", ["OldPassword": "x", "NewPassword": "y"], as: IAMHarness.userPrincipal("alice")).errorCode == "NoSuchEntity")

        // Hard expiry: after MaxPasswordAge the user cannot set a new password itself.
        try await iam.ok("UpdateAccountPasswordPolicy", ["MaxPasswordAge": "1", "HardExpiry": "true"])
        clock.advance(by: 2 * 86_400)
        let expired = try await iam.call("ChangePassword", ["OldPassword": "another-pass", "NewPassword": "yet-another-pass"], as: bob)
        #expect(expired.errorCode == "EntityTemporarilyUnmodifiable")
        try await iam.ok("UpdateLoginProfile", ["UserName": "bob", "Password": "admin-set-password"])
    }

    @Test func hostileInput() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        let long = String(repeating: "A1a!", count: 40)
        let tooLong = try await iam.call("CreateLoginProfile", ["UserName": "bob", "Password": long])
        #expect(tooLong.status == 400)
        #expect(!tooLong.xml.contains(long))
        #expect(try await iam.call("CreateLoginProfile", ["UserName": "bob"]).status == 400)
        #expect(try await iam.call("GetLoginProfile", ["UserName": "../../etc"]).status == 400)
        #expect(try await iam.call("UpdateAccountPasswordPolicy", ["MinimumPasswordLength": "not-a-number"]).status == 400)
        #expect(try await iam.call("GetLoginProfile", ["UserName": "bob"]).errorCode == "NoSuchEntity")
    }
}
