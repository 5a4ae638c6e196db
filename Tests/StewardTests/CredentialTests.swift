import Crypto
import Foundation
import Testing
import StewardModel
import StewardServer

@Suite struct CredentialTests {
    let tenant = TenantID(rawValue: "00000000-0000-7000-8000-000000000001")

    @Test func roundTripsThroughItsTextForm() throws {
        let credential = Credential(
            kind: .deviceSecret, tenantID: tenant, id: "00000000-0000-7000-8000-000000000002",
            secret: String(repeating: "s", count: 43))
        let parsed = try #require(Credential(authorization: "Bearer " + credential.text, kind: .deviceSecret))
        #expect(parsed == credential)
    }

    @Test func refusesAnotherKindAndMalformedText() {
        let text = Credential(kind: .adminToken, tenantID: tenant, id: tenant.rawValue, secret: String(repeating: "a", count: 43)).text
        #expect(Credential(text: text[...], kind: .deviceSecret) == nil)
        #expect(Credential(text: "sta.x.y.z", kind: .adminToken) == nil)
        #expect(Credential(authorization: text, kind: .adminToken) == nil, "needs the Bearer scheme")
        let secret = String(repeating: "a", count: 43)
        for malformed in [
            "sta.\(tenant.rawValue).\(tenant.rawValue)", "sta.\(tenant.rawValue).\(tenant.rawValue).\(secret).more",
            "sta..\(tenant.rawValue).\(secret)", "sta.\(tenant.rawValue)..\(secret)", "sta.\(tenant.rawValue).\(tenant.rawValue).",
            ".sta.\(tenant.rawValue).\(tenant.rawValue).\(secret)", "sta.\(tenant.rawValue).\(tenant.rawValue).\(secret.prefix(31))",
            "stax.\(tenant.rawValue).\(tenant.rawValue).\(secret)", "",
        ] {
            #expect(Credential(text: malformed[...], kind: .adminToken) == nil, "\(malformed)")
        }
        #expect(Credential(text: "sta.\(tenant.rawValue).\(tenant.rawValue).\(secret)", kind: .adminToken)?.secret == secret)
    }

    /// A verifier is the SHA-256 of the secret's bytes; a secret matches its own verifier only —
    /// not one of a secret a byte apart, nor a verifier cut short or lengthened.
    @Test func aSecretMatchesItsOwnVerifierOnly() {
        for _ in 0..<50 {
            let credential = Secrets.make(.deviceSecret, tenantID: tenant, id: tenant.rawValue)
            let verifier = Secrets.verifier(of: credential)
            #expect(verifier == Data(SHA256.hash(data: Data(credential.secret.utf8))))
            #expect(Secrets.matches(credential, verifier: verifier))
            var other = Array(credential.secret.utf8)
            let position = Int.random(in: 0..<other.count)
            other[position] = other[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let neighbour = Credential(kind: .deviceSecret, tenantID: tenant, id: tenant.rawValue, secret: String(decoding: other, as: UTF8.self))
            #expect(!Secrets.matches(neighbour, verifier: verifier))
            #expect(!Secrets.matches(credential, verifier: verifier.dropLast()))
            #expect(!Secrets.matches(credential, verifier: verifier + [0]))
            #expect(!Secrets.matches(credential, verifier: Data()))
        }
    }
}
