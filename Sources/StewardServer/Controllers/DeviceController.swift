import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Devices as admins read them, and what admins change: ownership and the user a device
/// belongs to. A scoped admin reaches only the devices of their scope's groups: others are 404.
struct DeviceController: Sendable {
    let store: any DeviceStore & InventoryStore & RecordStore & ManagedAppStore
    let lastSeen: LastSeenRecorder
    let auditor: Auditor
    let clock: Clock

    static let listParameters: Set<String> = [
        "platform", "ownership", "operatingSystem", "namePrefix", "serialNumber", "lastCheckInBefore", "lastCheckInAfter",
        "userId", "sort", "limit", "cursor", "managementId", "directoryDeviceId", "easDeviceId", "windowsDeviceId",
    ]

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<DeviceView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: Self.listParameters)
        var filter = DeviceQuery(limit: try query.limit())
        filter.platform = try query.value("platform").map { raw throws(WireError) in try Platform.parse(raw, field: "platform") }
        filter.ownership = try query.value("ownership").map { raw throws(WireError) in try Ownership.parse(raw, field: "ownership") }
        filter.operatingSystem = try query.string("operatingSystem")
        filter.namePrefix = try query.string("namePrefix")
        filter.lastCheckInBefore = try query.date("lastCheckInBefore")
        filter.lastCheckInAfter = try query.date("lastCheckInAfter")
        filter.userID = try query.value("userId").map { raw throws(WireError) in
            guard UserID.isWellFormed(raw) else { throw WireError.invalidValue(field: "userId", reason: "not a valid identifier") }
            return UserID(rawValue: raw)
        }
        filter.serialNumber = try query.string("serialNumber")
        filter.managementID = try query.string("managementId")
        filter.directoryDeviceID = try query.string("directoryDeviceId")
        filter.easDeviceID = try query.string("easDeviceId")
        filter.windowsDeviceID = try query.string("windowsDeviceId")
        filter.inGroups = context.grants.deviceGroups(for: .devicesRead)
        filter.sort = try query.value("sort").map { raw throws(WireError) in try DeviceSort.parse(raw, field: "sort") } ?? .enrolled
        if let key = try query.cursor(), !filter.continueAfter(key) {
            throw WireError.invalidValue(field: "cursor", reason: "not a cursor of this list")
        }
        let limit = filter.limit
        filter.limit = limit + 1
        var page = Page.of(try await store.devices(tenantID: tenantID, query: filter), limit: limit, key: filter.cursorKey) { $0 }
        let pending = lastSeen.pendingTimes(tenantID: tenantID, deviceIDs: page.items.map(\.id))
        for index in page.items.indices { Self.show(&page.items[index], pendingLastSeen: pending[page.items[index].id]) }
        return JSONResponse(page)
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<DeviceView> {
        let tenantID = try context.requireTenant()
        let device = try await existingDevice(context, tenantID: tenantID, permission: .devicesRead)
        return JSONResponse(await withPendingLastSeen(device, tenantID: tenantID))
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<DeviceView> {
        let tenantID = try context.requireTenant()
        let patch = try await request.decodeJSON(DevicePatch.self, limit: Limits.smallBodyBytes)
        let device = try await existingDevice(context, tenantID: tenantID, permission: .devicesUpdate)
        if case .some(.some(let user)) = patch.userId,
            try await store.record(UserRecord.self, tenantID: tenantID, key: user.rawValue) == nil
        {
            throw APIError.notFound("user")
        }
        var changes = Changes()
        if let ownership = patch.ownership { changes.compare("ownership", device.ownership.rawValue, ownership.rawValue) }
        if let user = patch.userId { changes.compare("userId", device.userId?.rawValue, user?.rawValue) }
        let reEnrollmentUntil = patch.allowReEnrollmentHours.map { clock.now().addingTimeInterval(TimeInterval($0 * 3600)) }
        if let until = reEnrollmentUntil { changes.compare("reEnrollmentAllowedUntil", nil, WireCoding.format(until)) }
        try await store.updateDevice(
            tenantID: tenantID, id: device.id, ownership: patch.ownership, userID: patch.userId,
            reEnrollmentUntil: reEnrollmentUntil,
            audit: auditor.event(
                context, activity: "Device", operation: .update, targetID: device.id.rawValue, targetName: device.deviceName,
                changes: changes.properties))
        guard let updated = try await store.device(tenantID: tenantID, id: device.id) else { throw APIError.notFound("device") }
        return JSONResponse(await withPendingLastSeen(updated, tenantID: tenantID))
    }

    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let device = try await existingDevice(context, tenantID: tenantID, permission: .devicesDelete)
        try await store.deleteDevice(
            tenantID: tenantID, id: device.id,
            audit: auditor.event(
                context, activity: "Device", operation: .delete, targetID: device.id.rawValue, targetName: device.deviceName,
                changes: Changes.deleted([
                    ("ownership", device.ownership.rawValue), ("platform", device.platform.rawValue),
                    ("serialNumber", device.serialNumber), ("userId", device.userId?.rawValue),
                ])))
        return Response(status: .noContent)
    }

    func apps(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AppRecord>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let device = try await existingDevice(context, tenantID: tenantID, permission: .devicesRead)
        guard PrivacyRules.showsAppInventory(ownership: device.ownership) else {
            throw APIError(
                .forbidden, "personal_device_app_inventory_hidden",
                "A personal device's app inventory is not shown app by app; its managed apps are at /managed-apps.")
        }
        let limit = try query.limit()
        let apps = try await store.apps(tenantID: tenantID, deviceID: device.id, after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(apps, limit: limit, key: \.appId) { $0 })
    }

    /// The device's managed apps and their states (a device has few; no paging).
    func managedApps(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<[DeviceManagedAppView]> {
        let tenantID = try context.requireTenant()
        _ = try QueryParameters(request, allowed: [])
        let device = try await existingDevice(context, tenantID: tenantID, permission: .devicesRead)
        return JSONResponse(try await store.deviceManagedApps(tenantID: tenantID, deviceID: device.id))
    }

    private func existingDevice(_ context: StewardRequestContext, tenantID: TenantID, permission: Permission) async throws -> DeviceView {
        try await reachableDevice(context, store: store, tenantID: tenantID, permission: permission)
    }

    /// The device as shown: personal-device display per the catalog, and a buffered heartbeat time.
    private func withPendingLastSeen(_ device: DeviceView, tenantID: TenantID) async -> DeviceView {
        Self.shown(device, pendingLastSeen: lastSeen.pendingTime(tenantID: tenantID, deviceID: device.id))
    }

    private static func shown(_ device: DeviceView, pendingLastSeen pending: Date?) -> DeviceView {
        var device = device
        show(&device, pendingLastSeen: pending)
        return device
    }

    /// What an admin is shown of a device: personal devices' fields masked, and the latest
    /// check-in time, including one not yet written.
    private static func show(_ device: inout DeviceView, pendingLastSeen pending: Date?) {
        PrivacyRules.mask(&device)
        if let pending, pending > (device.lastCheckInAt ?? .distantPast) { device.lastCheckInAt = pending }
    }
}

/// The device named by the path's `id`, when the tenant has it and the admin's grant of
/// `permission` reaches it; otherwise 404, the same answer as for another tenant's device.
func reachableDevice(
    _ context: StewardRequestContext, store: any DeviceStore, tenantID: TenantID, permission: Permission
) async throws -> DeviceView {
    let raw = context.parameters.get("id") ?? ""
    // A malformed ID names no device: the same 404 as another tenant's device.
    guard DeviceID.isWellFormed(raw) else { throw APIError.notFound("device") }
    let id = DeviceID(rawValue: raw)
    if let groups = context.grants.deviceGroups(for: permission),
        try await !store.deviceIsMember(tenantID: tenantID, id: id, ofAnyOf: groups)
    {
        throw APIError.notFound("device")
    }
    guard let device = try await store.device(tenantID: tenantID, id: id) else { throw APIError.notFound("device") }
    return device
}
