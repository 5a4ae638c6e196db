// Per dialect on purpose: the job lease. One SQLite file has one server, so the lease is always held.

import Foundation
import GRDB
import StewardStore

extension SQLiteStorage {
    /// One process owns a SQLite file, so this process always holds the lease.
    public func withJobLease<T: Sendable>(
        _ body: @Sendable (_ stillHeld: @Sendable () async throws -> Void) async throws -> T
    ) async throws -> T? {
        try await body({})
    }

    public func recordJobRun(_ run: JobRun) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO job_runs (job, holder, ran_at, result) VALUES (?, ?, ?, ?)
                    ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, ran_at = excluded.ran_at, result = excluded.result
                    """,
                arguments: [run.job, run.holder, run.ranAt.millisecondsSince1970, run.result])
        }
    }

    public func jobRuns() async throws -> [JobRun] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job_runs ORDER BY job").map { row in
                JobRun(job: row["job"], holder: row["holder"], ranAt: Date(millisecondsSince1970: row["ran_at"]), result: row["result"])
            }
        }
    }
}
