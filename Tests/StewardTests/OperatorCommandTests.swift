import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import StewardModel
import StewardServer

/// The operator's commands on a real deployment: a tenant's subscription, answering its support
/// case, wiping an app instance — then what the tenant sees through the API.
@Suite(.serialized) struct OperatorCommandTests {
    @Test(arguments: StoreKind.available) func theOperatorSetsTheSubscriptionAnswersCasesAndWipesApps(store: StoreKind) async throws {
        let steward = try Executables.url("steward")
        let work = try TemporaryDirectory()
        var storeArguments = try await EndToEndTests.storeArguments(store, in: work)
        if store == .sqlite { storeArguments += ["--master-key-file", work.url.appendingPathComponent("key").path] }
        func run(_ arguments: [String]) throws -> CommandResult { try runCommand(steward, arguments + storeArguments) }
        let initialised = try run(["init", "--json"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))

        let server = try RunningServer(steward, ["serve", "--port", "0"] + storeArguments, logDirectory: work.url)
        var base = "http://127.0.0.1:\(try await server.waitUntilServing())"
        let admin = tenant.adminToken
        let user: UserView = try await Self.call(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Ida", upn: "ida@example.test"), token: admin, base: base)
        let opened: SupportCaseView = try await Self.call(
            .POST, APIRoute.createSupportCase.path,
            SupportCaseCreateRequest(subject: "Cannot enroll", contactName: "Ida", contactEmail: "ida@example.test", message: "Help."),
            token: admin, base: base)
        let token: EnrollmentTokenView = try await Self.call(
            .POST, APIRoute.createEnrollmentToken.path, EnrollmentTokenCreateRequest(ownership: .personal, userId: user.id), token: admin, base: base)
        let app: AppProtectionRegistered = try await Self.call(
            .POST, APIRoute.registerAppInstance.path,
            AppProtectionRegistration(appId: "com.example.mail", appVersion: "1", sdkVersion: "1", deviceTag: "t", platform: .android),
            token: token.token ?? "", base: base)
        #expect(try await server.stop() == 0)

        let subscription = try run(["tenant", "subscription", "--plan", "trial", "--devices", "5", "--users", "1"])
        #expect(subscription.status == 0 && subscription.stdout.contains("plan trial, devices 5, users 1"), "\(subscription.stderr)")
        let waiting = try run(["support", "list"])
        #expect(waiting.status == 0 && waiting.stdout.contains(opened.id.rawValue) && waiting.stdout.contains("Cannot enroll"), "\(waiting.stderr)")
        #expect(try run(["support", "show", opened.id.rawValue]).stdout.contains("Help."))
        let replied = try run(["support", "reply", opened.id.rawValue, "--message", "Update the agent, please.", "--name", "Support desk"])
        #expect(replied.status == 0, "\(replied.stderr)")
        #expect(try run(["support", "list"]).stdout.isEmpty, "answered: nothing open")
        let listed = try run(["app-protection", "list", "--user", user.id.rawValue])
        #expect(listed.stdout.contains(app.instanceId.rawValue) && listed.stdout.contains("enrolled"), "\(listed.stderr)")
        let wiped = try run(["app-protection", "wipe", app.instanceId.rawValue])
        #expect(wiped.status == 0 && wiped.stdout.contains("wipePending"), "\(wiped.stderr)")

        let again = try RunningServer(steward, ["serve", "--port", "0"] + storeArguments, logDirectory: work.url)
        base = "http://127.0.0.1:\(try await again.waitUntilServing())"
        let account: TenantAccountView = try await Self.call(.GET, APIRoute.getTenantAccount.path, nil as String?, token: admin, base: base)
        #expect(account.plan == .trial && account.licensedDevices == 5 && account.licensedUsers == 1 && account.users == 1)
        let thread: SupportCaseView = try await Self.call(.GET, APIRoute.getSupportCase.path(opened.id.rawValue), nil as String?, token: admin, base: base)
        #expect(thread.status == .answered && thread.messages?.last?.authorName == "Support desk" && thread.messages?.last?.author == .operator)
        let instructions: AppProtectionInstructions = try await Self.call(
            .POST, APIRoute.appInstanceCheckIn.path, AppProtectionCheckIn(healthStatus: .healthy), token: app.instanceSecret, base: base)
        #expect(instructions.wipe)
        let log: Page<AuditEntryView> = try await Self.call(.GET, APIRoute.listAuditEntries.path, nil as String?, token: admin, base: base)
        #expect(log.items.contains { $0.actorType == .cli && $0.activity == "TenantAccount" })
        #expect(try await again.stop() == 0)
    }
    static func call<T: Decodable>(_ method: HTTPMethod, _ path: String, _ body: (some Encodable)?, token: String, base: String) async throws -> T {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try WireCoding.encoder().encode(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else { throw TestFailure("\(path): \(response.status)") }
        return try WireCoding.decoder().decode(T.self, from: Data(buffer: bytes))
    }
}
