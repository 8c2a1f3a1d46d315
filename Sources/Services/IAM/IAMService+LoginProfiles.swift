//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Dispatch
import Foundation
import NimbusCore
import NimbusCredentials
import NimbusStorage
import NimbusWire

/// A user's console password, key `<account>/<lowercased user>/login-profile` in `IAMKeys.loginProfiles`.
///
/// Passwords are kept only as ``PasswordHasher`` hashes: the current one and, for the password policy's
/// reuse prevention, up to 24 earlier ones (most recent first).
struct LoginProfileRecord: Codable, Sendable {
    var UserName: String
    var CreateDate: Date
    var PasswordResetRequired: Bool
    var passwordHash: String
    var previousHashes: [String]
    var passwordLastChanged: Date

    /// The hashes reuse prevention compares with: the current password first.
    var recentHashes: [String] { [passwordHash] + previousHashes }

    mutating func setPassword(hash: String, at date: Date) {
        previousHashes = Array(recentHashes.prefix(IAMService.passwordHistoryLimit))
        passwordHash = hash
        passwordLastChanged = date
    }

    static func key(_ userKey: String) -> String { userKey + "/login-profile" }
}

extension IAMService {
    /// The most previous passwords reuse prevention can cover (`PasswordReusePrevention` ≤ 24).
    static let passwordHistoryLimit = 24

    func loginProfileHandlers() -> [String: OperationHandler] {
        [
            "CreateLoginProfile": OperationHandler(createLoginProfile),
            "GetLoginProfile": OperationHandler(getLoginProfile),
            "UpdateLoginProfile": OperationHandler(updateLoginProfile),
            "DeleteLoginProfile": OperationHandler(deleteLoginProfile),
            "ChangePassword": OperationHandler(changePassword),
            "UpdateAccountPasswordPolicy": OperationHandler(updateAccountPasswordPolicy),
            "GetAccountPasswordPolicy": OperationHandler(getAccountPasswordPolicy),
            "DeleteAccountPasswordPolicy": OperationHandler(deleteAccountPasswordPolicy),
        ]
    }

    static func passwordPolicyKey(_ account: String) -> String { IAMKeys.key(account, "password-policy") }

    static func noSuchLoginProfile(_ name: String) -> AWSError {
        IAMError.noSuchEntity("Login Profile for User \(name) cannot be found.")
    }

    static func noSuchPasswordPolicy(_ account: String) -> AWSError {
        IAMError.noSuchEntity("The Password Policy with domain name \(account) cannot be found.")
    }

    /// The account's password policy, nil when it has none (AWS's default rules apply then).
    func passwordPolicy(in account: String) async throws -> PasswordPolicy? {
        try await store.read { try $0.getJSON(PasswordPolicy.self, IAMKeys.account, Self.passwordPolicyKey(account)) }
    }

    /// For the authorizer: whether the account's password policy lets every IAM user change its own
    /// password (`AllowUsersToChangePassword`), without an identity policy allowing `iam:ChangePassword`.
    func allowsUsersToChangePassword(in account: String) async throws -> Bool {
        try await passwordPolicy(in: account)?.allowUsersToChangePassword ?? false
    }

    /// Hashes off the cooperative thread pool: a password hash takes a deliberate fraction of a second.
    func hashPassword(_ password: String) async -> String {
        let hasher = credentialState.passwordHasher
        return await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: hasher.hash(password)) }
        }
    }

    /// Checks a new password against the policy (and the previous passwords) off the cooperative pool.
    func checkPassword(_ password: String, policy: PasswordPolicy?, userName: String, previousHashes: [String]) async throws {
        let result: Result<Void, AWSError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: Result { () throws(AWSError) in
                    try PasswordPolicy.check(password, against: policy, username: userName, previousHashes: previousHashes)
                })
            }
        }
        try result.get()
    }

    func verifyPassword(_ password: String, against hash: String) async -> Bool {
        let hasher = credentialState.passwordHasher
        return await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: hasher.verify(password, against: hash)) }
        }
    }

    /// Stores a new password for a profile read earlier, unless it changed in between.
    private func storePassword(
        _ hash: String, userKey: String, expected: String, resetRequired: Bool?, name: String
    ) async throws {
        let now = clock.now
        try await store.write { tx in
            let key = LoginProfileRecord.key(userKey)
            guard var profile = try tx.getJSON(LoginProfileRecord.self, IAMKeys.loginProfiles, key) else {
                throw Self.noSuchLoginProfile(name)
            }
            guard profile.passwordHash == expected else {
                throw AWSError(code: "ConcurrentModification", message: "The login profile was changed by another request. Please try again.", status: 409)
            }
            profile.setPassword(hash: hash, at: now)
            if let resetRequired { profile.PasswordResetRequired = resetRequired }
            try tx.putJSON(IAMKeys.loginProfiles, key, profile)
        }
    }

    // MARK: Login profiles

    struct CreateLoginProfileInput: Decodable, Sendable {
        var UserName: String?
        var Password: String?
        var PasswordResetRequired: Bool?
    }

    /// ```xml
    /// <LoginProfile><UserName>bob</UserName><CreateDate>…</CreateDate><PasswordResetRequired>true</PasswordResetRequired></LoginProfile>
    /// ```
    struct LoginProfile: Encodable, Sendable {
        var UserName: String
        var CreateDate: Date
        var PasswordResetRequired: Bool
    }

    struct LoginProfileOutput: Encodable, Sendable {
        var LoginProfile: LoginProfile
    }

    @Sendable func createLoginProfile(_ input: CreateLoginProfileInput, context: RequestContext) async throws -> LoginProfileOutput {
        let account = account(context)
        guard let name = targetUserName(input.UserName, context) else {
            throw AWSError.validation("Must specify userName when calling with non-User credentials")
        }
        guard let password = input.Password else {
            throw AWSError.validation("1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
        }
        let user = try await user(named: name, in: account)
        let userKey = IAMKeys.nameKey(account, name)
        if try await store.read({ try $0.get(IAMKeys.loginProfiles, LoginProfileRecord.key(userKey)) }) != nil {
            throw Self.loginProfileExists(user.UserName)
        }
        try await checkPassword(password, policy: try await passwordPolicy(in: account), userName: user.UserName, previousHashes: [])
        let hash = await hashPassword(password)
        let now = clock.now
        let profile = LoginProfileRecord(
            UserName: user.UserName, CreateDate: now, PasswordResetRequired: input.PasswordResetRequired ?? false,
            passwordHash: hash, previousHashes: [], passwordLastChanged: now
        )
        try await store.write { tx in
            guard try tx.get(IAMKeys.users, userKey) != nil else { throw IAMError.noSuchEntity("user", named: name) }
            guard try tx.get(IAMKeys.loginProfiles, LoginProfileRecord.key(userKey)) == nil else { throw Self.loginProfileExists(user.UserName) }
            try tx.putJSON(IAMKeys.loginProfiles, LoginProfileRecord.key(userKey), profile)
        }
        return LoginProfileOutput(LoginProfile: LoginProfile(UserName: user.UserName, CreateDate: now, PasswordResetRequired: profile.PasswordResetRequired))
    }

    static func loginProfileExists(_ name: String) -> AWSError {
        AWSError(code: "EntityAlreadyExists", message: "Login Profile for user \(name) already exists.", status: 409)
    }

    struct UserNameInput: Decodable, Sendable {
        var UserName: String?
    }

    /// The profile of a user that must exist: NoSuchEntity for the user, then for the profile.
    private func loginProfile(_ given: String?, _ context: RequestContext) async throws -> (userKey: String, profile: LoginProfileRecord) {
        let account = account(context)
        guard let name = targetUserName(given, context) else {
            throw AWSError.validation("Must specify userName when calling with non-User credentials")
        }
        let user = try await user(named: name, in: account)
        let userKey = IAMKeys.nameKey(account, name)
        guard let profile = try await store.read({ try $0.getJSON(LoginProfileRecord.self, IAMKeys.loginProfiles, LoginProfileRecord.key(userKey)) }) else {
            throw Self.noSuchLoginProfile(user.UserName)
        }
        return (userKey, profile)
    }

    @Sendable func getLoginProfile(_ input: UserNameInput, context: RequestContext) async throws -> LoginProfileOutput {
        let (_, profile) = try await loginProfile(input.UserName, context)
        return LoginProfileOutput(
            LoginProfile: LoginProfile(UserName: profile.UserName, CreateDate: profile.CreateDate, PasswordResetRequired: profile.PasswordResetRequired)
        )
    }

    struct UpdateLoginProfileInput: Decodable, Sendable {
        var UserName: String
        var Password: String?
        var PasswordResetRequired: Bool?
    }

    @Sendable func updateLoginProfile(_ input: UpdateLoginProfileInput, context: RequestContext) async throws -> EmptyShape {
        let (userKey, profile) = try await loginProfile(input.UserName, context)
        if let password = input.Password {
            let policy = try await passwordPolicy(in: account(context))
            try await checkPassword(password, policy: policy, userName: profile.UserName, previousHashes: profile.recentHashes)
            let hash = await hashPassword(password)
            try await storePassword(hash, userKey: userKey, expected: profile.passwordHash, resetRequired: input.PasswordResetRequired, name: profile.UserName)
        } else if let reset = input.PasswordResetRequired {
            try await store.write { tx in
                let key = LoginProfileRecord.key(userKey)
                guard var current = try tx.getJSON(LoginProfileRecord.self, IAMKeys.loginProfiles, key) else {
                    throw Self.noSuchLoginProfile(profile.UserName)
                }
                current.PasswordResetRequired = reset
                try tx.putJSON(IAMKeys.loginProfiles, key, current)
            }
        }
        return EmptyShape()
    }

    @Sendable func deleteLoginProfile(_ input: UserNameInput, context: RequestContext) async throws -> EmptyShape {
        let (userKey, profile) = try await loginProfile(input.UserName, context)
        try await store.write { tx in
            guard try tx.get(IAMKeys.loginProfiles, LoginProfileRecord.key(userKey)) != nil else { throw Self.noSuchLoginProfile(profile.UserName) }
            try tx.delete(IAMKeys.loginProfiles, LoginProfileRecord.key(userKey))
        }
        return EmptyShape()
    }

    // MARK: ChangePassword

    struct ChangePasswordInput: Decodable, Sendable {
        var OldPassword: String
        var NewPassword: String
    }

    /// The calling IAM user changes its own password. Whether it may (`AllowUsersToChangePassword` or an
    /// identity policy allowing `iam:ChangePassword`) is the authorizer's decision; see
    /// ``allowsUsersToChangePassword(in:)``.
    @Sendable func changePassword(_ input: ChangePasswordInput, context: RequestContext) async throws -> EmptyShape {
        guard context.principal.kind == .user, let name = userName(of: context.principal) else {
            throw AWSError(code: "InvalidUserType", message: "Only IAM users can change their own password with ChangePassword.", status: 400)
        }
        let (userKey, profile) = try await loginProfile(name, context)
        let policy = try await passwordPolicy(in: account(context))
        if let policy, policy.hardExpiry, let expiry = policy.expiry(ofPasswordChangedAt: profile.passwordLastChanged), expiry <= clock.now {
            throw AWSError(
                code: "EntityTemporarilyUnmodifiable",
                message: "The password has expired and the account password policy does not allow users to set a new one. An administrator must reset it.",
                status: 409
            )
        }
        guard await verifyPassword(input.OldPassword, against: profile.passwordHash) else {
            throw AWSError.accessDenied("The old password is incorrect.")
        }
        try await checkPassword(input.NewPassword, policy: policy, userName: profile.UserName, previousHashes: profile.recentHashes)
        let hash = await hashPassword(input.NewPassword)
        try await storePassword(hash, userKey: userKey, expected: profile.passwordHash, resetRequired: false, name: profile.UserName)
        return EmptyShape()
    }

    // MARK: Account password policy

    struct UpdateAccountPasswordPolicyInput: Decodable, Sendable {
        var MinimumPasswordLength: Int?
        var RequireSymbols: Bool?
        var RequireNumbers: Bool?
        var RequireUppercaseCharacters: Bool?
        var RequireLowercaseCharacters: Bool?
        var AllowUsersToChangePassword: Bool?
        var MaxPasswordAge: Int?
        var PasswordReusePrevention: Int?
        var HardExpiry: Bool?
    }

    /// Omitted parameters take AWS's defaults, not their previous values, as AWS documents.
    @Sendable func updateAccountPasswordPolicy(_ input: UpdateAccountPasswordPolicyInput, context: RequestContext) async throws -> EmptyShape {
        let policy = PasswordPolicy(
            minimumPasswordLength: input.MinimumPasswordLength ?? 6,
            requireSymbols: input.RequireSymbols ?? false,
            requireNumbers: input.RequireNumbers ?? false,
            requireUppercaseCharacters: input.RequireUppercaseCharacters ?? false,
            requireLowercaseCharacters: input.RequireLowercaseCharacters ?? false,
            allowUsersToChangePassword: input.AllowUsersToChangePassword ?? false,
            maxPasswordAge: input.MaxPasswordAge,
            passwordReusePrevention: input.PasswordReusePrevention,
            hardExpiry: input.HardExpiry ?? false
        )
        try policy.validateParameters()
        let key = Self.passwordPolicyKey(account(context))
        try await store.write { tx in try tx.putJSON(IAMKeys.account, key, policy) }
        return EmptyShape()
    }

    struct GetAccountPasswordPolicyOutput: Encodable, Sendable {
        var PasswordPolicy: PasswordPolicy
    }

    @Sendable func getAccountPasswordPolicy(_ input: EmptyShape, context: RequestContext) async throws -> GetAccountPasswordPolicyOutput {
        let account = account(context)
        guard let policy = try await passwordPolicy(in: account) else { throw Self.noSuchPasswordPolicy(account) }
        return GetAccountPasswordPolicyOutput(PasswordPolicy: policy)
    }

    @Sendable func deleteAccountPasswordPolicy(_ input: EmptyShape, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let key = Self.passwordPolicyKey(account)
        try await store.write { tx in
            guard try tx.get(IAMKeys.account, key) != nil else { throw Self.noSuchPasswordPolicy(account) }
            try tx.delete(IAMKeys.account, key)
        }
        return EmptyShape()
    }
}
