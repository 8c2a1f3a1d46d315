//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// The policy language version; variables are only recognised in 2012-10-17.
public enum PolicyVersion: String, Sendable, Hashable {
    case v2012_10_17 = "2012-10-17"
    case v2008_10_17 = "2008-10-17"
}

/// `Allow` or `Deny`.
public enum PolicyEffect: String, Sendable, Hashable {
    case allow = "Allow"
    case deny = "Deny"
}

/// A policy parsed, validated and compiled once, ready to evaluate many times.
///
/// Copying one is a single reference: the compiled form is shared and immutable.
public struct CompiledPolicy: Sendable {
    let storage: Storage

    final class Storage: Sendable {
        let id: String
        let kind: PolicyKind
        let version: PolicyVersion
        let documentID: String?
        let statements: [CompiledStatement]
        let program: MatcherProgram

        init(id: String, kind: PolicyKind, version: PolicyVersion, documentID: String?, statements: [CompiledStatement], program: MatcherProgram) {
            self.id = id
            self.kind = kind
            self.version = version
            self.documentID = documentID
            self.statements = statements
            self.program = program
        }
    }

    init(storage: Storage) { self.storage = storage }

    init(id: String, kind: PolicyKind, version: PolicyVersion, documentID: String?, statements: [CompiledStatement]) {
        storage = Storage(
            id: id, kind: kind, version: version, documentID: documentID, statements: statements, program: MatcherProgram(statements)
        )
    }

    /// The caller's name for the policy (a policy ARN, `user/bob/inline-name` …), reported by the simulator.
    public var id: String {
        get { storage.id }
        set {
            let s = storage
            self = CompiledPolicy(storage: Storage(id: newValue, kind: s.kind, version: s.version, documentID: s.documentID, statements: s.statements, program: s.program))
        }
    }
    public var kind: PolicyKind { storage.kind }
    public var version: PolicyVersion { storage.version }
    /// The document's `Id` element.
    public var documentID: String? { storage.documentID }
    var statements: [CompiledStatement] { storage.statements }
    var program: MatcherProgram { storage.program }

    /// The statements' `Sid`s in order (nil where a statement has none).
    public var sids: [String?] { statements.map(\.sid) }
    public var statementCount: Int { statements.count }

    /// A copy with another `id`.
    public func withID(_ id: String) -> CompiledPolicy {
        var copy = self
        copy.id = id
        return copy
    }
}

/// One statement, compiled. A class so that the evaluator's slow path holds it with one reference.
final class CompiledStatement: Sendable {
    let sid: String?
    let index: Int
    let effect: PolicyEffect
    let actions: [ActionPattern]
    let notAction: Bool
    /// Nil when the statement has no `Resource`/`NotResource` (trust policies): every resource.
    let resources: [ResourcePattern]?
    let notResource: Bool
    /// Nil when the statement names no principal (identity-like policies).
    let principals: [PrincipalPattern]?
    let notPrincipal: Bool
    let conditions: [CompiledCondition]
    let start: SourcePosition
    let end: SourcePosition
    /// Context keys this statement reads, in conditions and in variables, as written.
    let contextKeys: [String]

    init(
        sid: String?, index: Int, effect: PolicyEffect, actions: [ActionPattern], notAction: Bool,
        resources: [ResourcePattern]?, notResource: Bool, principals: [PrincipalPattern]?, notPrincipal: Bool,
        conditions: [CompiledCondition], start: SourcePosition, end: SourcePosition, contextKeys: [String]
    ) {
        self.sid = sid
        self.index = index
        self.effect = effect
        self.actions = actions
        self.notAction = notAction
        self.resources = resources
        self.notResource = notResource
        self.principals = principals
        self.notPrincipal = notPrincipal
        self.conditions = conditions
        self.start = start
        self.end = end
        self.contextKeys = contextKeys
    }
}

extension CompiledStatement {
    /// The same statement with its source positions set.
    func at(start: SourcePosition, end: SourcePosition) -> CompiledStatement {
        CompiledStatement(
            sid: sid, index: index, effect: effect, actions: actions, notAction: notAction, resources: resources, notResource: notResource,
            principals: principals, notPrincipal: notPrincipal, conditions: conditions, start: start, end: end, contextKeys: contextKeys
        )
    }
}

/// `service:pattern`: the service prefix (never a wildcard) and a case-insensitive pattern for the rest.
struct ActionPattern: Sendable {
    /// Lowercased; nil for `*`, which matches every action.
    let vendor: [UInt8]?
    let name: Glob

    init(_ action: String) {
        if action == "*" {
            vendor = nil
            name = Glob("*")
        } else {
            let colon = action.firstIndex(of: ":") ?? action.endIndex
            vendor = Array(action[..<colon].lowercased().utf8)
            name = Glob(colon == action.endIndex ? "" : String(action[action.index(after: colon)...]), caseInsensitive: true)
        }
    }

    func matches(_ action: String) -> Bool {
        guard let vendor else { return true }
        let colon = action.firstIndex(of: ":") ?? action.endIndex
        guard Array(action[..<colon].lowercased().utf8) == vendor else { return false }
        return name.matches(colon == action.endIndex ? "" : String(action[action.index(after: colon)...]))
    }
}

enum ResourcePattern: Sendable {
    case glob(Glob)
    case template(Template)
}

/// How strongly a resource-based policy names the caller; decides what else must allow.
enum PrincipalGrant: Int, Comparable, Sendable {
    /// The account (`123456789012`, `arn:aws:iam::123456789012:root`): identity policies must allow too.
    case account = 1
    /// `*`, the role a session belongs to, or the IAM user a federated user came from:
    /// replaces the identity policy, but boundaries and session policies still apply.
    case entity = 2
    /// The exact user, role session or federated user ARN (or a service): enough on its own.
    case direct = 3

    static func < (a: PrincipalGrant, b: PrincipalGrant) -> Bool { a.rawValue < b.rawValue }
}

/// One entry of a `Principal` / `NotPrincipal` element.
enum PrincipalPattern: Sendable, Hashable {
    case everyone
    case account(String)
    case user(String)
    case role(String)
    case session(String)
    /// A unique id (`AIDA…`, `AROA…`), as AWS shows a principal that was deleted.
    case uniqueID(String)
    case service(String)
    case federated(String)
    case canonicalUser(String)

    func grant(for p: PrincipalContext) -> PrincipalGrant? {
        switch self {
        case .everyone:
            return .entity
        case .account(let id):
            return p.kind != .anonymous && p.kind != .service && p.kind != .webIdentity && p.accountID == id ? .account : nil
        case .user(let arn):
            if p.kind == .user && p.arn == arn { return .direct }
            if p.kind == .federatedUser && p.sessionIssuerARN == arn { return .entity }
            return nil
        case .role(let arn):
            return p.kind == .assumedRole && p.sessionIssuerARN == arn ? .entity : nil
        case .session(let arn):
            return (p.kind == .assumedRole || p.kind == .federatedUser) && p.arn == arn ? .direct : nil
        case .uniqueID(let id):
            if p.userID == id { return .direct }
            if p.kind == .assumedRole && p.userID.hasPrefix(id + ":") { return .entity }
            return nil
        case .service(let name):
            return p.kind == .service && p.arn.lowercased() == name.lowercased() ? .direct : nil
        case .federated(let provider):
            return p.kind == .webIdentity && p.arn == provider ? .direct : nil
        case .canonicalUser(let id):
            return p.canonicalUserID == id ? .direct : nil
        }
    }
}
