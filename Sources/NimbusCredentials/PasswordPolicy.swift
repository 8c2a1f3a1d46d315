//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore
public import Foundation

/// The account password policy of `UpdateAccountPasswordPolicy` / `GetAccountPasswordPolicy`, and the
/// checks IAM applies wherever a password is set (`CreateLoginProfile`, `UpdateLoginProfile`, `ChangePassword`).
///
/// Encodes with AWS's member names, so a handler can return it as the `PasswordPolicy` shape:
///
///     <PasswordPolicy>
///       <MinimumPasswordLength>8</MinimumPasswordLength>  <RequireSymbols>true</RequireSymbols>
///       <RequireNumbers>true</RequireNumbers>  <RequireUppercaseCharacters>true</RequireUppercaseCharacters>
///       <RequireLowercaseCharacters>true</RequireLowercaseCharacters>
///       <AllowUsersToChangePassword>true</AllowUsersToChangePassword>  <ExpirePasswords>true</ExpirePasswords>
///       <MaxPasswordAge>90</MaxPasswordAge>  <PasswordReusePrevention>12</PasswordReusePrevention>
///       <HardExpiry>false</HardExpiry>
///     </PasswordPolicy>
public struct PasswordPolicy: Codable, Sendable, Hashable {
    /// 6…128. `UpdateAccountPasswordPolicy` uses 6 when the parameter is omitted.
    public var minimumPasswordLength: Int
    /// At least one of AWS's symbols: ``symbols``.
    public var requireSymbols: Bool
    /// At least one of `0`–`9`.
    public var requireNumbers: Bool
    /// At least one of `A`–`Z`.
    public var requireUppercaseCharacters: Bool
    /// At least one of `a`–`z`.
    public var requireLowercaseCharacters: Bool
    public var allowUsersToChangePassword: Bool
    /// Days a password is valid, 1…1095; nil: passwords never expire.
    public var maxPasswordAge: Int?
    /// How many previous passwords may not be reused, 1…24; nil: reuse is allowed.
    public var passwordReusePrevention: Int?
    /// After expiry the user cannot set a new console password; an administrator must.
    public var hardExpiry: Bool

    /// AWS's non-alphanumeric characters for `RequireSymbols`: ``! @ # $ % ^ & * ( ) _ + - = [ ] { } | '``.
    public static let symbols: Set<Unicode.Scalar> = Set("!@#$%^&*()_+-=[]{}|'".unicodeScalars)

    /// The policy `UpdateAccountPasswordPolicy` stores for the given parameters; an omitted parameter
    /// takes AWS's default (length 6, every flag false, no expiry, no reuse prevention).
    public init(
        minimumPasswordLength: Int = 6,
        requireSymbols: Bool = false,
        requireNumbers: Bool = false,
        requireUppercaseCharacters: Bool = false,
        requireLowercaseCharacters: Bool = false,
        allowUsersToChangePassword: Bool = false,
        maxPasswordAge: Int? = nil,
        passwordReusePrevention: Int? = nil,
        hardExpiry: Bool = false
    ) {
        self.minimumPasswordLength = minimumPasswordLength
        self.requireSymbols = requireSymbols
        self.requireNumbers = requireNumbers
        self.requireUppercaseCharacters = requireUppercaseCharacters
        self.requireLowercaseCharacters = requireLowercaseCharacters
        self.allowUsersToChangePassword = allowUsersToChangePassword
        self.maxPasswordAge = maxPasswordAge
        self.passwordReusePrevention = passwordReusePrevention
        self.hardExpiry = hardExpiry
    }

    /// True when `MaxPasswordAge` is greater than 0, as `GetAccountPasswordPolicy` reports it.
    public var expirePasswords: Bool { (maxPasswordAge ?? 0) > 0 }

    /// When a password changed at `lastChanged` expires; nil when passwords do not expire.
    public func expiry(ofPasswordChangedAt lastChanged: Date) -> Date? {
        guard let days = maxPasswordAge, days > 0 else { return nil }
        return lastChanged.addingTimeInterval(TimeInterval(days) * 86_400)
    }

    // MARK: UpdateAccountPasswordPolicy parameters

    /// Refuses out-of-range parameters with AWS's `ValidationError`, every violation in one message:
    /// `1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint:
    /// Member must have value greater than or equal to 6`.
    public func validateParameters() throws(AWSError) {
        var errors: [String] = []
        func check(_ value: Int?, _ member: String, _ range: ClosedRange<Int>) {
            guard let value else { return }
            if value < range.lowerBound {
                errors.append(
                    "Value '\(value)' at '\(member)' failed to satisfy constraint: "
                        + "Member must have value greater than or equal to \(range.lowerBound)"
                )
            } else if value > range.upperBound {
                errors.append(
                    "Value '\(value)' at '\(member)' failed to satisfy constraint: "
                        + "Member must have value less than or equal to \(range.upperBound)"
                )
            }
        }
        check(minimumPasswordLength, "minimumPasswordLength", 6...128)
        check(maxPasswordAge, "maxPasswordAge", 1...1095)
        check(passwordReusePrevention, "passwordReusePrevention", 1...24)
        guard !errors.isEmpty else { return }
        let count = errors.count == 1 ? "1 validation error detected: " : "\(errors.count) validation errors detected: "
        throw .validation(count + errors.joined(separator: "; "))
    }

    // MARK: Checking a password

    /// Checks a new password against this policy; throws `PasswordPolicyViolation` with AWS's message
    /// for the first rule it breaks.
    ///
    /// - Parameters:
    ///   - username: unused by an explicit policy (AWS's custom policies have no such rule); kept so
    ///     that both checks have one shape.
    ///   - previousHashes: the user's earlier password hashes (``PasswordHasher`` encodings), most
    ///     recent first; the first `passwordReusePrevention` of them may not match. These are slow
    ///     to verify, so they are compared only after every other rule has passed.
    public func check(_ password: String, username: String? = nil, previousHashes: [String] = []) throws(AWSError) {
        if let violation = violations(of: password).first {
            throw .passwordPolicyViolation(violation)
        }
        if let n = passwordReusePrevention, n > 0 {
            let hasher = PasswordHasher()
            for previous in previousHashes.prefix(n) where hasher.verify(password, against: previous) {
                throw .passwordPolicyViolation(Self.reuseMessage)
            }
        }
    }

    /// Every rule `password` breaks, as AWS's messages, in the order of the policy's parameters.
    public func violations(of password: String) -> [String] {
        let kinds = CharacterKinds(password)
        var messages: [String] = []
        if kinds.length < minimumPasswordLength {
            messages.append("Password should have a minimum length of \(minimumPasswordLength)")
        }
        if requireSymbols, !kinds.symbol { messages.append("Password should have at least one symbol") }
        if requireNumbers, !kinds.number { messages.append("Password should have at least one number") }
        if requireUppercaseCharacters, !kinds.uppercase {
            messages.append("Password should have at least one uppercase letter")
        }
        if requireLowercaseCharacters, !kinds.lowercase {
            messages.append("Password should have at least one lowercase letter")
        }
        return messages
    }

    static let reuseMessage = "Policy constraint violation with password reuse prevention during password change"

    // MARK: The default when no policy is set

    /// The rules IAM applies when the account has no password policy: 8 to 128 characters, at least
    /// three of uppercase letters, lowercase letters, numbers and symbols, and not identical to the
    /// account or user name.
    public static func checkDefault(_ password: String, username: String?) throws(AWSError) {
        let kinds = CharacterKinds(password)
        if kinds.length < 8 {
            throw .passwordPolicyViolation("Password should have a minimum length of 8")
        }
        if kinds.length > 128 {
            throw .passwordPolicyViolation("Password should have a maximum length of 128")
        }
        let types = [kinds.uppercase, kinds.lowercase, kinds.number, kinds.symbol].filter { $0 }.count
        if types < 3 {
            throw .passwordPolicyViolation(
                "Password should contain at least three of the following character types: "
                    + "uppercase letters, lowercase letters, numbers and symbols"
            )
        }
        if let username, !username.isEmpty, password == username {
            throw .passwordPolicyViolation("Password should not be identical to the user name")
        }
    }

    /// Checks against `policy` when the account has one, otherwise against AWS's default rules.
    public static func check(
        _ password: String,
        against policy: PasswordPolicy?,
        username: String?,
        previousHashes: [String] = []
    ) throws(AWSError) {
        if let policy {
            try policy.check(password, username: username, previousHashes: previousHashes)
        } else {
            try checkDefault(password, username: username)
        }
    }

    // MARK: Codable, with AWS's member names

    enum CodingKeys: String, CodingKey {
        case minimumPasswordLength = "MinimumPasswordLength"
        case requireSymbols = "RequireSymbols"
        case requireNumbers = "RequireNumbers"
        case requireUppercaseCharacters = "RequireUppercaseCharacters"
        case requireLowercaseCharacters = "RequireLowercaseCharacters"
        case allowUsersToChangePassword = "AllowUsersToChangePassword"
        case expirePasswords = "ExpirePasswords"
        case maxPasswordAge = "MaxPasswordAge"
        case passwordReusePrevention = "PasswordReusePrevention"
        case hardExpiry = "HardExpiry"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            minimumPasswordLength: try c.decodeIfPresent(Int.self, forKey: .minimumPasswordLength) ?? 6,
            requireSymbols: try c.decodeIfPresent(Bool.self, forKey: .requireSymbols) ?? false,
            requireNumbers: try c.decodeIfPresent(Bool.self, forKey: .requireNumbers) ?? false,
            requireUppercaseCharacters: try c.decodeIfPresent(Bool.self, forKey: .requireUppercaseCharacters) ?? false,
            requireLowercaseCharacters: try c.decodeIfPresent(Bool.self, forKey: .requireLowercaseCharacters) ?? false,
            allowUsersToChangePassword: try c.decodeIfPresent(Bool.self, forKey: .allowUsersToChangePassword) ?? false,
            maxPasswordAge: try c.decodeIfPresent(Int.self, forKey: .maxPasswordAge),
            passwordReusePrevention: try c.decodeIfPresent(Int.self, forKey: .passwordReusePrevention),
            hardExpiry: try c.decodeIfPresent(Bool.self, forKey: .hardExpiry) ?? false
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(minimumPasswordLength, forKey: .minimumPasswordLength)
        try c.encode(requireSymbols, forKey: .requireSymbols)
        try c.encode(requireNumbers, forKey: .requireNumbers)
        try c.encode(requireUppercaseCharacters, forKey: .requireUppercaseCharacters)
        try c.encode(requireLowercaseCharacters, forKey: .requireLowercaseCharacters)
        try c.encode(allowUsersToChangePassword, forKey: .allowUsersToChangePassword)
        try c.encode(expirePasswords, forKey: .expirePasswords)
        try c.encodeIfPresent(maxPasswordAge, forKey: .maxPasswordAge)
        try c.encodeIfPresent(passwordReusePrevention, forKey: .passwordReusePrevention)
        try c.encode(hardExpiry, forKey: .hardExpiry)
    }
}

/// Which of AWS's character classes a password contains.
struct CharacterKinds {
    var length = 0
    var uppercase = false
    var lowercase = false
    var number = false
    var symbol = false

    init(_ password: String) {
        for scalar in password.unicodeScalars {
            length += 1
            switch scalar {
            case "A"..."Z": uppercase = true
            case "a"..."z": lowercase = true
            case "0"..."9": number = true
            default: if PasswordPolicy.symbols.contains(scalar) { symbol = true }
            }
        }
    }
}
