//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore

/// A service operation's logic with its `Codable` input and output erased to `ShapeValue`.
///
/// ```swift
/// OperationHandler { (input: GetCallerIdentityInput, context) in
///     GetCallerIdentityOutput(userId: …, account: …, arn: …)
/// }
/// ```
public struct OperationHandler: Sendable {
    private let body: @Sendable (ShapeValue, RequestContext) async throws -> OperationOutput

    public init<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ body: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) {
        self.body = { value, context in
            let input: Input
            do {
                input = try ShapeDecoder().decode(Input.self, from: value)
            } catch let error as DecodingError {
                throw Self.validationError(error, service: context.service)
            }
            let output = try await body(input, context)
            return OperationOutput(try ShapeEncoder().encode(output))
        }
    }

    /// A handler that works on the decoded `ShapeValue` itself and may stream its payload: for services
    /// whose members are mostly HTTP headers and whose bodies are streams (S3).
    public init(raw body: @escaping @Sendable (ShapeValue, RequestContext) async throws -> OperationOutput) {
        self.body = body
    }

    /// Runs the handler. Throws the handler's `AWSError`s unchanged; an input the handler's type cannot
    /// hold becomes a validation error.
    public func callAsFunction(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        try await body(input, context).value
    }

    /// Runs the handler, keeping the payload stream it may return.
    public func output(_ input: ShapeValue, _ context: RequestContext) async throws -> OperationOutput {
        try await body(input, context)
    }

    private static func validationError(_ error: DecodingError, service: String) -> AWSError {
        let path: [any CodingKey]
        let constraint: String
        switch error {
        case .keyNotFound(let key, let ctx):
            path = ctx.codingPath + [key]
            constraint = "Value null at '\(render(path))' failed to satisfy constraint: Member must not be null"
        case .valueNotFound(_, let ctx), .typeMismatch(_, let ctx), .dataCorrupted(let ctx):
            path = ctx.codingPath
            constraint = "Value at '\(render(path))' failed to satisfy constraint: \(ctx.debugDescription)"
        @unknown default:
            constraint = "Invalid input"
        }
        return AWSError(code: "ValidationError", message: "1 validation error detected: " + constraint, status: 400)
    }

    private static func render(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "\($0 + 1).member" } ?? Validator.pathName($0.stringValue) }.joined(separator: ".")
    }
}

/// What a handler returns: the output members, and for an operation whose output streams (S3 `GetObject`)
/// the payload.
public struct OperationOutput: Sendable {
    public var value: ShapeValue
    public var payload: ByteStream?
    /// A status other than the operation's usual one (206 for a range of an object).
    public var status: Int?

    public init(_ value: ShapeValue, payload: ByteStream? = nil, status: Int? = nil) {
        self.value = value
        self.payload = payload
        self.status = status
    }
}

/// The output of operations that return nothing, and the input of those that take nothing.
public struct EmptyShape: Codable, Sendable, Hashable {
    public init() {}
}

/// Computes an operation's own condition keys from its validated input; throws to refuse the call.
public typealias AuthorizationContextProvider = @Sendable (ShapeValue, RequestContext) async throws -> [String: [String]]

/// Replaces the resources an operation's templates rendered, when only the service can tell what the input
/// names (a KMS alias or ciphertext blob → the key's ARN). Gets the rendered ARNs; returns the real ones.
public typealias ResourceResolver = @Sendable (ShapeValue, RequestContext, [String]) async throws -> [String]

/// A request the pipeline has answered, as a service's observer sees it (S3 server access logs).
public struct CompletedRequest: Sendable {
    public var request: WireRequest
    public var context: RequestContext
    /// Empty when the request named no operation.
    public var operation: String
    public var input: ShapeValue?
    public var status: Int
    public var errorCode: String?
    /// Bytes of the response body (the streamed payload's declared length when it streams).
    public var bytesSent: Int64
    /// From receipt to the response being ready.
    public var duration: Duration

    public init(
        request: WireRequest, context: RequestContext, operation: String, input: ShapeValue?, status: Int, errorCode: String?,
        bytesSent: Int64, duration: Duration
    ) {
        self.request = request
        self.context = context
        self.operation = operation
        self.input = input
        self.status = status
        self.errorCode = errorCode
        self.bytesSent = bytesSent
        self.duration = duration
    }
}

/// Answers a request that is not an API operation of the model (S3's CORS preflight `OPTIONS`, browser
/// `POST` uploads) before routing and authentication; nil to let the pipeline answer as usual. It sees
/// every request of the service, so it must decide cheaply.
public typealias PreflightResponder = @Sendable (WireRequest, RequestContext) async -> PreflightAnswer?

/// A preflight's answer and, when the request was a call AWS records (a browser `POST` upload is S3's
/// `PostObject`), the call, which the pipeline puts in CloudTrail as it does every operation's.
public struct PreflightAnswer: Sendable {
    public var response: WireResponse
    public var call: AuditedCall?

    public init(_ response: WireResponse, call: AuditedCall? = nil) {
        self.response = response
        self.call = call
    }
}

/// A call answered outside the operation handlers: who made it (`context.principal`, `context.operation`),
/// its parameters as CloudTrail shows them, and the error it got, if any.
public struct AuditedCall: Sendable {
    public var context: RequestContext
    public var requestParameters: JSONValue?
    public var error: AWSError?

    public init(context: RequestContext, requestParameters: JSONValue?, error: AWSError?) {
        self.context = context
        self.requestParameters = requestParameters
        self.error = error
    }
}
/// Headers a service adds to every answer, errors included (S3's CORS headers for a request with `Origin`).
public typealias ResponseDecorator = @Sendable (WireRequest, RequestContext, inout WireResponse) async -> Void
public typealias CompletionObserver = @Sendable (CompletedRequest) async -> Void

/// The caller of an operation that AWS accepts unsigned because its input proves who is asking
/// (`AssumeRoleWithWebIdentity`'s token), with the condition keys that proof brings (`<provider>:sub`).
public struct InputIdentity: Sendable {
    public var principal: Principal
    public var conditionKeys: [String: [String]]

    public init(principal: Principal, conditionKeys: [String: [String]]) {
        self.principal = principal
        self.conditionKeys = conditionKeys
    }
}

/// An input authenticator's refusal that is still to be recorded, as AWS records a refused
/// `AssumeRoleWithWebIdentity` in the role's account: `claimed` is who the input said the caller was
/// (unverified), and its account receives the event.
public struct InputAuthenticationFailure: Error, Sendable {
    public var underlying: any Error
    public var claimed: Principal

    public init(underlying: any Error, claimed: Principal) {
        self.underlying = underlying
        self.claimed = claimed
    }
}

/// Establishes the caller from the decoded input, in place of the request's signature; throws the
/// operation's own error (`InvalidIdentityToken`) when the proof does not hold, wrapped in an
/// ``InputAuthenticationFailure`` when the refusal belongs in an account's CloudTrail.
public typealias InputAuthenticator = @Sendable (ShapeValue, RequestContext) async throws -> InputIdentity

/// For an operation that reads something that may not exist, when only some callers may learn that it does
/// not: S3 answers a GET or HEAD of a missing key `NoSuchKey` (404) to a caller allowed `s3:ListBucket` on the
/// bucket, and `AccessDenied` (403) to any other, whatever it may do to the key itself.
public struct AbsenceDisclosure: Sendable {
    /// The action that lets a caller learn of the absence, and the resource it is asked on.
    public var action: String
    public var resource: @Sendable (ShapeValue) -> String?
    /// The operation's not-found errors that this governs (`NoSuchKey`).
    public var notFoundCodes: Set<String>
    /// The not-found error for what the input names when it is absent; nil when it is there.
    public var absence: @Sendable (ShapeValue, RequestContext) async throws -> AWSError?

    public init(
        action: String, resource: @escaping @Sendable (ShapeValue) -> String?, notFoundCodes: Set<String>,
        absence: @escaping @Sendable (ShapeValue, RequestContext) async throws -> AWSError?
    ) {
        self.action = action
        self.resource = resource
        self.notFoundCodes = notFoundCodes
        self.absence = absence
    }
}

/// A service: its model and a handler per implemented operation name.
public struct ServiceDefinition: Sendable {
    public var model: ServiceModel
    /// Handlers by operation name (`AssumeRole`). Operations without one answer `NotImplemented`.
    public var handlers: [String: OperationHandler]
    /// Whether the codec checks the model's constraints or the handlers do.
    public var constraintValidation: ServiceCodec.ConstraintValidation
    /// What each operation needs to be allowed. An operation not listed is `<prefix>:<Operation>` on `*`.
    public var authorization: [String: OperationAuthorization]
    /// Condition keys an operation adds before it is authorized (`sts:ExternalId`, MFA given with the call).
    public var authorizationContext: [String: AuthorizationContextProvider]
    /// Operations whose resources need the service's own lookup.
    public var resourceResolvers: [String: ResourceResolver] = [:]
    /// Operations that need no signature because their input names the caller; a signature, if any, is ignored.
    public var inputAuthenticators: [String: InputAuthenticator] = [:]
    /// For requests outside the model, before routing and authentication.
    public var preflight: PreflightResponder?
    /// Whether the preflight reads this request's body as a stream from the socket (S3's POST uploads, of up
    /// to 5 GB); other requests the preflight answers get their body buffered. Must be cheap.
    public var streamsPreflightBody: (@Sendable (WireRequest) -> Bool)?
    public var decorateResponse: ResponseDecorator?
    /// Told of every answered request (after it is answered, before the next one on the connection).
    public var onCompletion: CompletionObserver?
    /// Operations whose not-found answers only some callers may hear (see ``AbsenceDisclosure``).
    public var absenceDisclosure: [String: AbsenceDisclosure] = [:]

    public init(
        model: ServiceModel,
        handlers: [String: OperationHandler],
        constraintValidation: ServiceCodec.ConstraintValidation = .model,
        authorization: [String: OperationAuthorization] = [:],
        authorizationContext: [String: AuthorizationContextProvider] = [:]
    ) {
        self.model = model
        self.handlers = handlers
        self.constraintValidation = constraintValidation
        self.authorization = authorization
        self.authorizationContext = authorizationContext
    }

    /// A codec for this service's model. It builds routing tables: make one per service and keep it.
    public var codec: ServiceCodec { ServiceCodec(model: model, constraintValidation: constraintValidation) }
}
