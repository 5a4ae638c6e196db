import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import Testing
import StewardModel

/// The `steward admin` and `steward audit` commands through the real binary, against the
/// database a real `steward serve` uses.
@Suite(.serialized) struct AdminCommandTests {
    @Test(arguments: StoreKind.available) func adminCommandsThenTamperingIsNamedByAuditVerify(store: StoreKind) async throws {
        let steward = try Executables.url("steward")
        let work = try TemporaryDirectory()
        var storeArguments = try await EndToEndTests.storeArguments(store, in: work)
        if store == .sqlite { storeArguments += ["--master-key-file", work.url.appendingPathComponent("key").path] }
        func run(_ arguments: [String]) throws -> CommandResult { try runCommand(steward, arguments + storeArguments) }
        func password(in output: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix("Password (shown once): ") }
                .map { String($0.dropFirst("Password (shown once): ".count)) }
        }

        let initialised = try run(["init", "--json"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
        let created = try run([
            "admin", "create", "--user-name", "ops", "--first-name", "Olive", "--last-name", "Park", "--email", "ops@example.test",
            "--role", "read only operator",
        ])
        #expect(created.status == 0, "\(created.stderr)")
        let opsPassword = try #require(password(in: created.stdout))
        #expect(try run(["admin", "create", "--user-name", "ops", "--first-name", "A", "--last-name", "B", "--email", "x@example.test"]).status != 0)
        let reset = try run(["admin", "reset-password", "admin"])
        let adminPassword = try #require(password(in: reset.stdout))
        let listed = try run(["admin", "list"])
        #expect(listed.stdout.contains("ops  Olive Park  active") && listed.stdout.contains("admin  Administrator  active"))

        let server = try RunningServer(steward, ["serve", "--port", "0"] + storeArguments, logDirectory: work.url)
        let base = "http://127.0.0.1:\(try await server.waitUntilServing())"
        func signIn(_ user: String, _ password: String) async throws -> (UInt, String?) {
            var request = HTTPClientRequest(url: base + APIRoute.signIn.path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try WireCoding.encoder().encode(
                SignInRequest(tenantId: tenant.tenantId, userName: user, password: password))))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            return (response.status.code, response.headers.first(name: "set-cookie"))
        }
        let (adminStatus, cookie) = try await signIn("admin", adminPassword)
        #expect(adminStatus == 201 && cookie?.contains("steward_session=") == true && cookie?.contains("HttpOnly") == true)
        #expect(try await signIn("ops", opsPassword).0 == 201)
        #expect(try run(["admin", "disable", "ops"]).status == 0)
        #expect(try await signIn("ops", opsPassword).0 == 401)
        #expect(try await server.stop() == 0)

        let statement = try run(["privacy", "statement"])
        #expect(statement.status == 0 && statement.stdout.hasPrefix("# Data collection in Steward for Default"), "\(statement.stderr)")
        #expect(try run(["privacy", "erase", "--user", "00000000-0000-7000-8000-000000000abc"]).stderr.contains("--confirm"))
        let nobody = try run(["privacy", "erase", "--user", "00000000-0000-7000-8000-000000000abc", "--confirm"])
        #expect(nobody.status != 0 && nobody.stderr.contains("No such user"), "\(nobody.stderr)")

        let intact = try run(["audit", "verify"])
        #expect(intact.status == 0 && intact.stdout.contains("chain intact"), "\(intact.stdout)\(intact.stderr)")

        // Someone with the database edits entry #3 (the ops admin's creation) behind Steward's back.
        let tamper = "UPDATE audit_entries SET target_id = 'someone-else' WHERE sequence = 3"
        switch store {
        case .sqlite:
            let queue = try DatabaseQueue(path: work.url.appendingPathComponent("data/steward.sqlite").path)
            try await queue.write { db in
                #expect(throws: (any Error).self) { try db.execute(sql: tamper) }
                try db.execute(sql: "DROP TRIGGER audit_entries_no_update")
                try db.execute(sql: tamper)
            }
        case .postgres:
            let url = try #require(storeArguments.firstIndex(of: "--database").map { storeArguments[$0 + 1] })
            try await TestPostgres.execute("ALTER TABLE audit_entries DISABLE TRIGGER USER", url: url)
            try await TestPostgres.execute(tamper, url: url)
        }
        let broken = try run(["audit", "verify"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("BROKEN at entry #3"), "\(broken.stdout)\(broken.stderr)")
        let json = try run(["audit", "verify", "--json"])
        let verification = try WireCoding.decoder().decode(AuditVerification.self, from: Data(json.stdout.utf8))
        #expect(verification.firstBroken?.sequence == 3 && verification.firstBroken?.entryId != nil)

        // Without the master key nothing can be verified (nor forged).
        let keyless = try runCommand(steward, ["audit", "verify"] + storeArguments.filter { !$0.contains("key") } + ["--master-key-file", "/nonexistent"])
        #expect(keyless.status != 0 && keyless.stderr.contains("no master key"))
        // Nor with another key: a replica started with one is refused before it writes anything.
        let other = work.url.appendingPathComponent("other.key")
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: other)
        let withOther = storeArguments.filter { !$0.contains("key") } + ["--master-key-file", other.path]
        let wrongKey = try runCommand(steward, ["serve", "--port", "0"] + withOther)
        #expect(wrongKey.status != 0 && wrongKey.stderr.contains("not the one this database was initialised with"), "\(wrongKey.stderr)")
    }
}
