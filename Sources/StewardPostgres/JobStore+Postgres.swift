import Foundation
import PostgresNIO
import StewardStore

extension PostgresStorage {
    /// Leadership through a session-level advisory lock on one leased connection: PostgreSQL
    /// releases it when that connection ends, so a replica that dies hands the lease over.
    /// The key derives from the schema, so deployments sharing a server do not contend.
    public func withJobLease<T: Sendable>(
        _ body: @Sendable (_ stillHeld: @Sendable () async throws -> Void) async throws -> T
    ) async throws -> T? {
        try await client.withConnection { connection in
            let acquired = try await connection.query(
                "SELECT pg_try_advisory_lock(hashtext(current_schema()), 1)", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
            guard acquired else { return nil }
            let logger = self.logger
            do {
                let result = try await body {
                    // A round trip on the holding connection: it fails once the connection is gone.
                    try await connection.query("SELECT 1", logger: logger)
                }
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(current_schema()), 1)", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(current_schema()), 1)", logger: logger)
                throw error
            }
        }
    }

    public func recordJobRun(_ run: JobRun) async throws {
        try await client.query(
            """
            INSERT INTO job_runs (job, holder, ran_at, result)
            VALUES (\(run.job), \(run.holder), \(run.ranAt.millisecondsSince1970), \(run.result))
            ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, ran_at = excluded.ran_at, result = excluded.result
            """, logger: logger)
    }

    public func jobRuns() async throws -> [JobRun] {
        try await rows("SELECT * FROM job_runs ORDER BY job").map { row in
            JobRun(
                job: try row.value("job"), holder: try row.value("holder"),
                ranAt: Date(millisecondsSince1970: try row.value("ran_at")), result: try row.value("result"))
        }
    }
}
