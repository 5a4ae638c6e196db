import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func recordFeatureUsage(_ uses: [FeatureUse]) async throws {
        guard !uses.isEmpty else { return }
        _ = try await rows(
            """
            INSERT INTO feature_usage_daily AS f (tenant_id, day, feature, calls)
            SELECT * FROM unnest(\(uses.map(\.tenantID.rawValue))::text[], \(uses.map(\.day))::text[],
                \(uses.map(\.feature))::text[], \(uses.map { Int64($0.calls) })::bigint[])
            ON CONFLICT (tenant_id, day, feature) DO UPDATE SET calls = f.calls + excluded.calls
            """)
    }

    public func featureUsage(from: String) async throws -> [FeatureUsageCell] {
        try await rows(
            """
            SELECT day, feature, count(*) AS tenants, sum(calls)::bigint AS calls FROM feature_usage_daily
            WHERE day >= \(from) GROUP BY day, feature ORDER BY day, feature
            """
        ).map { row in
            FeatureUsageCell(
                day: try row.value("day"), feature: try row.value("feature"), tenants: Int(try row.value("tenants", as: Int64.self)),
                calls: Int(try row.value("calls", as: Int64.self)))
        }
    }

    public func featureUsage(tenantID: TenantID, feature: String, from: String) async throws -> [DayCount] {
        try await rows(
            """
            SELECT day, calls::bigint AS calls FROM feature_usage_daily
            WHERE tenant_id = \(tenantID.rawValue) AND feature = \(feature) AND day >= \(from) ORDER BY day
            """
        ).map { row in DayCount(day: try row.value("day"), count: Int(try row.value("calls", as: Int64.self))) }
    }
}
