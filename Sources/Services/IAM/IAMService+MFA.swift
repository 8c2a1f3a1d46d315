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
import NimbusStorage
import NimbusWire

/// A virtual MFA device (RFC 6238 TOTP), by `<account>/<lowercased serial number>` in `IAMKeys.mfaDevices`.
///
/// The seed is sealed under the root key, bound to the serial number. `lastUsedCounter` is the time step
/// of the last accepted code: later codes must come from a later step, so no code is accepted twice.
struct MFADeviceRecord: Codable, Sendable {
    var SerialNumber: String
    var CreateDate: Date
    var sealedSeed: Data
    /// `<account>/<lowercased user>` (or ``MFAOwner/rootKey``) of the owner while enabled.
    var assignedTo: String?
    var EnableDate: Date?
    var lastUsedCounter: Int64?
    var Tags: [Tag]?

    static func sealContext(_ serial: String) -> String { "iam-mfa-seed:\(serial)" }
}

/// ```xml
/// <member><UserName>bob</UserName><SerialNumber>arn:aws:iam::111122223333:mfa/bob</SerialNumber><EnableDate>…</EnableDate></member>
/// ```
/// Also the per-owner index entry in `IAMKeys.userMFADevices`, key `<owner key>/<lowercased serial>`.
struct MFADeviceEntry: Codable, Sendable {
    var UserName: String
    var SerialNumber: String
    var EnableDate: Date
}

/// Who an MFA operation acts on: an IAM user or the account's root user.
struct MFAOwner: Sendable {
    /// `<account>/<lowercased user>`, or `<account>/:root` (`:` cannot occur in a user name).
    var key: String
    /// The user name; the account id for the root user, which has none.
    var userName: String
    var isRoot: Bool

    static func rootKey(_ account: String) -> String { "\(account)/:root" }
}

extension IAMKeys {
    /// The key of a virtual MFA device: serial numbers compare without case, like the names in them.
    static func mfaDeviceKey(_ account: String, _ serialNumber: String) -> String {
        "\(account)/\(serialNumber.lowercased())"
    }
}

extension IAMService {
    /// AWS's quota `MFADevicesPerUser`.
    static let mfaDevicesPerUser = 8

    func mfaHandlers() -> [String: OperationHandler] {
        [
            "CreateVirtualMFADevice": OperationHandler(createVirtualMFADevice),
            "EnableMFADevice": OperationHandler(enableMFADevice),
            "ResyncMFADevice": OperationHandler(resyncMFADevice),
            "DeactivateMFADevice": OperationHandler(deactivateMFADevice),
            "DeleteVirtualMFADevice": OperationHandler(deleteVirtualMFADevice),
            "ListMFADevices": OperationHandler(listMFADevices),
            "ListVirtualMFADevices": OperationHandler(listVirtualMFADevices),
            "GetMFADevice": OperationHandler(getMFADevice),
            "TagMFADevice": OperationHandler(tagMFADevice),
            "UntagMFADevice": OperationHandler(untagMFADevice),
            "ListMFADeviceTags": OperationHandler(listMFADeviceTags),
        ]
    }

    /// The owner an MFA operation names. Without `UserName`, the caller (an IAM user or the root user);
    /// the root user names itself with its account id, which is never a user of its own account here.
    func mfaOwner(_ given: String?, _ context: RequestContext) async throws -> MFAOwner {
        let account = account(context)
        let isRootCaller = context.principal.kind == .root
        if (given == nil && isRootCaller) || (given == account && isRootCaller) {
            return MFAOwner(key: MFAOwner.rootKey(account), userName: account, isRoot: true)
        }
        guard let name = given ?? userName(of: context.principal) else {
            throw AWSError.validation("Must specify userName when calling with non-User credentials")
        }
        let user = try await user(named: name, in: account)
        return MFAOwner(key: IAMKeys.nameKey(account, name), userName: user.UserName, isRoot: false)
    }

    static func noSuchMFADevice(_ serial: String) -> AWSError {
        IAMError.noSuchEntity("VirtualMFADevice with serial number \(serial) doesn't exist.")
    }

    static func noSuchMFADevice(_ serial: String, for owner: MFAOwner) -> AWSError {
        IAMError.noSuchEntity("MFA Device with serial number \(serial) does not exist for user \(owner.userName).")
    }

    // MARK: CreateVirtualMFADevice

    struct CreateVirtualMFADeviceInput: Decodable, Sendable {
        var Path: String?
        var VirtualMFADeviceName: String
        var Tags: [Tag]?
    }

    /// ```xml
    /// <VirtualMFADevice><SerialNumber>arn:aws:iam::111122223333:mfa/bob</SerialNumber>
    ///   <Base32StringSeed>base64 of the base-32 seed</Base32StringSeed><QRCodePNG>…</QRCodePNG></VirtualMFADevice>
    /// ```
    struct VirtualMFADevice: Encodable, Sendable {
        var SerialNumber: String
        var Base32StringSeed: [UInt8]?
        var QRCodePNG: [UInt8]?
        var User: UserRecord?
        var EnableDate: Date?
        var Tags: [Tag]?
    }

    struct CreateVirtualMFADeviceOutput: Encodable, Sendable {
        var VirtualMFADevice: VirtualMFADevice
    }

    @Sendable func createVirtualMFADevice(_ input: CreateVirtualMFADeviceInput, context: RequestContext) async throws -> CreateVirtualMFADeviceOutput {
        let account = account(context)
        let path = try IAMValidation.path(input.Path)
        let tags = try IAMValidation.tags(input.Tags)
        let name = input.VirtualMFADeviceName
        guard !name.isEmpty, name.utf8.count <= 226, name.allSatisfy(Self.isNameCharacter) else {
            throw IAMError.invalidInput("The specified value for virtualMFADeviceName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
        }
        let serial = "arn:aws:iam::\(account):mfa\(path)\(name)"
        guard serial.utf8.count <= 256 else {
            throw IAMError.invalidInput("The serial number of the device would be longer than 256 characters.")
        }
        let seed = TOTP.generateSecret()
        let totp = TOTP(secret: seed)
        let record = MFADeviceRecord(
            SerialNumber: serial,
            CreateDate: clock.now,
            sealedSeed: Data(try rootKey.seal(seed, context: MFADeviceRecord.sealContext(serial))),
            Tags: tags.isEmpty ? nil : tags
        )
        let key = IAMKeys.mfaDeviceKey(account, serial)
        try await store.write { tx in
            guard try tx.get(IAMKeys.mfaDevices, key) == nil else {
                throw AWSError(code: "EntityAlreadyExists", message: "MFADevice entity at the same path and name already exists.", status: 409)
            }
            try tx.putJSON(IAMKeys.mfaDevices, key, record)
        }
        let uri = totp.provisioningURI(deviceName: name, accountName: account)
        return CreateVirtualMFADeviceOutput(
            VirtualMFADevice: VirtualMFADevice(
                SerialNumber: serial,
                Base32StringSeed: Array(totp.base32Secret.utf8),
                QRCodePNG: QRCode.png(for: uri),
                Tags: record.Tags
            )
        )
    }

    /// `[\w+=,.@-]`, as IAM names allow.
    static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || "_+=,.@-".contains(c))
    }

    // MARK: EnableMFADevice / ResyncMFADevice

    struct MFACodesInput: Decodable, Sendable {
        var UserName: String?
        var SerialNumber: String
        var AuthenticationCode1: String
        var AuthenticationCode2: String
    }

    @Sendable func enableMFADevice(_ input: MFACodesInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let owner = try await mfaOwner(input.UserName, context)
        let serial = input.SerialNumber
        let key = IAMKeys.mfaDeviceKey(account, serial)
        let now = clock.now
        let rootKey = rootKey
        try await store.write { tx in
            guard var device = try tx.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key) else { throw Self.noSuchMFADevice(serial) }
            guard device.assignedTo == nil else {
                throw AWSError(code: "EntityAlreadyExists", message: "MFA Device is already in use.", status: 409)
            }
            let enabled = try tx.scan(IAMKeys.userMFADevices, prefix: owner.key + "/", after: nil, reverse: false, limit: Self.mfaDevicesPerUser)
            guard enabled.count < Self.mfaDevicesPerUser else {
                throw IAMError.limitExceeded("Cannot exceed quota for MFADevicesPerUser: \(Self.mfaDevicesPerUser)")
            }
            let totp = TOTP(secret: try rootKey.open(Array(device.sealedSeed), context: MFADeviceRecord.sealContext(device.SerialNumber)))
            guard let counter = totp.verifyConsecutive(input.AuthenticationCode1, input.AuthenticationCode2, at: now, lastUsedCounter: device.lastUsedCounter) else {
                throw AWSError.invalidAuthenticationCode()
            }
            device.assignedTo = owner.key
            device.EnableDate = now
            device.lastUsedCounter = counter
            try tx.putJSON(IAMKeys.mfaDevices, key, device)
            try tx.putJSON(
                IAMKeys.userMFADevices, owner.key + "/" + device.SerialNumber.lowercased(),
                MFADeviceEntry(UserName: owner.userName, SerialNumber: device.SerialNumber, EnableDate: now)
            )
        }
        return EmptyShape()
    }

    @Sendable func resyncMFADevice(_ input: MFACodesInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let owner = try await mfaOwner(input.UserName, context)
        let serial = input.SerialNumber
        let key = IAMKeys.mfaDeviceKey(account, serial)
        let now = clock.now
        let rootKey = rootKey
        try await store.write { tx in
            guard var device = try tx.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key), device.assignedTo == owner.key else {
                throw Self.noSuchMFADevice(serial, for: owner)
            }
            let totp = TOTP(secret: try rootKey.open(Array(device.sealedSeed), context: MFADeviceRecord.sealContext(device.SerialNumber)))
            guard let counter = totp.verifyConsecutive(input.AuthenticationCode1, input.AuthenticationCode2, at: now, lastUsedCounter: device.lastUsedCounter) else {
                throw AWSError.invalidAuthenticationCode()
            }
            device.lastUsedCounter = counter
            try tx.putJSON(IAMKeys.mfaDevices, key, device)
        }
        return EmptyShape()
    }

    // MARK: DeactivateMFADevice / DeleteVirtualMFADevice

    struct DeactivateMFADeviceInput: Decodable, Sendable {
        var UserName: String?
        var SerialNumber: String
    }

    /// The device stays, unassigned; its last used time step too, so its old codes stay spent.
    @Sendable func deactivateMFADevice(_ input: DeactivateMFADeviceInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let owner = try await mfaOwner(input.UserName, context)
        let serial = input.SerialNumber
        let key = IAMKeys.mfaDeviceKey(account, serial)
        try await store.write { tx in
            guard var device = try tx.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key), device.assignedTo == owner.key else {
                throw Self.noSuchMFADevice(serial, for: owner)
            }
            device.assignedTo = nil
            device.EnableDate = nil
            try tx.putJSON(IAMKeys.mfaDevices, key, device)
            try tx.delete(IAMKeys.userMFADevices, owner.key + "/" + device.SerialNumber.lowercased())
        }
        return EmptyShape()
    }

    struct SerialNumberInput: Decodable, Sendable {
        var SerialNumber: String
    }

    @Sendable func deleteVirtualMFADevice(_ input: SerialNumberInput, context: RequestContext) async throws -> EmptyShape {
        let key = IAMKeys.mfaDeviceKey(account(context), input.SerialNumber)
        try await store.write { tx in
            guard let device = try tx.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key) else {
                throw Self.noSuchMFADevice(input.SerialNumber)
            }
            guard device.assignedTo == nil else {
                throw IAMError.deleteConflict("MFA VirtualDevice in use. Must deactivate first.")
            }
            try tx.delete(IAMKeys.mfaDevices, key)
        }
        return EmptyShape()
    }

    // MARK: ListMFADevices / ListVirtualMFADevices / GetMFADevice

    struct ListMFADevicesInput: Decodable, Sendable {
        var UserName: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListMFADevicesOutput: Encodable, Sendable {
        var MFADevices: [MFADeviceEntry]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listMFADevices(_ input: ListMFADevicesInput, context: RequestContext) async throws -> ListMFADevicesOutput {
        let owner = try await mfaOwner(input.UserName, context)
        let page = try await page(MFADeviceEntry.self, IAMKeys.userMFADevices, prefix: owner.key + "/", marker: input.Marker, maxItems: input.MaxItems)
        let devices = page.items.map { entry in
            var entry = entry
            entry.UserName = owner.userName
            return entry
        }
        return ListMFADevicesOutput(MFADevices: devices, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct ListVirtualMFADevicesInput: Decodable, Sendable {
        var AssignmentStatus: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListVirtualMFADevicesOutput: Encodable, Sendable {
        var VirtualMFADevices: [VirtualMFADevice]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listVirtualMFADevices(_ input: ListVirtualMFADevicesInput, context: RequestContext) async throws -> ListVirtualMFADevicesOutput {
        let account = account(context)
        let status = input.AssignmentStatus ?? "Any"
        guard ["Assigned", "Unassigned", "Any"].contains(status) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(status)' at 'assignmentStatus' failed to satisfy constraint: "
                    + "Member must satisfy enum value set: [Assigned, Unassigned, Any]"
            )
        }
        let page = try await page(
            MFADeviceRecord.self, IAMKeys.mfaDevices, prefix: account + "/", marker: input.Marker, maxItems: input.MaxItems,
            where: { device in
                switch status {
                case "Assigned": device.assignedTo != nil
                case "Unassigned": device.assignedTo == nil
                default: true
                }
            }
        )
        let owners = try await store.read { reader in
            var owners: [String: UserRecord] = [:]
            for owner in Set(page.items.compactMap(\.assignedTo)) where owner != MFAOwner.rootKey(account) {
                owners[owner] = try reader.getJSON(UserRecord.self, IAMKeys.users, owner)
            }
            return owners
        }
        let devices = page.items.map { device -> VirtualMFADevice in
            var user: UserRecord?
            if let owner = device.assignedTo {
                if owner == MFAOwner.rootKey(account) {
                    user = UserRecord(Path: "/", UserName: "", UserId: account, Arn: "arn:aws:iam::\(account):root", CreateDate: device.EnableDate ?? device.CreateDate)
                } else if var found = owners[owner] {
                    found.Tags = nil
                    found.PermissionsBoundary = nil
                    user = found
                }
            }
            return VirtualMFADevice(SerialNumber: device.SerialNumber, User: user, EnableDate: device.EnableDate)
        }
        return ListVirtualMFADevicesOutput(VirtualMFADevices: devices, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct GetMFADeviceInput: Decodable, Sendable {
        var SerialNumber: String
        var UserName: String?
    }

    struct GetMFADeviceOutput: Encodable, Sendable {
        var UserName: String?
        var SerialNumber: String
        var EnableDate: Date?
    }

    @Sendable func getMFADevice(_ input: GetMFADeviceInput, context: RequestContext) async throws -> GetMFADeviceOutput {
        let account = account(context)
        let owner = try await mfaOwner(input.UserName, context)
        let key = IAMKeys.mfaDeviceKey(account, input.SerialNumber)
        guard let device = try await store.read({ try $0.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key) }), device.assignedTo == owner.key else {
            throw Self.noSuchMFADevice(input.SerialNumber, for: owner)
        }
        return GetMFADeviceOutput(UserName: owner.isRoot ? nil : owner.userName, SerialNumber: device.SerialNumber, EnableDate: device.EnableDate)
    }

    // MARK: Tags

    struct TagMFADeviceInput: Decodable, Sendable {
        var SerialNumber: String
        var Tags: [Tag]
    }

    @Sendable func tagMFADevice(_ input: TagMFADeviceInput, context: RequestContext) async throws -> EmptyShape {
        let key = IAMKeys.mfaDeviceKey(account(context), input.SerialNumber)
        try await store.write { tx in
            guard var device = try tx.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key) else { throw Self.noSuchMFADevice(input.SerialNumber) }
            let tags = try IAMValidation.tags(input.Tags, existing: device.Tags ?? [])
            device.Tags = tags.isEmpty ? nil : tags
            try tx.putJSON(IAMKeys.mfaDevices, key, device)
        }
        return EmptyShape()
    }

    struct UntagMFADeviceInput: Decodable, Sendable {
        var SerialNumber: String
        var TagKeys: [String]
    }

    @Sendable func untagMFADevice(_ input: UntagMFADeviceInput, context: RequestContext) async throws -> EmptyShape {
        let key = IAMKeys.mfaDeviceKey(account(context), input.SerialNumber)
        try await store.write { tx in
            guard var device = try tx.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key) else { throw Self.noSuchMFADevice(input.SerialNumber) }
            device.Tags = Self.removingTags(input.TagKeys, from: device.Tags)
            try tx.putJSON(IAMKeys.mfaDevices, key, device)
        }
        return EmptyShape()
    }

    struct ListCredentialTagsInput: Decodable, Sendable {
        var SerialNumber: String?
        var ServerCertificateName: String?
        var OpenIDConnectProviderArn: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct CredentialTagPage: Encodable, Sendable {
        var Tags: [Tag]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listMFADeviceTags(_ input: ListCredentialTagsInput, context: RequestContext) async throws -> CredentialTagPage {
        let serial = input.SerialNumber ?? ""
        let key = IAMKeys.mfaDeviceKey(account(context), serial)
        guard let device = try await store.read({ try $0.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key) }) else {
            throw Self.noSuchMFADevice(serial)
        }
        return try Self.tagPage(device.Tags ?? [], marker: input.Marker, maxItems: input.MaxItems)
    }

    /// `tags` without the given keys (compared without case); nil when none are left.
    static func removingTags(_ keys: [String], from tags: [Tag]?) -> [Tag]? {
        let removed = Set(keys.map { $0.lowercased() })
        let left = (tags ?? []).filter { !removed.contains($0.Key.lowercased()) }
        return left.isEmpty ? nil : left
    }

    /// One page of a tag list; the marker is the index of the next tag.
    static func tagPage(_ tags: [Tag], marker: String?, maxItems: Int?) throws -> CredentialTagPage {
        let limit = maxItems ?? 100
        guard (1...1000).contains(limit) else {
            throw AWSError.validation("1 validation error detected: Value '\(limit)' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
        }
        var start = 0
        if let marker {
            guard let index = Int(marker), (0...tags.count).contains(index) else { throw IAMError.invalidInput("Invalid Marker.") }
            start = index
        }
        let end = min(tags.count, start + limit)
        let truncated = end < tags.count
        return CredentialTagPage(Tags: Array(tags[start..<end]), IsTruncated: truncated, Marker: truncated ? String(end) : nil)
    }
}
