import Foundation
import StewardModel

/// What a check-in's transaction did: the app inventory's outcome and the tasks handed out.
public struct CheckInWritten: Sendable {
    public var apps: AppsOutcome
    public var tasks: [RemoteTaskRecord]

    public init(apps: AppsOutcome, tasks: [RemoteTaskRecord]) {
        self.apps = apps
        self.tasks = tasks
    }
}

extension InventoryStore {
    /// The sections and app inventory alone.
    public func apply(_ update: InventoryUpdate) async throws -> AppsOutcome {
        try await checkIn(update).apps
    }
}

/// What check-ins write.
public protocol InventoryStore: Sendable {
    /// Writes one check-in in one transaction: the changed sections, the app inventory, the
    /// managed-app states and the tasks handed out commit together or not at all. The app
    /// inventory gate is checked again inside it, so an ownership change racing a check-in can
    /// never leave apps on a personal device.
    func checkIn(_ update: InventoryUpdate) async throws -> CheckInWritten
    /// Records last check-in times of many devices in one transaction.
    func recordLastSeen(_ batch: [LastSeen]) async throws
    /// Apps ordered by app ID, after the given app ID.
    func apps(tenantID: TenantID, deviceID: DeviceID, after: String?, limit: Int) async throws -> [AppRecord]
}
