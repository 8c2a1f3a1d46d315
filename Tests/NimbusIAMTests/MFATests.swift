//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusCredentials
import Testing

@testable import NimbusIAM

@Suite struct MFATests {
    static let account = IAMHarness.account

    /// Creates a virtual device and returns its serial number and an authenticator made from the returned seed.
    func device(_ iam: IAMHarness, _ name: String) async throws -> (serial: String, totp: TOTP) {
        let created = try await iam.ok("CreateVirtualMFADevice", ["VirtualMFADeviceName": name])
        let serial = try #require(created["SerialNumber"])
        let base32 = String(decoding: try #require(created.blob("Base32StringSeed")), as: UTF8.self)
        return (serial, TOTP(secret: try #require(Base32.decode(base32))))
    }

    func enable(_ iam: IAMHarness, _ user: String, _ serial: String, _ totp: TOTP, at now: Date, as principal: Principal? = nil) async throws -> IAMResponse {
        let counter = TOTP.counter(at: now)
        return try await iam.call(
            "EnableMFADevice",
            ["UserName": user, "SerialNumber": serial, "AuthenticationCode1": totp.code(counter: counter - 1), "AuthenticationCode2": totp.code(counter: counter)],
            as: principal
        )
    }

    @Test func createReturnsSeedAndQRCode() async throws {
        let iam = IAMHarness.credentials()
        let created = try await iam.ok("CreateVirtualMFADevice", ["VirtualMFADeviceName": "bob-phone", "Path": "/team/"])
        #expect(created["SerialNumber"] == "arn:aws:iam::\(Self.account):mfa/team/bob-phone")
        let seed = String(decoding: try #require(created.blob("Base32StringSeed")), as: UTF8.self)
        #expect(seed.count == 64)
        #expect(Base32.decode(seed)?.count == 40)
        let png = try #require(created.blob("QRCodePNG"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // The seed is sealed at rest.
        let stored = try await iam.storedText(IAMKeys.mfaDevices)
        #expect(!stored.contains(seed))
        #expect(try await iam.call("CreateVirtualMFADevice", ["VirtualMFADeviceName": "bob-phone", "Path": "/team/"]).errorCode == "EntityAlreadyExists")
    }

    @Test func enableListDeactivateDelete() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.createUser("bob")
        let (serial, totp) = try await device(iam, "bob-phone")
        #expect(try await iam.ok("ListVirtualMFADevices", ["AssignmentStatus": "Unassigned"]).texts("SerialNumber") == [serial])

        let enabled = try await enable(iam, "bob", serial, totp, at: clock.now)
        #expect(enabled.status == 200, "\(enabled)")
        let listed = try await iam.ok("ListMFADevices", ["UserName": "bob"])
        #expect(listed.texts("SerialNumber") == [serial])
        #expect(listed["UserName"] == "bob")
        #expect(listed["EnableDate"] != nil)
        let assigned = try await iam.ok("ListVirtualMFADevices", ["AssignmentStatus": "Assigned"])
        #expect(assigned.texts("SerialNumber") == [serial])
        #expect(assigned.value("User", "UserName") == "bob")
        #expect(assigned.xml.contains("Base32StringSeed") == false)
        #expect(try await iam.ok("ListVirtualMFADevices", ["AssignmentStatus": "Unassigned"]).texts("SerialNumber").isEmpty)
        #expect(try await iam.ok("ListVirtualMFADevices").texts("SerialNumber") == [serial])
        #expect(try await iam.ok("GetMFADevice", ["SerialNumber": serial, "UserName": "bob"])["SerialNumber"] == serial)

        // In use: the device and the user cannot be deleted, the device cannot be enabled twice.
        #expect(try await iam.call("DeleteVirtualMFADevice", ["SerialNumber": serial]).errorCode == "DeleteConflict")
        let user = try await iam.call("DeleteUser", ["UserName": "bob"])
        #expect(user.errorMessage == "Cannot delete entity, must delete MFA device first.")
        clock.advance(by: 60)
        #expect(try await enable(iam, "bob", serial, totp, at: clock.now).errorCode == "EntityAlreadyExists")

        try await iam.ok("DeactivateMFADevice", ["UserName": "bob", "SerialNumber": serial])
        #expect(try await iam.ok("ListMFADevices", ["UserName": "bob"]).texts("SerialNumber").isEmpty)
        #expect(try await iam.call("DeactivateMFADevice", ["UserName": "bob", "SerialNumber": serial]).errorCode == "NoSuchEntity")
        try await iam.ok("DeleteVirtualMFADevice", ["SerialNumber": serial])
        #expect(try await iam.call("DeleteVirtualMFADevice", ["SerialNumber": serial]).errorCode == "NoSuchEntity")
        try await iam.ok("DeleteUser", ["UserName": "bob"])
    }

    @Test func wrongAndReplayedCodes() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.createUser("bob")
        let (serial, totp) = try await device(iam, "bob")
        let now = TOTP.counter(at: clock.now)

        // Not consecutive, wrong, reversed: refused, and nothing changes.
        for (first, second) in [
            (totp.code(counter: now - 2), totp.code(counter: now)),
            ("000000", "000000"),
            (totp.code(counter: now), totp.code(counter: now - 1)),
        ] where !(first == totp.code(counter: now - 1) && second == totp.code(counter: now)) {
            let refused = try await iam.call(
                "EnableMFADevice", ["UserName": "bob", "SerialNumber": serial, "AuthenticationCode1": first, "AuthenticationCode2": second]
            )
            #expect(refused.status == 403)
            #expect(refused.errorCode == "InvalidAuthenticationCode")
            #expect(refused.errorMessage == "Authentication code for device is not valid.")
        }
        #expect(try await iam.ok("ListMFADevices", ["UserName": "bob"]).texts("SerialNumber").isEmpty)
        #expect(try await iam.call("EnableMFADevice", ["UserName": "bob", "SerialNumber": serial, "AuthenticationCode1": "abc", "AuthenticationCode2": "123456"]).status == 400)

        #expect(try await enable(iam, "bob", serial, totp, at: clock.now).status == 200)
        // The enabling codes are spent: STS cannot take the second one again.
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: totp.code(counter: now), at: clock.now) == false)
        // The next step's code is accepted once.
        clock.advance(by: 30)
        let next = totp.code(at: clock.now)
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: next, at: clock.now))
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: next, at: clock.now) == false)
        // Wrong account, unknown device, malformed codes.
        clock.advance(by: 30)
        let code = totp.code(at: clock.now)
        #expect(try await iam.service.verifyMFA(account: "999988887777", serialNumber: serial, code: code, at: clock.now) == false)
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial + "x", code: code, at: clock.now) == false)
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: "12345", at: clock.now) == false)
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: code + "0", at: clock.now) == false)
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: code, at: clock.now))
    }

    @Test func deactivatedDeviceRefusesCodes() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.createUser("bob")
        let (serial, totp) = try await device(iam, "bob")
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: totp.code(at: clock.now), at: clock.now) == false)
        #expect(try await enable(iam, "bob", serial, totp, at: clock.now).status == 200)
        try await iam.ok("DeactivateMFADevice", ["UserName": "bob", "SerialNumber": serial])
        clock.advance(by: 30)
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: totp.code(at: clock.now), at: clock.now) == false)
    }

    @Test func resync() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.createUser("bob")
        let (serial, totp) = try await device(iam, "bob")
        #expect(try await enable(iam, "bob", serial, totp, at: clock.now).status == 200)
        // The device's clock runs three minutes ahead.
        let ahead = TOTP.counter(at: clock.now) + 6
        try await iam.ok(
            "ResyncMFADevice",
            ["UserName": "bob", "SerialNumber": serial, "AuthenticationCode1": totp.code(counter: ahead), "AuthenticationCode2": totp.code(counter: ahead + 1)]
        )
        let replay = try await iam.call(
            "ResyncMFADevice",
            ["UserName": "bob", "SerialNumber": serial, "AuthenticationCode1": totp.code(counter: ahead), "AuthenticationCode2": totp.code(counter: ahead + 1)]
        )
        #expect(replay.errorCode == "InvalidAuthenticationCode")
        try await iam.createUser("alice")
        #expect(try await iam.call("ResyncMFADevice", ["UserName": "alice", "SerialNumber": serial, "AuthenticationCode1": "123456", "AuthenticationCode2": "234567"]).errorCode == "NoSuchEntity")
    }

    @Test func rootUserMFA() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        let (serial, totp) = try await device(iam, "root-account-mfa-device")
        #expect(serial == "arn:aws:iam::\(Self.account):mfa/root-account-mfa-device")
        // The root user names itself with its account id (or leaves UserName out where it may).
        #expect(try await enable(iam, Self.account, serial, totp, at: clock.now).status == 200)
        let listed = try await iam.ok("ListMFADevices")
        #expect(listed.texts("SerialNumber") == [serial])
        let virtual = try await iam.ok("ListVirtualMFADevices", ["AssignmentStatus": "Assigned"])
        #expect(virtual.value("User", "Arn") == "arn:aws:iam::\(Self.account):root")
        #expect(virtual.value("User", "UserId") == Self.account)
        clock.advance(by: 30)
        #expect(try await iam.service.verifyMFA(account: Self.account, serialNumber: serial, code: totp.code(at: clock.now), at: clock.now))
        // An IAM user cannot name the root user.
        try await iam.createUser("bob")
        let bob = IAMHarness.userPrincipal("bob")
        #expect(try await iam.call("DeactivateMFADevice", ["UserName": Self.account, "SerialNumber": serial], as: bob).errorCode == "NoSuchEntity")
        try await iam.ok("DeactivateMFADevice", ["SerialNumber": serial])
    }

    @Test func limitsAndErrors() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        #expect(try await iam.call("EnableMFADevice", ["UserName": "nobody", "SerialNumber": "arn:aws:iam::\(Self.account):mfa/x", "AuthenticationCode1": "123456", "AuthenticationCode2": "123456"]).errorCode == "NoSuchEntity")
        try await iam.createUser("bob")
        let missing = try await iam.call("EnableMFADevice", ["UserName": "bob", "SerialNumber": "arn:aws:iam::\(Self.account):mfa/x", "AuthenticationCode1": "123456", "AuthenticationCode2": "123456"])
        #expect(missing.errorCode == "NoSuchEntity")
        #expect(try await iam.call("ListMFADevices", ["UserName": "nobody"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("GetMFADevice", ["SerialNumber": "arn:aws:iam::\(Self.account):mfa/x", "UserName": "bob"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("ListVirtualMFADevices", ["AssignmentStatus": "Sometimes"]).status == 400)
        #expect(try await iam.call("CreateVirtualMFADevice", ["VirtualMFADeviceName": "bad name"]).status == 400)
        #expect(try await iam.call("CreateVirtualMFADevice", ["VirtualMFADeviceName": "x", "Path": "no-slash"]).status == 400)

        for i in 0..<IAMService.mfaDevicesPerUser {
            let (serial, totp) = try await device(iam, "bob-\(i)")
            #expect(try await enable(iam, "bob", serial, totp, at: clock.now).status == 200)
        }
        let (serial, totp) = try await device(iam, "bob-extra")
        let over = try await enable(iam, "bob", serial, totp, at: clock.now)
        #expect(over.errorCode == "LimitExceeded")
        #expect(over.errorMessage == "Cannot exceed quota for MFADevicesPerUser: 8")
    }

    @Test func tags() async throws {
        let iam = IAMHarness.credentials()
        let (serial, _) = try await device(iam, "tagged")
        try await iam.ok("TagMFADevice", ["SerialNumber": serial, "Tags.member.1.Key": "team", "Tags.member.1.Value": "blue", "Tags.member.2.Key": "env", "Tags.member.2.Value": "dev"])
        let tags = try await iam.ok("ListMFADeviceTags", ["SerialNumber": serial])
        #expect(tags.texts("Key") == ["team", "env"])
        try await iam.ok("UntagMFADevice", ["SerialNumber": serial, "TagKeys.member.1": "TEAM"])
        #expect(try await iam.ok("ListMFADeviceTags", ["SerialNumber": serial]).texts("Key") == ["env"])
        #expect(try await iam.call("TagMFADevice", ["SerialNumber": serial, "Tags.member.1.Key": "aws:x", "Tags.member.1.Value": "1"]).errorCode == "InvalidInput")
        #expect(try await iam.call("ListMFADeviceTags", ["SerialNumber": serial + "nope"]).errorCode == "NoSuchEntity")
    }
}
