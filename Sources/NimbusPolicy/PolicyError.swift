//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore

/// Why a policy document was refused, in IAM's terms: `MalformedPolicyDocument` or `LimitExceeded`.
///
/// The IAM service maps it 1:1 to an `AWSError` with `awsError`. Equality compares the code only.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An extensible error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case malformedPolicyDocument = "MalformedPolicyDocument"
            case limitExceeded = "LimitExceeded"
        }
        private let base: Base
        /// AWS's error code string.
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }

        public static let malformedPolicyDocument = Code(base: .malformedPolicyDocument)
        public static let limitExceeded = Code(base: .limitExceeded)
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public static func == (lhs: PolicyError, rhs: PolicyError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code): \(message)" }

    /// Matches an error by code: `case PolicyError.malformed`.
    public static func ~= (pattern: PolicyError, value: any Error) -> Bool {
        (value as? PolicyError)?.code == pattern.code
    }

    /// The error as the IAM API returns it (HTTP 400, sender fault).
    public var awsError: AWSError { AWSError(code: code.rawValue, message: message, status: 400) }

    static func malformed(_ message: String) -> PolicyError { PolicyError(code: .malformedPolicyDocument, message: message) }

    /// A pattern for `#expect(throws:)` and `catch` that matches any malformed-document error.
    public static let malformed = PolicyError(code: .malformedPolicyDocument, message: "")
    /// A pattern that matches any size-limit error.
    public static let limitExceeded = PolicyError(code: .limitExceeded, message: "")
}

extension PolicyError {
    // MARK: IAM's messages, as AWS words them

    static let syntax = malformed("Syntax errors in policy.")
    static let legacyParsing = malformed("The policy failed legacy parsing")
    static let shouldNotSpecifyPrincipal = malformed("Policy document should not specify a principal.")
    static let mustContainActions = malformed("Policy statement must contain actions.")
    static let mustContainResources = malformed("Policy statement must contain resources.")
    static let vendorPrefix = malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    static let oneColon = malformed("Actions/Condition can contain only one colon.")
    static let vendorWildcard = malformed("Action vendors (e.g., aws, ec2, etc.) must not contain wildcards")
    static let sidNotAlphanumeric = malformed(
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )
    static let sidNotUnique = malformed("Statement IDs (SID) in a single policy must be unique.")
    static func missingField(_ name: String) -> PolicyError { malformed("Missing required field \(name)") }
    static func prohibitedField(_ name: String) -> PolicyError { malformed("Has prohibited field \(name)") }
    static func invalidResource(_ resource: String) -> PolicyError {
        malformed("Resource \(resource) must be in ARN format or \"*\".")
    }
    static func invalidPrincipal(_ type: String, _ value: String) -> PolicyError {
        malformed("Invalid principal in policy: \"\(type)\":\"\(value)\"")
    }
    static func invalidConditionType(_ op: String) -> PolicyError { malformed("Invalid Condition type : \(op)") }
    static func invalidEffect(_ effect: String) -> PolicyError { malformed("Invalid effect: \(effect)") }

    /// `LimitExceeded` for one document over its quota, e.g. `Cannot exceed quota for PolicySize: 6144`.
    public static func quotaExceeded(_ quota: String, limit: Int) -> PolicyError {
        PolicyError(code: .limitExceeded, message: "Cannot exceed quota for \(quota): \(limit)")
    }

    /// `LimitExceeded` for the aggregate of a user's, group's or role's inline policies:
    /// `Maximum policy size of 2048 bytes exceeded for user bob`.
    public static func inlinePolicySizeExceeded(limit: Int, entity: InlinePolicyOwner, name: String) -> PolicyError {
        PolicyError(code: .limitExceeded, message: "Maximum policy size of \(limit) bytes exceeded for \(entity.rawValue) \(name)")
    }
}
