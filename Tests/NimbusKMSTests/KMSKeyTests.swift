//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusCore
import NimbusStorage
import Testing
import _CryptoExtras

@testable import NimbusKMS

@Suite("KMS keys, aliases and lifecycle")
struct KMSKeyTests {
    @Test func createDescribeListAndDefaults() async throws {
        let kms = KMSHarness()
        let created = try await kms.ok("CreateKey", ["Description": "app key", "Tags": [["TagKey": "team", "TagValue": "blue"]]])
        let id = try #require(created.string("KeyMetadata", "KeyId"))
        #expect(UUID(uuidString: id) != nil && id == id.lowercased())
        #expect(created.string("KeyMetadata", "Arn") == KMSHarness.arn(id))
        #expect(created.string("KeyMetadata", "KeySpec") == "SYMMETRIC_DEFAULT")
        #expect(created.string("KeyMetadata", "KeyUsage") == "ENCRYPT_DECRYPT")
        #expect(created.string("KeyMetadata", "KeyState") == "Enabled")
        #expect(created.string("KeyMetadata", "Origin") == "AWS_KMS")
        #expect(created.value("KeyMetadata", "EncryptionAlgorithms") as? [String] == ["SYMMETRIC_DEFAULT"])
        let described = try await kms.ok("DescribeKey", ["KeyId": KMSHarness.arn(id)])
        #expect(described.string("KeyMetadata", "Description") == "app key")
        let listed = try await kms.ok("ListKeys")
        #expect((listed.value("Keys") as? [[String: Any]])?.compactMap { $0["KeyId"] as? String } == [id])
        let tags = try await kms.ok("ListResourceTags", ["KeyId": id])
        #expect((tags.value("Tags") as? [[String: String]]) == [["TagKey": "team", "TagValue": "blue"]])
        try await kms.ok("UpdateKeyDescription", ["KeyId": id, "Description": "new"])
        #expect(try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "Description") == "new")
        try await kms.ok("TagResource", ["KeyId": id, "Tags": [["TagKey": "env", "TagValue": "prod"]]])
        try await kms.ok("UntagResource", ["KeyId": id, "TagKeys": ["team"]])
        let after = try await kms.ok("ListResourceTags", ["KeyId": id])
        #expect((after.value("Tags") as? [[String: String]]) == [["TagKey": "env", "TagValue": "prod"]])
        #expect(try await kms.call("TagResource", ["KeyId": id, "Tags": [["TagKey": "aws:x", "TagValue": "y"]]]).errorCode == "TagException")
    }

    @Test func keyIDsAreUniqueAndPaginated() async throws {
        let kms = KMSHarness()
        var ids: Set<String> = []
        for _ in 0..<5 { ids.insert(try await kms.createKey()) }
        #expect(ids.count == 5)
        let first = try await kms.ok("ListKeys", ["Limit": 2])
        #expect(first.value("Truncated") as? Bool == true)
        let marker = try #require(first.string("NextMarker"))
        let second = try await kms.ok("ListKeys", ["Limit": 10, "Marker": marker])
        #expect((second.value("Keys") as? [Any])?.count == 3)
        #expect(try await kms.call("ListKeys", ["Marker": "garbage"]).errorCode == "InvalidMarkerException")
    }

    @Test func invalidSpecsAndUsages() async throws {
        let kms = KMSHarness()
        #expect(try await kms.call("CreateKey", ["KeySpec": "RSA_1024"]).errorCode == "ValidationException")
        #expect(try await kms.call("CreateKey", ["KeySpec": "ECC_NIST_P256"]).errorCode == "ValidationException")
        #expect(try await kms.call("CreateKey", ["KeySpec": "HMAC_256", "KeyUsage": "ENCRYPT_DECRYPT"]).errorCode == "ValidationException")
        #expect(try await kms.call("CreateKey", ["KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "SIGN_VERIFY"]).errorCode == "ValidationException")
        #expect(try await kms.call("CreateKey", ["Policy": "{not json"]).errorCode == "MalformedPolicyDocumentException")
        #expect((try await kms.ok("ListKeys").value("Keys") as? [Any])?.isEmpty == true, "no key was created by a failed call")
        #expect(try await kms.call("DescribeKey", ["KeyId": "not-a-key"]).errorCode == "NotFoundException")
        #expect(try await kms.call("DescribeKey", ["KeyId": UUID().uuidString.lowercased()]).errorCode == "NotFoundException")
        #expect(try await kms.call("DescribeKey", ["KeyId": "arn:aws:kms:us-east-1:111122223333:thing/x"]).errorCode == "InvalidArnException")
    }

    @Test func aliasesResolveEverywhere() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let other = try await kms.createKey()
        try await kms.ok("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": id])
        #expect(try await kms.call("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": id]).errorCode == "AlreadyExistsException")
        #expect(try await kms.call("CreateAlias", ["AliasName": "alias/aws/s3", "TargetKeyId": id]).errorCode == "NotAuthorizedException")
        #expect(try await kms.call("CreateAlias", ["AliasName": "app", "TargetKeyId": id]).errorCode == "ValidationException")
        #expect(try await kms.call("CreateAlias", ["AliasName": "alias/x", "TargetKeyId": "alias/app"]).errorCode == "NotFoundException")
        let aliasARN = "arn:aws:kms:us-east-1:111122223333:alias/app"
        for name in ["alias/app", aliasARN, id, KMSHarness.arn(id)] {
            #expect(try await kms.ok("DescribeKey", ["KeyId": name]).string("KeyMetadata", "KeyId") == id)
            let encrypted = try await kms.ok("Encrypt", ["KeyId": name, "Plaintext": KMSHarness.b64([1, 2, 3])])
            #expect(encrypted.string("KeyId") == KMSHarness.arn(id))
        }
        let listed = try await kms.ok("ListAliases", ["KeyId": id])
        #expect((listed.value("Aliases") as? [[String: Any]])?.first?["AliasArn"] as? String == aliasARN)
        try await kms.ok("UpdateAlias", ["AliasName": "alias/app", "TargetKeyId": other])
        #expect(try await kms.ok("DescribeKey", ["KeyId": "alias/app"]).string("KeyMetadata", "KeyId") == other)
        try await kms.ok("DeleteAlias", ["AliasName": "alias/app"])
        #expect(try await kms.call("DescribeKey", ["KeyId": "alias/app"]).errorCode == "NotFoundException")
        #expect(try await kms.call("DeleteAlias", ["AliasName": "alias/app"]).errorCode == "NotFoundException")
    }

    @Test func disabledAndPendingDeletionKeysRefuseCryptography() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let blob = try #require(try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([9])]).string("CiphertextBlob"))
        try await kms.ok("DisableKey", ["KeyId": id])
        #expect(try await kms.ok("DescribeKey", ["KeyId": id]).value("KeyMetadata", "Enabled") as? Bool == false)
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([9])]).errorCode == "DisabledException")
        #expect(try await kms.call("Decrypt", ["CiphertextBlob": blob]).errorCode == "DisabledException")
        try await kms.ok("EnableKey", ["KeyId": id])
        try await kms.ok("Decrypt", ["CiphertextBlob": blob])

        #expect(try await kms.call("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 6]).errorCode == "ValidationException")
        #expect(try await kms.call("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 31]).errorCode == "ValidationException")
        let scheduled = try await kms.ok("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        #expect(scheduled.string("KeyState") == "PendingDeletion")
        #expect(scheduled.value("PendingWindowInDays") as? Int == 7)
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([9])]).errorCode == "KMSInvalidStateException")
        #expect(try await kms.call("Decrypt", ["CiphertextBlob": blob]).errorCode == "KMSInvalidStateException")
        #expect(try await kms.call("EnableKey", ["KeyId": id]).errorCode == "KMSInvalidStateException")
        #expect(try await kms.call("ScheduleKeyDeletion", ["KeyId": id]).errorCode == "KMSInvalidStateException")
        try await kms.ok("CancelKeyDeletion", ["KeyId": id])
        #expect(try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "KeyState") == "Disabled")
        #expect(try await kms.call("CancelKeyDeletion", ["KeyId": id]).errorCode == "KMSInvalidStateException")

        try await kms.ok("CreateAlias", ["AliasName": "alias/doomed", "TargetKeyId": id])
        try await kms.ok("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        try await kms.service.runMaintenance(now: Date().addingTimeInterval(6 * 86_400))
        #expect(try await kms.call("DescribeKey", ["KeyId": id]).status == 200, "not yet: the window has not passed")
        try await kms.service.runMaintenance(now: Date().addingTimeInterval(8 * 86_400))
        #expect(try await kms.call("DescribeKey", ["KeyId": id]).errorCode == "NotFoundException")
        #expect(try await kms.call("DescribeKey", ["KeyId": "alias/doomed"]).errorCode == "NotFoundException")
        #expect(try await kms.call("Decrypt", ["CiphertextBlob": blob]).errorCode == "InvalidCiphertextException")
    }

    /// Cryptographic and read operations take another account's key ARN (the key policy decides, in the
    /// authorizer); management operations are for the key's own account only.
    @Test func crossAccountUse() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let blob = try #require(try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([5])]).string("CiphertextBlob"))
        let outsider = Principal.root(of: "444455556666")
        #expect(try await kms.call("Decrypt", ["CiphertextBlob": blob], as: outsider).status == 200)
        #expect(try await kms.call("DescribeKey", ["KeyId": KMSHarness.arn(id)], as: outsider).status == 200)
        #expect(try await kms.call("DescribeKey", ["KeyId": id], as: outsider).errorCode == "NotFoundException", "a bare id names a key of the caller's account")
        let policy = KMSService.defaultKeyPolicy(account: "444455556666")
        #expect(try await kms.call("PutKeyPolicy", ["KeyId": KMSHarness.arn(id), "Policy": policy], as: outsider).errorCode == "NotFoundException")
        #expect(try await kms.call("ScheduleKeyDeletion", ["KeyId": KMSHarness.arn(id)], as: outsider).errorCode == "NotFoundException")
        #expect(try await kms.call("GetKeyPolicy", ["KeyId": KMSHarness.arn(id)], as: outsider).errorCode == "NotFoundException")
        #expect(try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "KeyState") == "Enabled")
    }

    @Test func keyPolicies() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let policy = try #require(try await kms.ok("GetKeyPolicy", ["KeyId": id]).string("Policy"))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(policy.utf8)) as? [String: Any])
        let statement = try #require((parsed["Statement"] as? [[String: Any]])?.first)
        #expect(statement["Action"] as? String == "kms:*")
        #expect((statement["Principal"] as? [String: String])?["AWS"] == "arn:aws:iam::111122223333:root")
        #expect(try await kms.service.keyPolicy(keyARN: KMSHarness.arn(id)) == policy)
        #expect(try await kms.service.keyPolicy(keyARN: KMSHarness.arn(UUID().uuidString.lowercased())) == nil)

        let newPolicy = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
            {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"kms:Decrypt","Resource":"*"}]}
            """
        try await kms.ok("PutKeyPolicy", ["KeyId": id, "PolicyName": "default", "Policy": newPolicy])
        #expect(try await kms.service.keyPolicy(keyARN: KMSHarness.arn(id)) == newPolicy)
        #expect(try await kms.call("PutKeyPolicy", ["KeyId": id, "Policy": "{not json"]).errorCode == "MalformedPolicyDocumentException")
        let noPrincipal = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#
        #expect(try await kms.call("PutKeyPolicy", ["KeyId": id, "Policy": noPrincipal]).errorCode == "MalformedPolicyDocumentException")
        let huge = #"{"Version":"2012-10-17","Statement":[{"Sid":""# + String(repeating: "a", count: 33_000)
            + #"","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#
        #expect(try await kms.call("PutKeyPolicy", ["KeyId": id, "Policy": huge]).errorCode == "LimitExceededException")
        #expect(try await kms.service.keyPolicy(keyARN: KMSHarness.arn(id)) == newPolicy, "a refused policy changes nothing")
        #expect(try await kms.ok("ListKeyPolicies", ["KeyId": id]).value("PolicyNames") as? [String] == ["default"])
        #expect(try await kms.call("GetKeyPolicy", ["KeyId": id, "PolicyName": "other"]).errorCode == "NotFoundException")
    }

    @Test func grants() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let arn = KMSHarness.arn(id)
        let alice = "arn:aws:iam::111122223333:user/alice"
        let carol = "arn:aws:iam::111122223333:user/carol"
        let created = try await kms.ok("CreateGrant", [
            "KeyId": id, "GranteePrincipal": alice, "RetiringPrincipal": carol, "Operations": ["Decrypt", "Encrypt"],
            "Constraints": ["EncryptionContextSubset": ["dept": "finance"]], "Name": "g1",
        ])
        let grantID = try #require(created.string("GrantId"))
        let token = try #require(created.string("GrantToken"))
        #expect(try await kms.service.grantAllows(keyARN: arn, principalARN: alice, operation: "Decrypt", encryptionContext: ["dept": "finance", "x": "y"]))
        #expect(try await kms.service.grantAllows(keyARN: arn, principalARN: alice, operation: "kms:Encrypt", encryptionContext: ["dept": "finance"]))
        #expect(try await !kms.service.grantAllows(keyARN: arn, principalARN: alice, operation: "Decrypt", encryptionContext: ["dept": "hr"]))
        #expect(try await !kms.service.grantAllows(keyARN: arn, principalARN: alice, operation: "Decrypt", encryptionContext: [:]))
        #expect(try await !kms.service.grantAllows(keyARN: arn, principalARN: alice, operation: "ReEncryptFrom", encryptionContext: ["dept": "finance"]))
        #expect(try await !kms.service.grantAllows(keyARN: arn, principalARN: carol, operation: "Decrypt", encryptionContext: ["dept": "finance"]))

        let again = try await kms.ok("CreateGrant", [
            "KeyId": id, "GranteePrincipal": alice, "RetiringPrincipal": carol, "Operations": ["Encrypt", "Decrypt"],
            "Constraints": ["EncryptionContextSubset": ["dept": "finance"]], "Name": "g1",
        ])
        #expect(again.string("GrantId") == grantID, "same name and parameters: the same grant")
        #expect(try await kms.call("CreateGrant", ["KeyId": id, "GranteePrincipal": alice, "Operations": ["Sign"]]).errorCode == "ValidationException")
        let equals = try await kms.ok("CreateGrant", [
            "KeyId": KMSHarness.arn(id), "GranteePrincipal": "arn:aws:iam::111122223333:role/app", "Operations": ["GenerateDataKey"],
            "Constraints": ["EncryptionContextEquals": ["a": "1"]],
        ])
        let roleGrant = try #require(equals.string("GrantId"))
        #expect(try await kms.service.grantAllows(keyARN: arn, principalARN: "arn:aws:iam::111122223333:role/app", operation: "GenerateDataKey", encryptionContext: ["a": "1"]))
        #expect(try await !kms.service.grantAllows(keyARN: arn, principalARN: "arn:aws:iam::111122223333:role/app", operation: "GenerateDataKey", encryptionContext: ["a": "1", "b": "2"]))

        let listed = try await kms.ok("ListGrants", ["KeyId": id])
        #expect((listed.value("Grants") as? [[String: Any]])?.count == 2)
        #expect((listed.value("Grants") as? [[String: Any]])?.allSatisfy { $0["GrantToken"] == nil } == true)
        let retirable = try await kms.ok("ListRetirableGrants", ["RetiringPrincipal": carol])
        #expect((retirable.value("Grants") as? [[String: Any]])?.compactMap { $0["GrantId"] as? String } == [grantID])

        #expect(try await kms.call("RetireGrant", ["GrantToken": token], as: KMSHarness.user("mallory")).errorCode == "AccessDeniedException")
        #expect(try await kms.call("RetireGrant", ["GrantToken": "bm9wZQ=="]).errorCode == "InvalidGrantTokenException")
        try await kms.ok("RetireGrant", ["GrantToken": token], as: KMSHarness.user("carol"))
        #expect(try await !kms.service.grantAllows(keyARN: arn, principalARN: alice, operation: "Decrypt", encryptionContext: ["dept": "finance"]))
        try await kms.ok("RevokeGrant", ["KeyId": id, "GrantId": roleGrant])
        #expect(try await kms.call("RevokeGrant", ["KeyId": id, "GrantId": roleGrant]).errorCode == "NotFoundException")
        #expect((try await kms.ok("ListGrants", ["KeyId": id]).value("Grants") as? [Any])?.isEmpty == true)
    }

    @Test func authorizationTableAndConditionKeys() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey(["Tags": [["TagKey": "team", "TagValue": "blue"]]])
        try await kms.ok("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": id])
        let table = KMSService.authorizationTable
        for operation in kms.definition.handlers.keys where !["CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants"].contains(operation) {
            #expect(table[operation] != nil, "\(operation) names its resource")
        }
        let input = try kms.codec.decodeInput(
            try kms.codec.operation(for: WireRequestFactory.json("Encrypt", #"{"KeyId":"alias/app","Plaintext":"AQ==","EncryptionContext":{"dept":"finance"}}"#)),
            from: WireRequestFactory.json("Encrypt", #"{"KeyId":"alias/app","Plaintext":"AQ==","EncryptionContext":{"dept":"finance"}}"#)
        )
        let keys = try await kms.service.conditionKeys(operation: "Encrypt", input: input, context: kms.context("Encrypt"))
        #expect(keys["kms:EncryptionContext:dept"] == ["finance"])
        #expect(keys["kms:EncryptionContextKeys"] == ["dept"])
        #expect(keys["kms:CallerAccount"] == [KMSHarness.account])
        #expect(keys["kms:KeySpec"] == ["SYMMETRIC_DEFAULT"])
        #expect(keys["kms:KeyUsage"] == ["ENCRYPT_DECRYPT"])
        #expect(keys["kms:RequestAlias"] == ["alias/app"])
        #expect(keys["kms:ResourceAliases"] == ["alias/app"])
        #expect(keys["aws:ResourceTag/team"] == ["blue"])
        #expect(keys["kms:EncryptionAlgorithm"] == ["SYMMETRIC_DEFAULT"])
        let resources = table["Encrypt"]!.resourceARNs(input: input, account: KMSHarness.account, region: KMSHarness.region)
        #expect(resources.count == 1)
        #expect(try await kms.service.resolveKeyARN("alias/app", account: KMSHarness.account, region: KMSHarness.region) == KMSHarness.arn(id))
        #expect(try await kms.service.resolveKeyARN("alias/none", account: KMSHarness.account, region: KMSHarness.region) == nil)
    }

    /// `kms:ResourceAliases` names exactly the aliases of the key the request names, as aliases are created,
    /// moved, deleted and deleted with their key, whatever other aliases the account has.
    @Test func resourceAliasesFollowTheirKey() async throws {
        let kms = KMSHarness()
        let first = try await kms.createKey()
        let second = try await kms.createKey()
        for i in 0..<30 { try await kms.ok("CreateAlias", ["AliasName": "alias/other-\(i)", "TargetKeyId": second]) }
        try await kms.ok("CreateAlias", ["AliasName": "alias/one", "TargetKeyId": first])
        try await kms.ok("CreateAlias", ["AliasName": "alias/two", "TargetKeyId": KMSHarness.arn(first)])
        func aliases(_ keyID: String) async throws -> [String]? {
            let body = #"{"KeyId":"\#(keyID)","Plaintext":"AQ=="}"#
            let input = try kms.codec.decodeInput(
                try kms.codec.operation(for: WireRequestFactory.json("Encrypt", body)), from: WireRequestFactory.json("Encrypt", body)
            )
            return try await kms.service.conditionKeys(operation: "Encrypt", input: input, context: kms.context("Encrypt"))["kms:ResourceAliases"]
        }
        #expect(try await aliases(first) == ["alias/one", "alias/two"])
        #expect(try await aliases("alias/two") == ["alias/one", "alias/two"])

        try await kms.ok("UpdateAlias", ["AliasName": "alias/two", "TargetKeyId": second])
        #expect(try await aliases(first) == ["alias/one"])
        #expect(try await aliases(second)?.contains("alias/two") == true)
        #expect(try await aliases(second)?.count == 31)

        // ListAliases of one key, page by page, reads only that key's aliases.
        var listed: [String] = []
        var marker: String?
        repeat {
            var body: [String: Any] = ["KeyId": second, "Limit": 7]
            if let marker { body["Marker"] = marker }
            let page = try await kms.ok("ListAliases", body)
            listed += (page.value("Aliases") as? [[String: Any]] ?? []).compactMap { $0["AliasName"] as? String }
            marker = page.value("NextMarker") as? String
            #expect((page.value("Truncated") as? Bool) == (marker != nil))
        } while marker != nil
        #expect(listed == (["alias/two"] + (0..<30).map { "alias/other-\($0)" }).sorted())
        #expect(try await kms.call("ListAliases", ["KeyId": second, "Marker": "bm9wZQ=="]).errorCode == "InvalidMarkerException")
        let firstsOwn = try await kms.ok("ListAliases", ["KeyId": first]).value("Aliases") as? [[String: Any]]
        #expect(firstsOwn?.compactMap { $0["AliasName"] as? String } == ["alias/one"])

        try await kms.ok("DeleteAlias", ["AliasName": "alias/one"])
        #expect(try await aliases(first) == nil)

        // A key deleted by the maintenance takes its aliases with it; the other key keeps its own.
        try await kms.ok("CreateAlias", ["AliasName": "alias/three", "TargetKeyId": first])
        try await kms.ok("ScheduleKeyDeletion", ["KeyId": first, "PendingWindowInDays": 7])
        try await kms.service.runMaintenance(now: Date().addingTimeInterval(8 * 86_400))
        let remaining = try await kms.ok("ListAliases", ["Limit": 100]).value("Aliases") as? [[String: Any]]
        #expect(remaining?.compactMap { $0["AliasName"] as? String }.contains("alias/three") == false)
        #expect(try await kms.store.read { try KMSService.aliasNames(of: first, account: KMSHarness.account, region: KMSHarness.region, in: $0) } == [])
        #expect(try await aliases(second)?.count == 31)
    }

    /// A data dir from before the alias index gets one for the aliases it already has.
    @Test func aliasIndexMigrationIndexesExistingAliases() async throws {
        let store = MemoryMetadataStore()
        let now = Date()
        try await store.write { tx in
            for (name, target) in [("alias/a", "k1"), ("alias/b", "k2"), ("alias/c", "k1")] {
                let record = AliasRecord(AliasName: name, AliasArn: "arn", TargetKeyId: target, CreationDate: now, LastUpdatedDate: now)
                try tx.putJSON(KMSKeys.aliases, KMSKeys.key(KMSHarness.account, KMSHarness.region, name), record)
            }
        }
        try await store.migrate(module: "kms", KMSService.migrations)
        let names = try await store.read { reader in
            try ["k1", "k2", "k3"].map { try KMSService.aliasNames(of: $0, account: KMSHarness.account, region: KMSHarness.region, in: reader) }
        }
        #expect(names == [["alias/a", "alias/c"], ["alias/b"], []])
    }
}

import NimbusWire

enum WireRequestFactory {
    static func json(_ operation: String, _ body: String) -> WireRequest {
        WireRequest(
            method: "POST", path: "/",
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.\(operation)"), ("Host", "kms.us-east-1.amazonaws.com")],
            host: "kms.us-east-1.amazonaws.com", body: Array(body.utf8)
        )
    }
}

@Suite struct KeyIDShapeTests {
    /// A key id is a UUID in its canonical lowercase form: what Foundation's UUID prints it as. (Its parser
    /// alone is lenient: it takes `…-d32e6763bc 4`, which AWS calls an invalid key id.)
    private func reference(_ s: String) -> Bool {
        UUID(uuidString: s)?.uuidString.lowercased() == s
    }

    @Test func isACanonicalLowercaseUUID() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("0123456789abcdefABCDEF-g é")
        var samples = (0..<50).map { _ in UUID().uuidString.lowercased() }
        samples += samples.map { $0.uppercased() }
        samples += ["", "-", String(repeating: "a", count: 36), UUID().uuidString.lowercased() + "0", "1234567-89ab-cdef-0123-456789abcdef0"]
        for _ in 0..<2_000 {
            var id = Array(UUID().uuidString.lowercased())
            let position = Int(generator.next() % UInt64(id.count))
            id[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            samples.append(String(id))
        }
        for sample in samples {
            #expect(KMSService.isKeyID(sample) == reference(sample), "\(sample)")
        }
    }
}
