import Foundation
import StewardModel

/// Work that runs once per deployment, whatever the number of replicas.
public protocol JobStore: Sendable {
    /// Runs `body` while this process holds the deployment's job lease, and returns its result;
    /// returns nil at once when another replica holds the lease. `body` calls `stillHeld`
    /// between runs: it throws once the lease is lost (the holding connection died).
    func withJobLease<T: Sendable>(
        _ body: @Sendable (_ stillHeld: @Sendable () async throws -> Void) async throws -> T
    ) async throws -> T?
    func recordJobRun(_ run: JobRun) async throws
    func jobRuns() async throws -> [JobRun]
}
