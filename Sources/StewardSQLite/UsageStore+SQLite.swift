import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func recordFeatureUsage(_ uses: [FeatureUse]) async throws {
        try await pool.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO feature_usage_daily (tenant_id, day, feature, calls) VALUES (?, ?, ?, ?)
                ON CONFLICT (tenant_id, day, feature) DO UPDATE SET calls = calls + excluded.calls
                """)
            for use in uses { try upsert.execute(arguments: [use.tenantID.rawValue, use.day, use.feature, use.calls]) }
        }
    }

    public func featureUsage(from: String) async throws -> [FeatureUsageCell] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT day, feature, count(*) AS tenants, sum(calls) AS calls FROM feature_usage_daily
                    WHERE day >= ? GROUP BY day, feature ORDER BY day, feature
                    """,
                arguments: [from]
            ).map { FeatureUsageCell(day: $0["day"], feature: $0["feature"], tenants: $0["tenants"], calls: $0["calls"]) }
        }
    }

    public func featureUsage(tenantID: TenantID, feature: String, from: String) async throws -> [DayCount] {
        try await readOneStatement { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT day, calls FROM feature_usage_daily WHERE tenant_id = ? AND feature = ? AND day >= ? ORDER BY day"),
                arguments: [tenantID.rawValue, feature, from]
            ).map { DayCount(day: $0["day"], count: $0["calls"]) }
        }
    }

    static func pseudonymKey(_ row: Row, tenantID: TenantID) -> PseudonymKeyRecord {
        PseudonymKeyRecord(
            tenantID: tenantID, version: row["version"], sealedKey: row["sealed_key"],
            createdAt: Date(millisecondsSince1970: row["created_at"]))
    }
}
