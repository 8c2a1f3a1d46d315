//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation

/// A value of a model shape, as the codecs decode it from a request and encode it into a response.
///
/// Handlers rarely see it: `ShapeDecoder` and `ShapeEncoder` turn it into their `Codable` types.
public enum ShapeValue: Sendable, Hashable {
    /// Members by model name (`RoleArn`, not `roleArn`).
    case structure([String: ShapeValue])
    case list([ShapeValue])
    case map([String: ShapeValue])
    case string(String)
    /// `integer`, `long`, `short` and `byte` shapes.
    case integer(Int64)
    /// `float`, `double` and `bigDecimal` shapes.
    case double(Double)
    case boolean(Bool)
    case timestamp(Date)
    case blob([UInt8])

    /// An empty structure, the input or output of operations that take or return nothing.
    public static let empty = ShapeValue.structure([:])

    public subscript(member: String) -> ShapeValue? {
        guard case .structure(let members) = self else { return nil }
        return members[member]
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var integerValue: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    public var booleanValue: Bool? {
        if case .boolean(let b) = self { return b }
        return nil
    }

    public var listValue: [ShapeValue]? {
        if case .list(let l) = self { return l }
        return nil
    }
}

/// `value` as `U`, which must be its own type `T` (the caller compared the two): a generic `as!` is a runtime
/// cast, which the shape coders' fast paths would pay for every member.
@inline(__always)
func sameType<T, U>(_ value: T, as: U.Type) -> U {
    precondition(T.self == U.self)
    return withUnsafePointer(to: value) { $0.withMemoryRebound(to: U.self, capacity: 1) { $0.pointee } }
}
