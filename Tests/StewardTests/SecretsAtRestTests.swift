import Foundation
import HummingbirdOTP
import Testing
import StewardModel
import StewardServer

/// Every secret the service hands out or is given — admin API tokens, session tokens,
/// enrollment tokens, device secrets, TOTP secrets, the master key — is absent from the
/// database files: a byte search of SQLite's files (WAL included, after a stop) and of a
/// PostgreSQL `pg_dump` finds none of them, in text or in their secret part alone.
@Suite struct SecretsAtRestTests {
    @Test(arguments: StoreKind.available) func noSecretIsStoredAsItWasHandedOut(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        var secrets: [String: String] = try await env.withClient { api in
            var secrets: [String: String] = [:]
            let world = try await AdminWorld(env, api)
            let (admin, token) = try await world.admin(holding: [])
            secrets["admin API token"] = token
            secrets["tenant admin token"] = env.tenant.adminToken
            secrets["session token"] = try await world.signIn(admin.userName ?? "")
            let enrollment = try await api.enrollmentToken(.corporate)
            secrets["enrollment token"] = enrollment
            let device = try await api.enroll(.corporate)
            secrets["device secret"] = device.deviceSecret
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make(appCount: 3)))
            // Pseudonym keys come into being with the first diagnostics.
            let event = DiagnosticEvent(kind: .responseTime, name: "check-in", at: env.clock.now, durationMs: 12, success: true)
            #expect(try await api.diagnostics(device.deviceSecret, [event]).status == .ok)
            let setup: TOTPSetupView = try await api.created(.POST, APIRoute.startTOTP.path, nil as String?, token: token)
            let code = String(format: "%06d", TOTP(secret: setup.secret).compute(date: env.clock.now))
            #expect(try await api.send(.POST, APIRoute.confirmTOTP.path, token: token, json: TOTPCodeRequest(code: code)).status == .noContent)
            secrets["TOTP secret"] = setup.secret
            return secrets
        }
        secrets["master key"] = TestEnvironment.masterKey.key.withUnsafeBytes { Data($0).base64EncodedString() }
        let masterKeyBytes = TestEnvironment.masterKey.key.withUnsafeBytes { Data($0) }

        let bytes: Data
        switch store {
        case .sqlite:
            await env.storage.close()
            let files = try FileManager.default.contentsOfDirectory(atPath: env.directory.url.path).filter { $0.hasPrefix("steward.sqlite") }
            var all = Data()
            for file in files { all += try Data(contentsOf: env.directory.url.appendingPathComponent(file)) }
            bytes = all
        case .postgres:
            // The environment's schema, named by search_path in its URL: pg_dump takes it as --schema.
            let url = try #require(env.postgresURL)
            var components = try #require(URLComponents(string: url))
            let schema = try #require(components.queryItems?.first { $0.name == "search_path" }?.value)
            components.queryItems = components.queryItems?.filter { $0.name != "search_path" }
            let base = try #require(components.string)
            let dump = try runCommand(URL(fileURLWithPath: "/usr/bin/pg_dump"), ["--data-only", "--schema", schema, base])
            #expect(dump.status == 0, "\(dump.stderr)")
            bytes = Data(dump.stdout.utf8)
        }
        #expect(bytes.count > 10_000)
        // The search finds what is there: the tenant's name is stored.
        #expect(bytes.range(of: Data("Acme".utf8)) != nil)
        for (what, secret) in secrets {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(what) stored as handed out")
            if let part = secret.split(separator: ".").last, part.utf8.count >= 16, part != Substring(secret) {
                #expect(bytes.range(of: Data(part.utf8)) == nil, "the secret part of the \(what) stored")
            }
        }
        #expect(bytes.range(of: masterKeyBytes) == nil, "the master key's bytes stored")
    }
}
