import Foundation
import StewardAgent
import StewardModel
import StewardServer

/// A real server on loopback and the real agent, enrolled into it from a fresh state directory.
struct EnrolledAgent: Sendable {
    let base: String
    let admin: AdminClient
    let agent: Agent
    let deviceID: DeviceID
    /// The server's task notifier: what a test waits on to know the agent's poll is parked.
    let notifier: TaskNotifier
}

extension TestEnvironment {
    func withEnrolledAgent(
        _ ownership: Ownership, owner: AgentConfiguration? = nil, _ body: @escaping @Sendable (EnrolledAgent) async throws -> Void
    ) async throws {
        let work = try TemporaryDirectory()
        var loopback = configuration
        loopback.port = 0
        let tenantToken = tenant.adminToken
        let background = BackgroundServices(configuration: loopback, dependencies: dependencies)
        try await withInProcessServer(configuration: loopback, dependencies: dependencies, background: background) { port in
            let base = "http://127.0.0.1:\(port)"
            let admin = AdminClient(server: base, token: tenantToken)
            let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: ownership))
            let agent = Agent(state: AgentState(directory: work.url), configuration: owner)
            guard case .enrolled(let deviceID) = try await agent.enroll(server: base, token: token.token ?? "") else {
                throw TestFailure("not enrolled")
            }
            try await body(EnrolledAgent(base: base, admin: admin, agent: agent, deviceID: deviceID, notifier: background.notifier))
        }
    }
}
