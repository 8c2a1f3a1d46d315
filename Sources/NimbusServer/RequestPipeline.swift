//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import Logging
import NimbusAudit
import NimbusAuth
import NimbusCore
import NimbusWire

/// A service as the pipeline sees it: its model, its codec and its handlers.
/// A class: the pipeline looks one up per request, and copying the struct's many references cost more.
final class RegisteredService: Sendable {
    let definition: ServiceDefinition
    let codec: ServiceCodec
    /// The service's IAM action prefix (`sts`, `s3`, `kms` …).
    let actionPrefix: String
    /// `sts.amazonaws.com`, as CloudTrail's `eventSource` names it: after the signing name, so that S3 Control's
    /// calls are `s3.amazonaws.com`'s, as in AWS. Made once: each event would otherwise build it (one allocation).
    let eventSource: String
    let flavor: SigningFlavor

    init(_ definition: ServiceDefinition) {
        self.definition = definition
        self.codec = definition.codec
        self.actionPrefix = definition.model.signingName
        self.eventSource = "\(definition.model.signingName).amazonaws.com"
        self.flavor = definition.model.signingName == "s3" ? .s3 : .standard
    }
}

/// What the transport knows about a request besides its HTTP message.
struct Connection: Sendable {
    var remoteAddress: String
    var isSecure: Bool
}

/// One way through for every API request:
/// identify → authenticate → decode → authorize → handle → encode, and an audit event for each call.
///
/// It works on `WireRequest`/`WireResponse` so that it can be driven without a socket (tests, benchmarks).
struct RequestPipeline: Sendable {
    let catalog: ServiceCatalog
    let services: [String: RegisteredService]
    let verifier: SigV4Verifier
    /// S3's legacy signatures (`Authorization: AWS …`, `?AWSAccessKeyId=…&Signature=…`), still what boto3
    /// presigns with by default in us-east-1.
    let sigV2: SigV2Verifier?
    let authMode: ServerConfiguration.AuthMode
    let accounts: AccountDirectory
    let defaultAccountID: String
    let authorizer: any Authorizer
    /// Told of every request a long-term IAM key authenticated (for `GetAccessKeyLastUsed`); must be cheap.
    let keyUsage: @Sendable (_ accessKeyID: String, _ service: String, _ region: String, _ at: Date) -> Void
    /// Told of every request a role session made (for `RoleLastUsed`); must be cheap.
    let roleUsage: @Sendable (_ roleARN: String, _ region: String, _ at: Date) -> Void
    let audit: AuditLog
    let clock: WallClock
    let defaultRegion: String
    let metrics: RequestMetrics
    let logger: Logger

    init(
        services: [ServiceDefinition],
        verifier: SigV4Verifier,
        sigV2: SigV2Verifier? = nil,
        authMode: ServerConfiguration.AuthMode,
        accounts: AccountDirectory,
        defaultAccountID: String,
        authorizer: any Authorizer,
        keyUsage: @escaping @Sendable (String, String, String, Date) -> Void = { _, _, _, _ in },
        roleUsage: @escaping @Sendable (String, String, Date) -> Void = { _, _, _ in },
        audit: AuditLog,
        clock: WallClock,
        defaultRegion: String,
        metrics: RequestMetrics,
        logger: Logger
    ) {
        self.catalog = ServiceCatalog(models: services.map(\.model))
        self.services = Dictionary(uniqueKeysWithValues: services.map { ($0.model.name, RegisteredService($0)) })
        self.verifier = verifier
        self.sigV2 = sigV2
        self.authMode = authMode
        self.accounts = accounts
        self.defaultAccountID = defaultAccountID
        self.authorizer = authorizer
        self.keyUsage = keyUsage
        self.roleUsage = roleUsage
        self.audit = audit
        self.clock = clock
        self.defaultRegion = defaultRegion
        self.metrics = metrics
        self.logger = logger
    }

    /// Handles one request end to end. Never throws: every failure becomes an AWS-shaped response.
    ///
    /// - Parameter routing: What ``routing(for:)`` found from the request's head, when the transport asked; else
    ///   the request is identified and routed here.
    func respond(to request: WireRequest, connection: Connection, routing: RequestRouting? = nil) async -> WireResponse {
        let started = ContinuousClock.now
        let requestID = Identifiers.requestID()
        let signable = SignableRequest(
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            // A streamed body is hashed as it is read (`VerifiedBody`), after the signature.
            bodySHA256: request.bodyStream == nil ? Self.sha256Hex(request.body) : nil
        )
        let scope: SigningScope?
        let service: RegisteredService
        // A form-encoded body can name the service (its Action and Version), which the head alone could not.
        let routing = request.hasFormBody ? nil : routing
        if let routing {
            (scope, service) = (routing.scope, routing.service)
        } else {
            scope = SigV4Verifier.scope(of: signable)
            guard let model = catalog.identify(request, signingService: scope?.service), let found = services[model.name] else {
                let response = Self.unknownServiceResponse(requestID: requestID)
                metrics.record(service: "unknown", operation: "unknown", status: response.status, since: started)
                return response
            }
            service = found
        }
        let model = service.codec.model

        var context = RequestContext(
            requestID: requestID,
            receivedAt: clock.now,
            sourceIP: connection.remoteAddress,
            userAgent: request.headers.first { $0.name.equalsASCIICaseInsensitive("user-agent") }?.value ?? "",
            region: scope?.region ?? defaultRegion,
            service: model.signingName,
            operation: "",
            principal: .anonymous,
            isSecureTransport: connection.isSecure
        )
        if let preflight = service.definition.preflight, let answer = await preflight(request, context) {
            if let call = answer.call, !call.context.principal.isAnonymous {
                await record(call)
            }
            let operation = answer.call?.context.operation ?? "Preflight"
            metrics.record(service: model.signingName, operation: operation, status: answer.response.status, since: started)
            return answer.response
        }
        var input: ShapeValue?
        var operation: NimbusWire.Operation?
        var authenticated = false
        var response: WireResponse
        var errorCode: String?
        // Made before the event is awaited, so that what it was made from (a listing's output, which can be
        // a thousand entries) is gone while the call waits for its event to be durable.
        var event: AuditEvent?
        var request = request
        do {
            let op = try routing?.operation ?? service.codec.route(&request)
            operation = op
            context.operation = op.name
            let payload: PayloadMode?
            (context.principal, payload) = try await authenticate(signable, scope: scope, service: service, host: request.host)
            if op.streamingInputMember != nil {
                context.body = streamingBody(request, payload: payload)
            }
            authenticated = !context.principal.isAnonymous
            if context.principal.kind == .user, let key = context.principal.accessKeyID, key.hasPrefix("AKIA") {
                keyUsage(key, model.signingName, context.region, context.receivedAt)
            } else if context.principal.kind == .assumedRole, let role = context.principal.sessionIssuer {
                roleUsage(role, context.region, context.receivedAt)
            }
            let inputAuthenticator = service.definition.inputAuthenticators[op.name]
            if context.principal.isAnonymous && service.flavor != .s3 && inputAuthenticator == nil {
                throw Self.missingAuthentication(for: model)
            }
            let decoding = Result { () throws(AWSError) in try service.codec.decodeInput(op, from: request) }
            if case .failure(let error) = decoding, error.code == "MalformedXML", service.flavor == .s3, inputAuthenticator == nil,
                let located = service.codec.decodeInputWithoutBody(op, from: request)
            {
                // S3 decides access before it reads the body: a caller it refuses learns nothing from the body.
                try await authorize(op, input: located, service: service, context: context, provenKeys: [:])
            }
            let decoded = try decoding.get()
            input = decoded
            var provenKeys: [String: [String]] = [:]
            if let inputAuthenticator {
                let identity: InputIdentity
                do {
                    identity = try await inputAuthenticator(decoded, context)
                } catch let failure as InputAuthenticationFailure {
                    // Recorded like a signed call that was refused, in the account the input addressed.
                    context.principal = failure.claimed
                    authenticated = true
                    throw failure.underlying
                }
                context.principal = identity.principal
                provenKeys = identity.conditionKeys
                authenticated = true
            }
            let disclosure = service.definition.absenceDisclosure[op.name]
            do {
                try await authorize(op, input: decoded, service: service, context: context, provenKeys: provenKeys)
            } catch let denied as AWSError where disclosure != nil && denied.status == 403 {
                // Refused, but allowed to learn that what it asked for is not there: it hears that instead.
                if let disclosure, let absent = try await disclosure.absence(decoded, context),
                    try await mayLearnAbsence(disclosure, input: decoded, context: context)
                {
                    throw absent
                }
                throw denied
            }
            guard let handler = service.definition.handlers[op.name] else {
                throw AWSError(code: "NotImplemented", message: "\(op.name) is not implemented by Nimbus yet.", status: 501)
            }
            let result: OperationOutput
            do {
                result = try await handler.output(decoded, context)
            } catch let notFound as AWSError where disclosure?.notFoundCodes.contains(notFound.code) == true {
                // Allowed, but not to learn that it is not there: refused instead, with no more said (what it
                // lacks is the listing permission, which naming would tell it that the key is missing).
                if let disclosure, try await !mayLearnAbsence(disclosure, input: decoded, context: context) {
                    throw Self.accessDenied(.accessDenied(), for: service.definition.model)
                }
                throw notFound
            }
            let output = result.value
            response = service.codec.encodeOutput(op, output, requestID: requestID)
            if response.bodyIsStreamed, let payload = result.payload {
                if request.method != "HEAD", let length = payload.length, length <= Self.collectedBodyLimit {
                    // A body that cannot be read (an object no piece of which survives) fails the call here,
                    // where it can still be answered, and recorded, as an error.
                    response.body = try await payload.collect(exactly: Int(length))
                } else {
                    response.stream = payload
                }
            }
            if let status = result.status { response.status = status }
            if authenticated {
                event = auditEvent(context, service: service, operation: op, input: decoded, output: output, error: nil)
            }
        } catch {
            let awsError = service.codec.inServiceTerms(Self.clientVisible(error, logger: logger, requestID: requestID))
            errorCode = awsError.code
            response = service.codec.encodeError(awsError, requestID: requestID)
            response.headers += awsError.headers
            if authenticated, let operation {
                event = auditEvent(context, service: service, operation: operation, input: input, output: nil, error: awsError)
            }
        }
        if let event { await record(event) }
        if let decorate = service.definition.decorateResponse {
            await decorate(request, context, &response)
        }
        // HEAD answers and 304s carry headers only, errors included, as S3's do.
        if request.method == "HEAD" || response.status == 304 {
            response.body = []
            response.stream = nil
        }
        if let observe = service.definition.onCompletion {
            let sent = response.stream?.length ?? Int64(response.body.count)
            await observe(CompletedRequest(
                request: request, context: context, operation: context.operation, input: input, status: response.status,
                errorCode: errorCode, bytesSent: sent, duration: ContinuousClock.now - started
            ))
        }
        metrics.record(service: model.signingName, operation: context.operation.isEmpty ? "unknown" : context.operation,
                       status: response.status, since: started)
        if logger.logLevel <= .info {
            logger.info(
                "request",
                metadata: [
                    "request-id": .string(requestID),
                    "service": .string(model.signingName),
                    "operation": .string(context.operation),
                    "status": .stringConvertible(response.status),
                    "latency-ms": .string(String(format: "%.2f", Self.milliseconds(since: started))),
                    "source-ip": .string(connection.remoteAddress),
                ]
            )
        }
        return response
    }

    /// Streamed answers up to this size are read whole before anything is written: the head, the body and
    /// the end then reach the event loop in one hop and the socket in one write, not three hops and two
    /// writes (a 4 KiB S3 `GetObject`), and a body that cannot be read is answered, and audited, as an error
    /// instead of a connection cut after a 200's head.
    static let collectedBodyLimit: Int64 = 64 << 10

    // MARK: Authentication

    /// The caller, and what its signature says about the body (nil when nothing was verified).
    private func authenticate(
        _ request: SignableRequest, scope: SigningScope?, service: RegisteredService, host: String?
    ) async throws -> (Principal, PayloadMode?) {
        switch authMode {
        case .strict:
            if service.flavor == .s3, let sigV2, SigV2Verifier.isSigV2(request),
                let auth = try await sigV2.authenticate(request, host: host)
            {
                return (auth.credential.principal, auth.payload)
            }
            switch try await verifier.authenticate(request, flavor: service.flavor) {
            case .anonymous: return (.anonymous, nil)
            case .authenticated(let auth): return (auth.credential.principal, auth.payload)
            }
        case .compat:
            // Signatures go unchecked; a 12-digit key id names the account, any other key is the default root.
            guard let keyID = scope?.accessKeyID ?? Self.sigV2AccessKeyID(request) else { return (.anonymous, nil) }
            let account = Identifiers.isAccountID(keyID) ? keyID : defaultAccountID
            return (.root(of: account, accessKeyID: keyID), nil)
        }
    }

    /// The key id of a SigV2-signed request, for compat mode (which checks no signature).
    static func sigV2AccessKeyID(_ request: SignableRequest) -> String? {
        guard SigV2Verifier.isSigV2(request) else { return nil }
        for pair in request.query.split(separator: "&") where pair.hasPrefix("AWSAccessKeyId=") {
            return String(pair.dropFirst("AWSAccessKeyId=".count)).removingPercentEncoding
        }
        guard let header = request.headers.first(where: { $0.name.lowercased() == "authorization" })?.value,
            header.hasPrefix("AWS "), let colon = header.firstIndex(of: ":")
        else { return nil }
        return String(header[header.index(header.startIndex, offsetBy: 4)..<colon])
    }

    // MARK: Authorization

    /// Asks the authorizer about every action the operation needs, on the resources its input names.
    private func authorize(
        _ operation: NimbusWire.Operation, input: ShapeValue, service: RegisteredService, context: RequestContext,
        provenKeys: [String: [String]]
    ) async throws {
        let declared = service.definition.authorization[operation.name] ?? OperationAuthorization()
        guard declared.requiresAuthorization else { return }
        var resources = declared.resourceARNs(input: input, account: context.principal.accountID, region: context.region)
        if let resolve = service.definition.resourceResolvers[operation.name] {
            resources = try await resolve(input, context, resources)
        }
        let actions = declared.actions(for: input, defaultAction: "\(service.actionPrefix):\(operation.name)")
        var keys = try await service.definition.authorizationContext[operation.name]?(input, context) ?? [:]
        keys.merge(provenKeys) { _, proven in proven }
        for action in actions {
            do {
                try await authorizer.authorize(AuthorizationRequest(action: action, resources: resources, context: context, conditionKeys: keys))
            } catch {
                // STS tells a token holder no more than this (its principal is a provider, not a caller).
                if context.principal.kind == .webIdentity { throw AWSError.accessDenied("Not authorized to perform \(action)") }
                throw Self.accessDenied(error, for: service.definition.model)
            }
        }
    }

    /// Whether the caller may learn of an absence (``AbsenceDisclosure``).
    private func mayLearnAbsence(_ disclosure: AbsenceDisclosure, input: ShapeValue, context: RequestContext) async throws -> Bool {
        guard let resource = disclosure.resource(input) else { return true }
        do {
            try await authorizer.authorize(AuthorizationRequest(action: disclosure.action, resources: [resource], context: context))
            return true
        } catch let denied as AWSError where denied.status == 403 {
            return false
        }
    }

    /// The protocol's name for a denial: `AccessDeniedException` for JSON services, `AccessDenied` elsewhere.
    static func accessDenied(_ error: AWSError, for model: ServiceModel) -> AWSError {
        switch model.protocol {
        case .json, .restJSON:
            AWSError(code: "AccessDeniedException", message: error.message, status: 400)
        default:
            error
        }
    }

    private static func missingAuthentication(for model: ServiceModel) -> AWSError {
        if case .json = model.protocol {
            return AWSError(code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: 400)
        }
        return .missingAuthenticationToken
    }

    // MARK: Audit

    private func auditEvent(
        _ context: RequestContext,
        service: RegisteredService,
        operation: NimbusWire.Operation,
        input: ShapeValue?,
        output: ShapeValue?,
        error: AWSError?
    ) -> AuditEvent {
        let model = service.definition.model
        let readOnly = Self.isReadOnly(operation.name)
        return AuditEvent(
            context: context,
            eventTime: clock.now,
            readOnly: readOnly,
            requestParameters: input.flatMap { model.requestParameters(operation, $0) },
            // As in AWS, reads record no response: LookupEvents would otherwise record the events it returns,
            // and each page would carry every earlier one.
            responseElements: readOnly ? nil : output.flatMap { model.responseElements(operation, $0) },
            error: error,
            eventSource: service.eventSource
        )
    }

    private func record(_ event: AuditEvent) async {
        do {
            try await audit.record(event)
        } catch {
            // The call already happened; losing its record is an operator problem worth shouting about.
            logger.error("audit event could not be recorded", metadata: ["request-id": .string(event.requestID), "error": "\(error)"])
        }
    }

    /// Records a call a service answered before routing (a browser POST upload).
    private func record(_ call: AuditedCall) async {
        await record(AuditEvent(
            context: call.context, eventTime: clock.now, readOnly: Self.isReadOnly(call.context.operation),
            requestParameters: call.requestParameters, error: call.error
        ))
    }

    /// CloudTrail's `readOnly`: true for the operations that only read.
    static func isReadOnly(_ operation: String) -> Bool {
        for prefix in ["Get", "List", "Describe", "Head", "Lookup", "Select", "Search", "Query", "Scan", "BatchGet", "Check", "Test", "Decode", "Simulate", "Verify"]
        where operation.hasPrefix(prefix) {
            return true
        }
        return false
    }

    // MARK: Errors

    /// AWS errors pass through; anything else is our fault and is logged, never shown.
    static func clientVisible(_ error: any Error, logger: Logger, requestID: String) -> AWSError {
        if let aws = error as? AWSError { return aws }
        logger.error("internal error", metadata: ["request-id": .string(requestID), "error": "\(String(reflecting: error))"])
        return .internalFailure()
    }

    static func unknownServiceResponse(requestID: String) -> WireResponse {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ErrorResponse><Error><Type>Sender</Type><Code>UnknownService</Code>\
            <Message>Nimbus could not tell which AWS service this request is for.</Message></Error>\
            <RequestId>\(requestID)</RequestId></ErrorResponse>
            """
        return WireResponse(
            status: 400,
            headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestID)],
            body: Array(body.utf8)
        )
    }

    static func sha256Hex(_ body: [UInt8]) -> String {
        SigV4Crypto.hex(SHA256.hash(data: body))
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
