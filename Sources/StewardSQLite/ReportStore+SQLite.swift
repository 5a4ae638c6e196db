import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts {
        try await summary(tenantID: tenantID).devices
    }

    public func summary(tenantID: TenantID) async throws -> ReportSummary {
        try await readOneStatement { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT dimension, value, devices FROM device_counts WHERE tenant_id = ?"),
                arguments: [tenantID.rawValue])
            return ReportSummary(rows: rows.map { ($0["dimension"], $0["value"], $0["devices"]) })
        }
    }

    /// Through the pool, not in place: the count walks every inactive device's index entry, which
    /// grows with the fleet, and must not hold one of the few cooperative threads meanwhile.
    public func inactiveDeviceCount(tenantID: TenantID, before: Date) async throws -> Int {
        try await pool.unsafeRead { db in
            try Int.fetchOne(
                db.cachedStatement(sql: """
                    SELECT (SELECT count(*) FROM devices WHERE tenant_id = ? AND last_check_in_at < ?)
                         + (SELECT count(*) FROM devices WHERE tenant_id = ? AND last_check_in_at IS NULL)
                    """),
                arguments: [tenantID.rawValue, before.millisecondsSince1970, tenantID.rawValue]) ?? 0
        }
    }
}
