//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusCredentials
import Testing

@Suite struct PasswordHasherTests {
    /// Fast parameters for the suite; one test below runs the real default.
    static let fast = PasswordHasher(unsafeIterations: 1_000)

    @Test func roundTrip() {
        let encoded = Self.fast.hash("correct horse battery staple")
        #expect(Self.fast.verify("correct horse battery staple", against: encoded))
        #expect(!Self.fast.verify("correct horse battery stapler", against: encoded))
        #expect(!Self.fast.verify("", against: encoded))
    }

    @Test func defaultParametersAreEmbedded() {
        let hasher = PasswordHasher()
        #expect(hasher.iterations == 600_000)
        let encoded = hasher.hash("Päss wörd ✓")
        #expect(encoded.hasPrefix("$pbkdf2-sha256$i=600000$"))
        let parts = encoded.split(separator: "$")
        #expect(parts.count == 4)
        #expect(Data(base64Encoded: String(parts[2]) + "==")?.count == 16)  // 16-byte salt
        #expect(Data(base64Encoded: String(parts[3]) + "=")?.count == 32)  // 32-byte hash
        #expect(PasswordHasher.parameters(of: encoded)?.iterations == 600_000)
        #expect(PasswordHasher.parameters(of: encoded)?.algorithm == "pbkdf2-sha256")
        #expect(hasher.verify("Päss wörd ✓", against: encoded))
        #expect(!hasher.needsRehash(encoded))
    }

    @Test func saltIsFreshEachTime() {
        let a = Self.fast.hash("same")
        let b = Self.fast.hash("same")
        #expect(a != b)
        #expect(Self.fast.verify("same", against: a) && Self.fast.verify("same", against: b))
    }

    @Test func olderParametersStillVerifyAndAskForRehash() {
        let old = Self.fast.hash("pw")
        let current = PasswordHasher(iterations: 210_000)
        #expect(current.verify("pw", against: old))
        #expect(current.needsRehash(old))
        #expect(PasswordHasher(iterations: 5).iterations == 210_000)  // never below swift-crypto's floor
    }

    @Test func tamperedEncodingsAreRefused() {
        let encoded = Self.fast.hash("secret")
        var parts = encoded.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        // Flip a character of the hash.
        var hash = Array(parts[4])
        hash[0] = hash[0] == "A" ? "B" : "A"
        var tampered = parts
        tampered[4] = String(hash)
        #expect(!Self.fast.verify("secret", against: tampered.joined(separator: "$")))
        // Another iteration count gives another hash.
        parts[2] = "i=1001"
        #expect(!Self.fast.verify("secret", against: parts.joined(separator: "$")))
        let hostile = [
            "", "$", "$$$$", "plain", "$pbkdf2-sha256$i=0$AAAAAAAAAAAAAAAAAAAAAA$" + String(repeating: "A", count: 43),
            "$pbkdf2-sha256$i=999999999999$AAAAAAAAAAAAAAAAAAAAAA$" + String(repeating: "A", count: 43),
            "$pbkdf2-sha256$i=-5$AAAA$AAAA", "$pbkdf2-sha1$i=1000$AAAAAAAAAAAAAAAAAAAAAA$" + String(repeating: "A", count: 43),
            "$pbkdf2-sha256$i=1000$!!!!$" + String(repeating: "A", count: 43),
            "$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
            encoded + "$extra", String(repeating: "$", count: 100_000),
        ]
        for h in hostile {
            #expect(!Self.fast.verify("secret", against: h))
            #expect(Self.fast.needsRehash(h))
        }
    }

    @Test func descriptionNamesNoPassword() {
        #expect(PasswordHasher().description == "PasswordHasher(pbkdf2-sha256, iterations: 600000)")
    }
}

@Suite struct PasswordPolicyTests {
    static let fast = PasswordHasher(unsafeIterations: 1_000)

    func violation(_ body: () throws(AWSError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            #expect(error.code == "PasswordPolicyViolation")
            #expect(error.status == 400)
            return error.message
        }
    }

    @Test func everyRuleWithAWSMessage() {
        let policy = PasswordPolicy(
            minimumPasswordLength: 12,
            requireSymbols: true,
            requireNumbers: true,
            requireUppercaseCharacters: true,
            requireLowercaseCharacters: true
        )
        #expect(violation { () throws(AWSError) in try policy.check("Aa1!Aa1!Aa1!") } == nil)
        #expect(violation { () throws(AWSError) in try policy.check("Aa1!Aa1!") } == "Password should have a minimum length of 12")
        #expect(violation { () throws(AWSError) in try policy.check("Aa1xAa1xAa1x") } == "Password should have at least one symbol")
        #expect(violation { () throws(AWSError) in try policy.check("Aa!xAa!xAa!x") } == "Password should have at least one number")
        #expect(violation { () throws(AWSError) in try policy.check("aa1!aa1!aa1!") } == "Password should have at least one uppercase letter")
        #expect(violation { () throws(AWSError) in try policy.check("AA1!AA1!AA1!") } == "Password should have at least one lowercase letter")
        #expect(
            policy.violations(of: "abc") == [
                "Password should have a minimum length of 12", "Password should have at least one symbol",
                "Password should have at least one number", "Password should have at least one uppercase letter",
            ]
        )
    }

    @Test func everyAWSSymbolCounts() {
        let policy = PasswordPolicy(requireSymbols: true)
        for symbol in "!@#$%^&*()_+-=[]{}|'" {
            #expect(policy.violations(of: "abcdef\(symbol)").isEmpty, "\(symbol)")
        }
        // Other punctuation, spaces and letters outside A–Z are not AWS symbols.
        for other in [".", ",", " ", "~", "`", "\"", ";", ":", "<", ">", "/", "?", "\\", "é", "ß"] {
            #expect(policy.violations(of: "abcdef\(other)") == ["Password should have at least one symbol"], "\(other)")
        }
        #expect(PasswordPolicy(requireUppercaseCharacters: true).violations(of: "ÉÉÉÉÉÉ") == ["Password should have at least one uppercase letter"])
    }

    @Test func lengthCountsCharactersNotBytes() {
        #expect(PasswordPolicy(minimumPasswordLength: 6).violations(of: "éééééé").isEmpty)
        #expect(PasswordPolicy(minimumPasswordLength: 7).violations(of: "éééééé") == ["Password should have a minimum length of 7"])
    }

    @Test func reusePrevention() throws {
        let policy = PasswordPolicy(passwordReusePrevention: 2)
        let history = ["third-newest", "newest", "oldest"].map { Self.fast.hash($0) }
        // Most recent first: only the first two are remembered.
        #expect(
            violation { () throws(AWSError) in try policy.check("third-newest", previousHashes: history) }
                == "Policy constraint violation with password reuse prevention during password change"
        )
        #expect(violation { () throws(AWSError) in try policy.check("newest", previousHashes: history) } != nil)
        #expect(violation { () throws(AWSError) in try policy.check("oldest", previousHashes: history) } == nil)
        #expect(violation { () throws(AWSError) in try policy.check("brand-new", previousHashes: history) } == nil)
        // No reuse prevention: history is ignored. Garbage in the history is not a match.
        #expect(violation { () throws(AWSError) in try PasswordPolicy().check("newest", previousHashes: history) } == nil)
        #expect(violation { () throws(AWSError) in try policy.check("newest", previousHashes: ["", "$x$"]) } == nil)
    }

    @Test func defaultPolicyWhenNoneIsSet() {
        func check(_ p: String, _ user: String? = "alice") -> String? {
            violation { () throws(AWSError) in try PasswordPolicy.check(p, against: nil, username: user) }
        }
        #expect(check("Abcdef1!") == nil)
        #expect(check("Abcdefg1") == nil)  // three kinds
        #expect(check("abcdefg1!") == nil)
        #expect(check("Abc1!") == "Password should have a minimum length of 8")
        #expect(check("abcdefgh1") == "Password should contain at least three of the following character types: uppercase letters, lowercase letters, numbers and symbols")
        #expect(check("ABCDEFGH") != nil)
        #expect(check(String(repeating: "Aa1!", count: 33)) == "Password should have a maximum length of 128")
        #expect(check("Alice123!", "Alice123!") == "Password should not be identical to the user name")
        // With a policy, the policy's rules apply instead.
        #expect(violation { () throws(AWSError) in try PasswordPolicy.check("abcdef", against: PasswordPolicy(), username: "u") } == nil)
    }

    @Test func parameterValidation() {
        func message(_ p: PasswordPolicy) -> String? {
            do {
                try p.validateParameters()
                return nil
            } catch {
                #expect(error.code == "ValidationError")
                return error.message
            }
        }
        #expect(message(PasswordPolicy()) == nil)
        #expect(message(PasswordPolicy(minimumPasswordLength: 128, maxPasswordAge: 1095, passwordReusePrevention: 24)) == nil)
        #expect(message(PasswordPolicy(minimumPasswordLength: 6, maxPasswordAge: 1, passwordReusePrevention: 1)) == nil)
        #expect(
            message(PasswordPolicy(minimumPasswordLength: 5))
                == "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"
        )
        #expect(
            message(PasswordPolicy(minimumPasswordLength: 129))
                == "1 validation error detected: Value '129' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128"
        )
        #expect(
            message(PasswordPolicy(maxPasswordAge: 0, passwordReusePrevention: 25))
                == "2 validation errors detected: Value '0' at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1; "
                + "Value '25' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24"
        )
        #expect(message(PasswordPolicy(maxPasswordAge: 1096))?.contains("Member must have value less than or equal to 1095") == true)
        #expect(message(PasswordPolicy(passwordReusePrevention: 0))?.contains("'passwordReusePrevention'") == true)
    }

    @Test func codableWithAWSMemberNames() throws {
        let policy = PasswordPolicy(minimumPasswordLength: 14, requireSymbols: true, allowUsersToChangePassword: true, maxPasswordAge: 90, passwordReusePrevention: 24)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(policy), as: UTF8.self)
        #expect(
            json
                == #"{"AllowUsersToChangePassword":true,"ExpirePasswords":true,"HardExpiry":false,"MaxPasswordAge":90,"MinimumPasswordLength":14,"#
                + #""PasswordReusePrevention":24,"RequireLowercaseCharacters":false,"RequireNumbers":false,"RequireSymbols":true,"RequireUppercaseCharacters":false}"#
        )
        #expect(try JSONDecoder().decode(PasswordPolicy.self, from: Data(json.utf8)) == policy)
        #expect(try JSONDecoder().decode(PasswordPolicy.self, from: Data("{}".utf8)) == PasswordPolicy())
        #expect(!PasswordPolicy().expirePasswords)
    }

    @Test func expiry() {
        let changed = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(PasswordPolicy(maxPasswordAge: 90).expiry(ofPasswordChangedAt: changed) == changed.addingTimeInterval(90 * 86_400))
        #expect(PasswordPolicy().expiry(ofPasswordChangedAt: changed) == nil)
    }

    @Test func hostilePasswords() {
        let policy = PasswordPolicy(minimumPasswordLength: 128, requireSymbols: true, requireNumbers: true, requireUppercaseCharacters: true, requireLowercaseCharacters: true, passwordReusePrevention: 24)
        let huge = String(repeating: "Aa1!", count: 250_000)
        #expect(violation { () throws(AWSError) in try policy.check(huge) } == nil)
        let invalidUTF8 = String(decoding: [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80], as: UTF8.self)
        #expect(violation { () throws(AWSError) in try policy.check(invalidUTF8) } != nil)
        #expect(violation { () throws(AWSError) in try policy.check("\u{0}\u{0}\u{0}") } != nil)
        #expect(violation { () throws(AWSError) in try PasswordPolicy.checkDefault(huge, username: nil) } != nil)
        #expect(Self.fast.verify(invalidUTF8, against: Self.fast.hash(invalidUTF8)))
    }
}
