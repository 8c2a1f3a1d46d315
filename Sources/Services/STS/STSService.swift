//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
public import NimbusWire

/// AWS Security Token Service. The foundation serves `GetCallerIdentity`; the IAM work adds the rest.
public enum STSService {
    public static func definition() -> ServiceDefinition {
        ServiceDefinition(
            model: .sts,
            handlers: [
                "GetCallerIdentity": OperationHandler(getCallerIdentity)
            ],
            authorization: [
                // "No permissions are required to perform this operation."
                "GetCallerIdentity": .unauthorized
            ]
        )
    }

    /// ```xml
    /// <GetCallerIdentityResult>
    ///   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    ///   <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    ///   <Account>123456789012</Account>
    /// </GetCallerIdentityResult>
    /// ```
    struct GetCallerIdentityOutput: Encodable, Sendable {
        var UserId: String
        var Account: String
        var Arn: String
    }

    @Sendable static func getCallerIdentity(_: EmptyShape, context: RequestContext) async throws -> GetCallerIdentityOutput {
        let principal = context.principal
        return GetCallerIdentityOutput(UserId: principal.userID, Account: principal.accountID, Arn: principal.arn)
    }
}
