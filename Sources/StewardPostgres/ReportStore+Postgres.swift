import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts {
        try await summary(tenantID: tenantID).devices
    }

    public func summary(tenantID: TenantID) async throws -> ReportSummary {
        let rows = try await rows(
            "SELECT dimension, value, devices FROM device_counts WHERE tenant_id = \(tenantID.rawValue)")
        return ReportSummary(rows: try rows.map {
            (try $0.value("dimension"), try $0.value("value"), Int(try $0.value("devices", as: Int64.self)))
        })
    }

    public func inactiveDeviceCount(tenantID: TenantID, before: Date) async throws -> Int {
        let rows = try await rows(
            """
            SELECT count(*)::bigint AS devices FROM devices
            WHERE tenant_id = \(tenantID.rawValue) AND (last_check_in_at < \(before.millisecondsSince1970) OR last_check_in_at IS NULL)
            """)
        return Int(try rows.first?.value("devices", as: Int64.self) ?? 0)
    }
}
