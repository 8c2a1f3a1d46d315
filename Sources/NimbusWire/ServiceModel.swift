//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// The five AWS wire protocols, as botocore's `metadata.protocol` names them.
public enum WireProtocol: Sendable, Hashable {
    /// `Action=…&Version=…` form parameters in, XML out (STS, IAM, SQS …).
    case query
    /// Like `query`, with EC2's naming and list rules.
    case ec2
    /// `X-Amz-Target` routing, JSON in and out; `version` is `1.0` or `1.1`.
    case json(version: String)
    /// HTTP-bound members, JSON bodies.
    case restJSON
    /// HTTP-bound members, XML bodies (S3, Route 53, CloudFront).
    case restXML
}

/// An AWS API model: botocore's `service-2.json`, without its documentation.
///
/// Its members are behind one reference: a request copies its service's model a few times (the catalog's
/// answer, the codec's validator and XML writer), and a copy of eleven stored members cost eleven retains and as
/// many releases each time (about 2 % of a `GetCallerIdentity` in the pipeline benchmark). A model does not change
/// once made.
public struct ServiceModel: Sendable {
    private final class Storage: Sendable {
        let serviceID: String
        let serviceFullName: String
        let `protocol`: WireProtocol
        let apiVersion: String
        let signingName: String
        let endpointPrefix: String
        let targetPrefix: String?
        let jsonVersion: String?
        let xmlNamespace: String?
        let operations: [String: Operation]
        let shapes: ShapeTable

        init(
            serviceID: String, serviceFullName: String, protocol: WireProtocol, apiVersion: String, signingName: String,
            endpointPrefix: String, targetPrefix: String?, jsonVersion: String?, xmlNamespace: String?,
            operations: [String: Operation], shapes: ShapeTable
        ) {
            self.serviceID = serviceID
            self.serviceFullName = serviceFullName
            self.protocol = `protocol`
            self.apiVersion = apiVersion
            self.signingName = signingName
            self.endpointPrefix = endpointPrefix
            self.targetPrefix = targetPrefix
            self.jsonVersion = jsonVersion
            self.xmlNamespace = xmlNamespace
            self.operations = operations
            self.shapes = shapes
        }
    }

    private let storage: Storage

    /// botocore's `serviceId`, e.g. `STS`, `S3`, `CloudTrail`.
    public var serviceID: String { storage.serviceID }
    public var serviceFullName: String { storage.serviceFullName }
    public var `protocol`: WireProtocol { storage.protocol }
    public var apiVersion: String { storage.apiVersion }
    /// The SigV4 scope name (`metadata.signingName`, else `endpointPrefix`).
    public var signingName: String { storage.signingName }
    public var endpointPrefix: String { storage.endpointPrefix }
    /// The JSON protocol's `X-Amz-Target` prefix, e.g. `TrentService`.
    public var targetPrefix: String? { storage.targetPrefix }
    public var jsonVersion: String? { storage.jsonVersion }
    /// The query protocol's response namespace, e.g. `https://sts.amazonaws.com/doc/2011-06-15/`.
    public var xmlNamespace: String? { storage.xmlNamespace }
    /// Operations by name.
    public var operations: [String: Operation] { storage.operations }
    /// Shapes by name.
    public var shapes: ShapeTable { storage.shapes }

    /// The name used in this codebase: the `serviceId`.
    public var name: String { serviceID }

    public init(
        serviceID: String,
        serviceFullName: String? = nil,
        protocol: WireProtocol,
        apiVersion: String,
        signingName: String,
        endpointPrefix: String? = nil,
        targetPrefix: String? = nil,
        jsonVersion: String? = nil,
        xmlNamespace: String? = nil,
        operations: [String: Operation],
        shapes: [String: Shape]
    ) {
        self.init(
            serviceID: serviceID, serviceFullName: serviceFullName, protocol: `protocol`, apiVersion: apiVersion,
            signingName: signingName, endpointPrefix: endpointPrefix, targetPrefix: targetPrefix, jsonVersion: jsonVersion,
            xmlNamespace: xmlNamespace, operations: operations, shapes: ShapeTable(shapes)
        )
    }

    package init(
        serviceID: String,
        serviceFullName: String?,
        protocol: WireProtocol,
        apiVersion: String,
        signingName: String,
        endpointPrefix: String?,
        targetPrefix: String?,
        jsonVersion: String?,
        xmlNamespace: String?,
        operations: [String: Operation],
        shapes: ShapeTable
    ) {
        storage = Storage(
            serviceID: serviceID, serviceFullName: serviceFullName ?? serviceID, protocol: `protocol`, apiVersion: apiVersion,
            signingName: signingName, endpointPrefix: endpointPrefix ?? signingName, targetPrefix: targetPrefix,
            jsonVersion: jsonVersion, xmlNamespace: xmlNamespace, operations: operations, shapes: shapes
        )
    }

    public subscript(shape name: String) -> Shape? { shapes[name] }
}

/// A model's shapes by name: a dictionary, or for the models compiled into the binary, shapes parsed
/// one at a time on first use (`LazyShapes`), so that starting a server parses none of them.
public struct ShapeTable: Sendable {
    private enum Backing: Sendable {
        case parsed([String: Shape])
        case lazy(LazyShapes)
    }

    private let backing: Backing

    public init(_ shapes: [String: Shape]) {
        backing = .parsed(shapes)
    }

    init(lazy shapes: LazyShapes) {
        backing = .lazy(shapes)
    }

    public subscript(name: String) -> Shape? {
        switch backing {
        case .parsed(let shapes): shapes[name]
        case .lazy(let shapes): shapes[name]
        }
    }

    /// Whether the shape could bind a member to the body; answered without parsing a lazy shape.
    package func mayHavePayload(_ name: String) -> Bool {
        switch backing {
        case .parsed(let shapes): shapes[name]?.payload != nil
        case .lazy(let shapes): shapes.mayHavePayload(name)
        }
    }

    /// The names of all shapes, in no particular order.
    public var names: [String] {
        switch backing {
        case .parsed(let shapes): Array(shapes.keys)
        case .lazy(let shapes): shapes.names
        }
    }

    public var count: Int {
        switch backing {
        case .parsed(let shapes): shapes.count
        case .lazy(let shapes): shapes.names.count
        }
    }
}

/// One API operation: how it is routed and what it takes and returns.
public struct Operation: Sendable, Hashable {
    public var name: String
    /// The HTTP method (`POST` for query and JSON services).
    public var method: String
    /// The REST path template, e.g. `/{Bucket}/{Key+}?uploads`.
    public var requestURI: String
    /// The HTTP status of a successful response (`http.responseCode`, default 200).
    public var responseCode: Int
    public var input: ShapeRef?
    public var output: ShapeRef?
    /// Names of the error shapes the operation declares.
    public var errors: [String]
    public var deprecated: Bool
    /// The input member that is a streaming blob payload (S3 `PutObject`'s `Body`), if any.
    ///
    /// `decodeInput` leaves it out; the server hands the body stream to the handler separately.
    public var streamingInputMember: String?
    /// The output member that is a streaming blob payload (S3 `GetObject`'s `Body`), if any.
    ///
    /// `encodeOutput` renders status and headers only; the caller writes the body.
    public var streamingOutputMember: String?

    package var template: URITemplate

    public init(
        name: String,
        method: String = "POST",
        requestURI: String = "/",
        responseCode: Int = 200,
        input: ShapeRef? = nil,
        output: ShapeRef? = nil,
        errors: [String] = [],
        deprecated: Bool = false
    ) {
        self.name = name
        self.method = method
        self.requestURI = requestURI
        self.responseCode = responseCode
        self.input = input
        self.output = output
        self.errors = errors
        self.deprecated = deprecated
        self.template = URITemplate(requestURI)
    }

    public static func == (lhs: Operation, rhs: Operation) -> Bool { lhs.name == rhs.name && lhs.requestURI == rhs.requestURI }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// Where a member travels in a REST request or response.
public enum MemberLocation: String, Sendable, Hashable {
    case header
    /// A map of headers sharing the `locationName` prefix (`x-amz-meta-`).
    case headers
    case querystring
    case uri
    case statusCode
}

/// A value type's fields behind one immutable reference, for types copied far more often than they change:
/// a copy is one retain instead of a memmove and a retain per string and array. A change makes a new box.
struct Boxed<Fields: Sendable & Hashable>: Sendable, Hashable {
    private final class Box: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    init(_ fields: Fields) { box = Box(fields) }

    var fields: Fields { box.fields }

    mutating func update(_ change: (inout Fields) -> Void) {
        var fields = box.fields
        change(&fields)
        box = Box(fields)
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.box === rhs.box || lhs.box.fields == rhs.box.fields }

    func hash(into hasher: inout Hasher) { box.fields.hash(into: &hasher) }
}

/// A reference to a shape from an operation or a structure member, with the member's traits.
public struct ShapeRef: Sendable, Hashable {
    // Boxed: every structure member carries one, and members are copied as they are read.
    struct Fields: Sendable, Hashable {
        var shape: String
        var location: MemberLocation?
        var locationName: String?
        var queryName: String?
        var xmlNamespace: XMLNamespace?
        var xmlAttribute: Bool
        var flattened: Bool
        var streaming: Bool
        var timestampFormat: TimestampFormat?
        var jsonValue: Bool
        var idempotencyToken: Bool
        var hostLabel: Bool
        var deprecated: Bool
        var resultWrapper: String?
        var eventPayload: Bool
    }

    private var box: Boxed<Fields>

    /// The target shape's name.
    public var shape: String {
        get { box.fields.shape }
        set { box.update { $0.shape = newValue } }
    }

    public var location: MemberLocation? {
        get { box.fields.location }
        set { box.update { $0.location = newValue } }
    }

    /// The wire name: header name, query key, URI label, XML element or JSON key.
    public var locationName: String? {
        get { box.fields.locationName }
        set { box.update { $0.locationName = newValue } }
    }

    /// EC2's explicit query name.
    public var queryName: String? {
        get { box.fields.queryName }
        set { box.update { $0.queryName = newValue } }
    }

    public var xmlNamespace: XMLNamespace? {
        get { box.fields.xmlNamespace }
        set { box.update { $0.xmlNamespace = newValue } }
    }

    public var xmlAttribute: Bool {
        get { box.fields.xmlAttribute }
        set { box.update { $0.xmlAttribute = newValue } }
    }

    public var flattened: Bool {
        get { box.fields.flattened }
        set { box.update { $0.flattened = newValue } }
    }

    public var streaming: Bool {
        get { box.fields.streaming }
        set { box.update { $0.streaming = newValue } }
    }

    public var timestampFormat: TimestampFormat? {
        get { box.fields.timestampFormat }
        set { box.update { $0.timestampFormat = newValue } }
    }

    /// A string holding JSON, sent base64-encoded in headers (`jsonvalue`).
    public var jsonValue: Bool {
        get { box.fields.jsonValue }
        set { box.update { $0.jsonValue = newValue } }
    }

    public var idempotencyToken: Bool {
        get { box.fields.idempotencyToken }
        set { box.update { $0.idempotencyToken = newValue } }
    }

    public var hostLabel: Bool {
        get { box.fields.hostLabel }
        set { box.update { $0.hostLabel = newValue } }
    }

    public var deprecated: Bool {
        get { box.fields.deprecated }
        set { box.update { $0.deprecated = newValue } }
    }

    /// The query protocol's result element, e.g. `AssumeRoleResult`.
    public var resultWrapper: String? {
        get { box.fields.resultWrapper }
        set { box.update { $0.resultWrapper = newValue } }
    }

    public var eventPayload: Bool {
        get { box.fields.eventPayload }
        set { box.update { $0.eventPayload = newValue } }
    }

    public init(
        shape: String,
        location: MemberLocation? = nil,
        locationName: String? = nil,
        queryName: String? = nil,
        xmlNamespace: XMLNamespace? = nil,
        xmlAttribute: Bool = false,
        flattened: Bool = false,
        streaming: Bool = false,
        timestampFormat: TimestampFormat? = nil,
        jsonValue: Bool = false,
        idempotencyToken: Bool = false,
        hostLabel: Bool = false,
        deprecated: Bool = false,
        resultWrapper: String? = nil,
        eventPayload: Bool = false
    ) {
        box = Boxed(Fields(
            shape: shape,
            location: location,
            locationName: locationName,
            queryName: queryName,
            xmlNamespace: xmlNamespace,
            xmlAttribute: xmlAttribute,
            flattened: flattened,
            streaming: streaming,
            timestampFormat: timestampFormat,
            jsonValue: jsonValue,
            idempotencyToken: idempotencyToken,
            hostLabel: hostLabel,
            deprecated: deprecated,
            resultWrapper: resultWrapper,
            eventPayload: eventPayload
        ))
    }
}

/// `xmlNamespace`: a URI and an optional prefix (`xsi`).
public struct XMLNamespace: Sendable, Hashable {
    public var uri: String
    public var prefix: String?

    public init(uri: String, prefix: String? = nil) {
        self.uri = uri
        self.prefix = prefix
    }
}

/// The timestamp formats of the model's `timestampFormat` trait.
public enum TimestampFormat: String, Sendable, Hashable {
    /// `2026-11-22T17:00:00Z` (fractional seconds accepted on input).
    case iso8601
    /// `Sun, 22 Nov 2026 17:00:00 GMT`.
    case rfc822
    /// Seconds since 1970 as a number.
    case unixTimestamp
}

/// A structure member: its name and reference.
public struct Member: Sendable, Hashable {
    public var name: String
    public var ref: ShapeRef

    public init(name: String, ref: ShapeRef) {
        self.name = name
        self.ref = ref
    }
}

/// A named shape of the model.
public struct Shape: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case structure, list, map, string, integer, long, short, byte, float, double, bigdecimal = "bigDecimal", biginteger = "bigInteger"
        case boolean, timestamp, blob
        /// Free-form JSON (smithy `document`).
        case document
    }

    /// An error shape's traits: `error.code`, `error.httpStatusCode`, `error.senderFault`.
    public struct ErrorTraits: Sendable, Hashable {
        public var code: String?
        public var httpStatusCode: Int?
        public var senderFault: Bool

        public init(code: String? = nil, httpStatusCode: Int? = nil, senderFault: Bool = true) {
            self.code = code
            self.httpStatusCode = httpStatusCode
            self.senderFault = senderFault
        }
    }

    // Boxed: a shape is looked up and copied many times per request; its fields took several hundred bytes.
    struct Fields: Sendable, Hashable {
        var name: String
        var type: Kind
        var members: [Member]
        var member: ShapeRef?
        var key: ShapeRef?
        var value: ShapeRef?
        var required: [String]
        var min: Double?
        var max: Double?
        var pattern: String?
        var enumValues: [String]?
        var sensitive: Bool
        var flattened: Bool
        var locationName: String?
        var xmlNamespace: XMLNamespace?
        var timestampFormat: TimestampFormat?
        var streaming: Bool
        var eventstream: Bool
        var union: Bool
        var document: Bool
        var payload: String?
        var error: ErrorTraits?
        var isException: Bool
        var memberIndex: [String: Int]
        var caseInsensitiveMembers: [String: String]
    }

    private var box: Boxed<Fields>

    public var name: String {
        get { box.fields.name }
        set { box.update { $0.name = newValue } }
    }

    public var type: Kind {
        get { box.fields.type }
        set { box.update { $0.type = newValue } }
    }

    /// Structure members in model order (the order XML is written in).
    public var members: [Member] {
        get { box.fields.members }
        set { box.update { $0.members = newValue } }
    }

    /// List element.
    public var member: ShapeRef? {
        get { box.fields.member }
        set { box.update { $0.member = newValue } }
    }

    /// Map key and value.
    public var key: ShapeRef? {
        get { box.fields.key }
        set { box.update { $0.key = newValue } }
    }

    public var value: ShapeRef? {
        get { box.fields.value }
        set { box.update { $0.value = newValue } }
    }

    public var required: [String] {
        get { box.fields.required }
        set { box.update { $0.required = newValue } }
    }

    /// Minimum length (strings, blobs, lists, maps) or value (numbers).
    public var min: Double? {
        get { box.fields.min }
        set { box.update { $0.min = newValue } }
    }

    public var max: Double? {
        get { box.fields.max }
        set { box.update { $0.max = newValue } }
    }

    public var pattern: String? {
        get { box.fields.pattern }
        set { box.update { $0.pattern = newValue } }
    }

    public var enumValues: [String]? {
        get { box.fields.enumValues }
        set { box.update { $0.enumValues = newValue } }
    }

    public var sensitive: Bool {
        get { box.fields.sensitive }
        set { box.update { $0.sensitive = newValue } }
    }

    public var flattened: Bool {
        get { box.fields.flattened }
        set { box.update { $0.flattened = newValue } }
    }

    public var locationName: String? {
        get { box.fields.locationName }
        set { box.update { $0.locationName = newValue } }
    }

    public var xmlNamespace: XMLNamespace? {
        get { box.fields.xmlNamespace }
        set { box.update { $0.xmlNamespace = newValue } }
    }

    public var timestampFormat: TimestampFormat? {
        get { box.fields.timestampFormat }
        set { box.update { $0.timestampFormat = newValue } }
    }

    public var streaming: Bool {
        get { box.fields.streaming }
        set { box.update { $0.streaming = newValue } }
    }

    public var eventstream: Bool {
        get { box.fields.eventstream }
        set { box.update { $0.eventstream = newValue } }
    }

    public var union: Bool {
        get { box.fields.union }
        set { box.update { $0.union = newValue } }
    }

    public var document: Bool {
        get { box.fields.document }
        set { box.update { $0.document = newValue } }
    }

    /// The structure member sent as the HTTP body (REST protocols).
    public var payload: String? {
        get { box.fields.payload }
        set { box.update { $0.payload = newValue } }
    }

    /// Set for exception shapes.
    public var error: ErrorTraits? {
        get { box.fields.error }
        set { box.update { $0.error = newValue } }
    }

    public var isException: Bool {
        get { box.fields.isException }
        set { box.update { $0.isException = newValue } }
    }

    package var memberIndex: [String: Int] {
        get { box.fields.memberIndex }
        set { box.update { $0.memberIndex = newValue } }
    }

    /// Member names by their lowercased form, to accept `roleArn` for `RoleArn` from Swift types.
    package var caseInsensitiveMembers: [String: String] {
        get { box.fields.caseInsensitiveMembers }
        set { box.update { $0.caseInsensitiveMembers = newValue } }
    }

    public init(
        name: String,
        type: Kind,
        members: [Member] = [],
        member: ShapeRef? = nil,
        key: ShapeRef? = nil,
        value: ShapeRef? = nil,
        required: [String] = [],
        min: Double? = nil,
        max: Double? = nil,
        pattern: String? = nil,
        enumValues: [String]? = nil,
        sensitive: Bool = false,
        flattened: Bool = false,
        locationName: String? = nil,
        xmlNamespace: XMLNamespace? = nil,
        timestampFormat: TimestampFormat? = nil,
        streaming: Bool = false,
        eventstream: Bool = false,
        union: Bool = false,
        document: Bool = false,
        payload: String? = nil,
        error: ErrorTraits? = nil,
        isException: Bool = false
    ) {
        var index: [String: Int] = [:]
        for (i, m) in members.enumerated() { index[m.name] = i }
        var folded: [String: String] = [:]
        for m in members { folded[m.name.lowercased()] = m.name }
        box = Boxed(Fields(
            name: name,
            type: type,
            members: members,
            member: member,
            key: key,
            value: value,
            required: required,
            min: min,
            max: max,
            pattern: pattern,
            enumValues: enumValues,
            sensitive: sensitive,
            flattened: flattened,
            locationName: locationName,
            xmlNamespace: xmlNamespace,
            timestampFormat: timestampFormat,
            streaming: streaming,
            eventstream: eventstream,
            union: union,
            document: document,
            payload: payload,
            error: error,
            isException: isException,
            memberIndex: index,
            caseInsensitiveMembers: folded
        ))
    }

    /// The member called `name`, if this is a structure that has one.
    public subscript(member name: String) -> Member? {
        memberIndex[name].map { members[$0] }
    }
}

extension ServiceModel {
    /// Renames structure keys to the model's member names where they differ only in case
    /// (`roleArn` → `RoleArn`), so that output encoded from Swift-style property names serializes.
    public func normalized(_ value: ShapeValue, shape name: String) -> ShapeValue {
        guard let shape = shapes[name] else { return value }
        // Most outputs need nothing renamed; finding that out allocates nothing, rebuilding them does.
        guard needsNormalizing(value, shape: shape, depth: 0) else { return value }
        return normalized(value, shape: shape, depth: 0)
    }

    /// Whether ``normalized(_:shape:depth:)`` would change `value`.
    private func needsNormalizing(_ value: ShapeValue, shape: Shape, depth: Int) -> Bool {
        guard depth < 64 else { return false }
        switch (shape.type, value) {
        case (.structure, .structure(let members)):
            for (key, v) in members {
                guard let member = shape[member: key] else {
                    if shape.caseInsensitiveMembers[key.lowercased()] != nil { return true }
                    continue
                }
                // Only structures, lists and maps hold keys: a scalar's target shape need not be looked up.
                switch v {
                case .structure, .list, .map:
                    if let target = shapes[member.ref.shape], needsNormalizing(v, shape: target, depth: depth + 1) { return true }
                default:
                    continue
                }
            }
            return false
        case (.list, .list(let items)):
            guard let ref = shape.member, let target = shapes[ref.shape], target.type == .structure || target.type == .list || target.type == .map else {
                return false
            }
            return items.contains { needsNormalizing($0, shape: target, depth: depth + 1) }
        case (.map, .structure):
            return true
        case (.map, .map(let entries)):
            guard let ref = shape.value, let target = shapes[ref.shape] else { return false }
            return entries.values.contains { needsNormalizing($0, shape: target, depth: depth + 1) }
        default:
            return false
        }
    }

    private func normalized(_ value: ShapeValue, shape: Shape, depth: Int) -> ShapeValue {
        guard depth < 64 else { return value }
        switch (shape.type, value) {
        case (.structure, .structure(let members)):
            var out: [String: ShapeValue] = [:]
            out.reserveCapacity(members.count)
            for (key, v) in members {
                let name = shape.memberIndex[key] != nil ? key : (shape.caseInsensitiveMembers[key.lowercased()] ?? key)
                if let member = shape[member: name], let target = shapes[member.ref.shape] {
                    out[name] = normalized(v, shape: target, depth: depth + 1)
                } else {
                    out[name] = v
                }
            }
            return .structure(out)
        case (.list, .list(let items)):
            guard let ref = shape.member, let target = shapes[ref.shape], target.type == .structure || target.type == .list || target.type == .map else {
                return value
            }
            return .list(items.map { normalized($0, shape: target, depth: depth + 1) })
        case (.map, .map(let entries)), (.map, .structure(let entries)):
            guard let ref = shape.value, let target = shapes[ref.shape] else { return .map(entries) }
            return .map(entries.mapValues { normalized($0, shape: target, depth: depth + 1) })
        default:
            return value
        }
    }
}
