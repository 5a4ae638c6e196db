import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a server in this process for the duration of `body`, which receives the bound port
/// (for the quickstart and the benchmark). With `serveAfterwards` the server keeps serving
/// after `body` until SIGINT or SIGTERM; otherwise it shuts down gracefully at once.
/// A server that cannot start (its port taken) throws its own error instead of waiting.
public func withInProcessServer(
    configuration: ServerConfiguration, dependencies: ServerDependencies, background: BackgroundServices? = nil,
    serveAfterwards: Bool = false, _ body: @escaping @Sendable (_ port: Int) async throws -> Void
) async throws {
    let (ports, announce) = AsyncStream.makeStream(of: Int.self)
    let app = try buildApplication(
        configuration: configuration, dependencies: dependencies, background: background, onServerRunning: { announce.yield($0) })
    let services = ServiceGroup(configuration: .init(
        services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: dependencies.logger))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { announce.finish() }
            try await services.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await group.waitForAll()
            return
        }
        do {
            try await body(port)
        } catch {
            await services.triggerGracefulShutdown()
            throw error
        }
        if !serveAfterwards { await services.triggerGracefulShutdown() }
        try await group.waitForAll()
    }
}
