// Per dialect on purpose: the job lease is a session-level advisory lock held on one pooled
// connection, which PostgreSQL releases when the replica dies.

import Foundation
import PostgresNIO
import StewardStore

extension PostgresStorage {
    /// The job lease was lost: the connection holding it ended.
    public struct JobLeaseLost: Error {}

    /// Leadership through a session-level advisory lock on one leased connection: PostgreSQL
    /// releases it when that connection ends, so a replica that dies hands the lease over.
    /// The key derives from the schema, so deployments sharing a server do not contend.
    public func withJobLease<T: Sendable>(
        _ body: @Sendable (_ stillHeld: @Sendable () async throws -> Void) async throws -> T
    ) async throws -> T? {
        try await client.withConnection { connection in
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(hashtext(current_schema()), 1), pg_backend_pid()", logger: logger
            ).collect()
            guard let (acquired, pid) = try rows.first?.decode((Bool, Int32).self), acquired else { return nil }
            let logger = self.logger
            let client = self.client
            let result: T
            do {
                result = try await body {
                    // Asked on another pooled connection: a query on a dead holding connection
                    // can wait for TCP to give up, while pg_locks answers at once.
                    let held = try await client.query(
                        """
                        SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = \(pid)
                            AND classid = hashtext(current_schema())::oid AND objid = 1 AND objsubid = 2
                        """, logger: logger
                    ).collect()
                    if held.isEmpty { throw JobLeaseLost() }
                }
            } catch is JobLeaseLost {
                throw JobLeaseLost()
            } catch {
                await Self.unlockJobLease(connection, logger: logger)
                throw error
            }
            await Self.unlockJobLease(connection, logger: logger)
            return result
        }
    }

    /// Gives the lease back, unless its connection is gone (and the lock with its session): a
    /// query sent on a connection PostgreSQL closed can wait for ever, and would hold up the
    /// replica's shutdown.
    private static func unlockJobLease(_ connection: PostgresConnection, logger: Logger) async {
        guard !connection.isClosed else { return }
        _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(current_schema()), 1)", logger: logger)
    }

    public func recordJobRun(_ run: JobRun) async throws {
        _ = try await rows(
            """
            INSERT INTO job_runs (job, holder, ran_at, result)
            VALUES (\(run.job), \(run.holder), \(run.ranAt.millisecondsSince1970), \(run.result))
            ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, ran_at = excluded.ran_at, result = excluded.result
            """)
    }

    public func jobRuns() async throws -> [JobRun] {
        try await rows("SELECT * FROM job_runs ORDER BY job").map { row in
            JobRun(
                job: try row.value("job"), holder: try row.value("holder"),
                ranAt: Date(millisecondsSince1970: try row.value("ran_at")), result: try row.value("result"))
        }
    }
}
