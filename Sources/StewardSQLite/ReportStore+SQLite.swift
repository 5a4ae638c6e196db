import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts {
        try await summary(tenantID: tenantID).devices
    }

    public func summary(tenantID: TenantID) async throws -> ReportSummary {
        // Read by position (every console devices page and dashboard reads these rows).
        try await readOneStatement { db in
            let rows = try db.cachedStatement(sql: "SELECT dimension, value, devices FROM device_counts WHERE tenant_id = ?")
                .rawRows([tenantID.rawValue]) { row in
                    (dimension: row.text(0) ?? "", value: row.text(1) ?? "", devices: Int(row.integer(2)))
                }
            return ReportSummary(rows: rows)
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
