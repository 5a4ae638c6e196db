import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts {
        try await summary(tenantID: tenantID).devices
    }

    public func summary(tenantID: TenantID) async throws -> ReportSummary {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT dimension, value, devices FROM device_counts WHERE tenant_id = ?"),
                arguments: [tenantID.rawValue])
            return ReportSummary(rows: rows.map { ($0["dimension"], $0["value"], $0["devices"]) })
        }
    }
}
