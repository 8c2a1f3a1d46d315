//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
public import NimbusCore

/// How audit records print timestamps.
public enum AuditTimestampStyle: Sendable, Hashable {
    /// `Nov 22, 2026, 5:00:00 PM` (UTC), as CloudTrail shows many services' response elements.
    case cloudTrail
    /// `2026-11-22T17:00:00Z`.
    case iso8601
}

extension ServiceModel {
    /// The value to record in a CloudTrail event as `requestParameters` or `responseElements`.
    ///
    /// Member names are lowerCamelCase (`roleArn`, `roleSessionName`; S3's `Bucket` is `bucketName`),
    /// sensitive values are `HIDDEN_DUE_TO_SECURITY_REASONS`, blobs and HTTP status members are
    /// left out. Returns `nil` for an empty structure, which CloudTrail records as `null`.
    public func auditParameters(_ value: ShapeValue, shape name: String, timestamps: AuditTimestampStyle = .cloudTrail) -> JSONValue? {
        guard let shape = shapes[name] else { return nil }
        let result = audit(normalized(value, shape: name), shape: shape, sensitive: false, timestamps: timestamps, depth: 0)
        if case .object(let members)? = result, members.isEmpty { return nil }
        return result
    }

    /// `requestParameters` for a decoded input of `operation`.
    public func requestParameters(_ operation: Operation, _ input: ShapeValue) -> JSONValue? {
        operation.input.flatMap { auditParameters(input, shape: $0.shape) }
    }

    /// `responseElements` for an output of `operation`.
    public func responseElements(_ operation: Operation, _ output: ShapeValue) -> JSONValue? {
        operation.output.flatMap { auditParameters(output, shape: $0.shape) }
    }

    private static let hidden = JSONValue.string("HIDDEN_DUE_TO_SECURITY_REASONS")

    private func auditName(_ member: Member) -> String {
        if endpointPrefix == "s3", member.name == "Bucket" { return "bucketName" }
        return Validator.pathName(member.name)
    }

    private func audit(_ value: ShapeValue, shape: Shape, sensitive: Bool, timestamps: AuditTimestampStyle, depth: Int) -> JSONValue? {
        if sensitive || shape.sensitive { return Self.hidden }
        guard depth < 32 else { return nil }
        switch (shape.type, value) {
        case (.structure, .structure(let members)):
            var out: [(String, JSONValue)] = []
            for member in shape.members {
                guard let v = members[member.name], let target = shapes[member.ref.shape], member.ref.location != .statusCode else { continue }
                if let json = audit(v, shape: target, sensitive: false, timestamps: timestamps, depth: depth + 1) {
                    out.append((auditName(member), json))
                }
            }
            return .object(out)
        case (.list, .list(let items)):
            guard let ref = shape.member, let target = shapes[ref.shape] else { return nil }
            return .array(items.compactMap { audit($0, shape: target, sensitive: false, timestamps: timestamps, depth: depth + 1) })
        case (.map, .map(let entries)), (.map, .structure(let entries)):
            guard let ref = shape.value, let target = shapes[ref.shape] else { return nil }
            if shape.key.flatMap({ shapes[$0.shape] })?.sensitive == true { return Self.hidden }
            return .object(entries.keys.sorted().compactMap { k in
                audit(entries[k]!, shape: target, sensitive: false, timestamps: timestamps, depth: depth + 1).map { (k, $0) }
            })
        case (_, .blob):
            return nil
        case (_, .string(let s)): return .string(s)
        case (_, .integer(let i)): return .number(Double(i))
        case (_, .double(let d)): return d.isFinite ? .number(d) : .string(ScalarReader.double(d))
        case (_, .boolean(let b)): return .bool(b)
        case (_, .timestamp(let d)):
            switch timestamps {
            case .iso8601: return .string(TimestampCoding.format(d, .iso8601))
            case .cloudTrail: return .string(Self.cloudTrailDate(d))
            }
        default:
            return nil
        }
    }

    /// `Nov 22, 2026, 5:00:00 PM`, in UTC.
    static func cloudTrailDate(_ date: Date) -> String {
        let iso = TimestampCoding.format(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)), .iso8601)
        // yyyy-MM-ddTHH:mm:ssZ
        let p = Array(iso.utf8)
        func int(_ r: Range<Int>) -> Int { Int(String(decoding: p[r], as: UTF8.self)) ?? 0 }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let year = int(0..<4), month = int(5..<7), day = int(8..<10), hour = int(11..<13)
        let minute = String(decoding: p[14..<16], as: UTF8.self), second = String(decoding: p[17..<19], as: UTF8.self)
        let hour12 = hour % 12 == 0 ? 12 : hour % 12
        return "\(months[month - 1]) \(day), \(year), \(hour12):\(minute):\(second) \(hour < 12 ? "AM" : "PM")"
    }
}
