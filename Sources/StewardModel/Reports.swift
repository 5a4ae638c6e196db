/// `GET /api/v1/reports/summary`: the tenant's counts. Maintained as devices change (by the
/// database, in the same transaction), never recounted on a read.
public struct ReportSummary: Codable, Sendable, Equatable {
    public var devices: DeviceCounts
    /// End users of the tenant.
    public var users: Int
    /// Diagnostics rolled up per day, kind and name (the last `days` days, 30 by default).
    public var diagnostics: [DiagnosticsDay]
    /// Check-ins of the tenant's devices per day (the last `days` days; days without any left out).
    public var checkIns: [DayCount]
    /// Devices that have not checked in for `inactiveDays` days (or never did).
    public var inactiveDevices: Int
    public var inactiveDays: Int

    public static let inactiveDaysDefault = 7

    public init(
        devices: DeviceCounts, users: Int = 0, diagnostics: [DiagnosticsDay] = [], checkIns: [DayCount] = [],
        inactiveDevices: Int = 0, inactiveDays: Int = ReportSummary.inactiveDaysDefault
    ) {
        self.devices = devices
        self.users = users
        self.diagnostics = diagnostics
        self.checkIns = checkIns
        self.inactiveDevices = inactiveDevices
        self.inactiveDays = inactiveDays
    }

    /// From the stored rows of (dimension, value, count): `users` next to the device dimensions.
    public init(rows: [(dimension: String, value: String, devices: Int)]) {
        self.init(devices: DeviceCounts(rows: rows), users: rows.first { $0.dimension == "users" }?.devices ?? 0)
    }
}

public struct DeviceCounts: Codable, Sendable, Equatable {
    public var total: Int
    /// By `corporate` / `personal`.
    public var byOwnership: [String: Int]
    /// By platform (`linux`, …).
    public var byPlatform: [String: Int]
    /// By operating system name and version, most devices first (nil before a first check-in).
    public var byOperatingSystem: [OperatingSystemCount]

    public init(total: Int, byOwnership: [String: Int], byPlatform: [String: Int], byOperatingSystem: [OperatingSystemCount]) {
        self.total = total
        self.byOwnership = byOwnership
        self.byPlatform = byPlatform
        self.byOperatingSystem = byOperatingSystem
    }

    /// The counts as rows of (dimension, value, devices), as stored; an OS value joins name and
    /// version with U+001F (an empty part is nil).
    public init(rows: [(dimension: String, value: String, devices: Int)]) {
        var byOwnership: [String: Int] = [:]
        var byPlatform: [String: Int] = [:]
        var byOperatingSystem: [OperatingSystemCount] = []
        for row in rows where row.devices != 0 {
            switch row.dimension {
            case "ownership": byOwnership[row.value] = row.devices
            case "platform": byPlatform[row.value] = row.devices
            case "os":
                let parts = row.value.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                byOperatingSystem.append(OperatingSystemCount(
                    name: parts.first.flatMap { $0.isEmpty ? nil : $0 },
                    version: parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil, devices: row.devices))
            default: continue
            }
        }
        byOperatingSystem.sort { ($0.devices, $1.name ?? "", $1.version ?? "") > ($1.devices, $0.name ?? "", $0.version ?? "") }
        self.init(
            total: byOwnership.values.reduce(0, +), byOwnership: byOwnership, byPlatform: byPlatform,
            byOperatingSystem: byOperatingSystem)
    }
}

/// A count on one day (`YYYY-MM-DD`, UTC).
public struct DayCount: Codable, Sendable, Equatable {
    public var day: String
    public var count: Int

    public init(day: String, count: Int) {
        self.day = day
        self.count = count
    }
}

public struct OperatingSystemCount: Codable, Sendable, Equatable {
    public var name: String?
    public var version: String?
    public var devices: Int

    public init(name: String?, version: String?, devices: Int) {
        self.name = name
        self.version = version
        self.devices = devices
    }
}

/// Admin requests to one feature (an API route) of one tenant on one day, as counted.
public struct FeatureUse: Sendable, Equatable {
    public var tenantID: TenantID
    /// `YYYY-MM-DD`, UTC.
    public var day: String
    /// The route, as `METHOD /path/{parameter}`: never a concrete path, which could hold an ID.
    public var feature: String
    public var calls: Int

    public init(tenantID: TenantID, day: String, feature: String, calls: Int) {
        self.tenantID = tenantID
        self.day = day
        self.feature = feature
        self.calls = calls
    }
}

/// One cell of the operator's usage report: a feature on a day, across all tenants. A cell
/// counting fewer than `FeatureUsageCell.threshold` tenants or calls is suppressed (its numbers
/// nil), so the report cannot single out a tenant.
public struct FeatureUsageCell: Codable, Sendable, Equatable {
    public static let threshold = 5

    public var day: String
    public var feature: String
    public var tenants: Int?
    public var calls: Int?
    public var suppressed: Bool

    public init(day: String, feature: String, tenants: Int, calls: Int) {
        self.day = day
        self.feature = feature
        suppressed = tenants < Self.threshold || calls < Self.threshold
        self.tenants = suppressed ? nil : tenants
        self.calls = suppressed ? nil : calls
    }
}
