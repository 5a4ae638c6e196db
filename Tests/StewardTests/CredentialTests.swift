import Testing
import StewardModel

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
}
