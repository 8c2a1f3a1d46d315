//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
public import NimbusCore

/// Who is asking, as the policy engine needs to know it.
public struct PrincipalContext: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The account's root user.
        case root
        case user
        /// A role session (`arn:aws:sts::…:assumed-role/Role/session`).
        case assumedRole
        /// A `GetFederationToken` session (`arn:aws:sts::…:federated-user/name`).
        case federatedUser
        /// A web identity or SAML provider asking to assume a role (`Principal: {"Federated": …}`).
        case webIdentity
        case anonymous
        /// An AWS service principal such as `cloudtrail.amazonaws.com` (`arn` holds that name).
        case service
    }

    public var kind: Kind
    public var arn: String
    public var accountID: String
    /// `aws:userid`: `AIDA…` for users, `AROA…:session` for role sessions, the account id for root.
    public var userID: String
    /// `aws:username`; only IAM users have one.
    public var username: String?
    /// For role sessions the role's ARN (with its path); for federated users the IAM user's ARN.
    public var sessionIssuerARN: String?
    public var sessionName: String?
    /// The S3 canonical user id, for `Principal: {"CanonicalUser": …}`.
    public var canonicalUserID: String?
    /// `aws:PrincipalTag/…`: the user's or role's tags, overridden by session tags.
    public var tags: [String: String] {
        didSet { lowercasedTags = PrincipalContext.lower(tags) }
    }
    private var lowercasedTags: [String: String]

    public init(
        kind: Kind,
        arn: String,
        accountID: String,
        userID: String,
        username: String? = nil,
        sessionIssuerARN: String? = nil,
        sessionName: String? = nil,
        canonicalUserID: String? = nil,
        tags: [String: String] = [:]
    ) {
        self.kind = kind
        self.arn = arn
        self.accountID = accountID
        self.userID = userID
        self.username = username
        self.sessionIssuerARN = sessionIssuerARN
        self.sessionName = sessionName
        self.canonicalUserID = canonicalUserID
        self.tags = tags
        self.lowercasedTags = PrincipalContext.lower(tags)
    }

    /// The principal authentication established, with what IAM knows about it.
    /// - Parameters:
    ///   - username: the IAM user's name (users only).
    ///   - sessionIssuerARN: the role ARN of a role session, the user ARN of a federated user;
    ///     defaults to `principal.sessionIssuer`.
    public init(_ principal: Principal, username: String? = nil, sessionIssuerARN: String? = nil, tags: [String: String] = [:]) {
        let kind: Kind
        switch principal.kind {
        case .root: kind = .root
        case .user: kind = .user
        case .assumedRole: kind = .assumedRole
        case .federatedUser: kind = .federatedUser
        case .webIdentity: kind = .webIdentity
        case .anonymous: kind = .anonymous
        }
        var sessionName: String?
        if kind == .assumedRole || kind == .federatedUser, let slash = principal.arn.lastIndex(of: "/") {
            sessionName = String(principal.arn[principal.arn.index(after: slash)...])
        }
        var name = username
        if name == nil, kind == .user, let slash = principal.arn.lastIndex(of: "/") {
            name = String(principal.arn[principal.arn.index(after: slash)...])
        }
        self.init(
            kind: kind,
            arn: principal.arn,
            accountID: principal.accountID,
            userID: principal.userID,
            username: name,
            sessionIssuerARN: sessionIssuerARN ?? principal.sessionIssuer,
            sessionName: sessionName,
            tags: tags
        )
    }

    public static func root(of accountID: String) -> PrincipalContext {
        PrincipalContext(kind: .root, arn: "arn:aws:iam::\(accountID):root", accountID: accountID, userID: accountID)
    }

    public static let anonymous = PrincipalContext(kind: .anonymous, arn: "*", accountID: "anonymous", userID: "anonymous")

    /// An AWS service principal such as `cloudtrail.amazonaws.com`.
    public static func service(_ name: String) -> PrincipalContext {
        PrincipalContext(kind: .service, arn: name, accountID: "", userID: name)
    }

    private static func lower(_ tags: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in tags { out[k.lowercased()] = v }
        return out
    }

    /// `aws:PrincipalArn`: the role ARN for role sessions, otherwise the principal's ARN.
    public var principalARN: String {
        kind == .assumedRole ? (sessionIssuerARN ?? arn) : arn
    }

    /// `aws:PrincipalType`.
    public var principalType: String {
        switch kind {
        case .root: "Account"
        case .user: "User"
        case .assumedRole: "AssumedRole"
        case .federatedUser: "FederatedUser"
        case .webIdentity: "WebIdentityUser"
        case .anonymous: "Anonymous"
        case .service: "Service"
        }
    }

    /// Whether identity-based policies, boundaries and session policies apply at all.
    var isIAMEntity: Bool { kind == .user || kind == .assumedRole || kind == .federatedUser }

    /// The (lowercased) keys the principal defines, besides `aws:principaltag/…`.
    static let definedKeys: Set<String> = [
        "aws:username", "aws:userid", "aws:principalarn", "aws:principalaccount", "aws:principaltype",
        "aws:principalisawsservice", "aws:principalservicename", "aws:rolesessionname",
    ]

    /// The value of a key the principal itself defines (`aws:username`, `aws:PrincipalTag/…` …).
    func value(forLowercasedKey key: String) -> String? {
        guard key.utf8.count > 4, key.hasPrefix("aws:") else { return nil }
        switch key {
        case "aws:username": return kind == .user ? username : nil
        case "aws:userid": return kind == .anonymous ? nil : userID
        case "aws:principalarn": return kind == .anonymous || kind == .service ? nil : principalARN
        case "aws:principalaccount": return kind == .anonymous || kind == .service ? nil : accountID
        case "aws:principaltype": return principalType
        case "aws:principalisawsservice": return kind == .service ? "true" : "false"
        case "aws:principalservicename": return kind == .service ? arn : nil
        case "aws:rolesessionname": return kind == .assumedRole ? sessionName : nil
        default:
            if key.hasPrefix("aws:principaltag/") {
                return lowercasedTags[String(key.dropFirst(17))]
            }
            return nil
        }
    }
}
