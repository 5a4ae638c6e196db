import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Devices as admins read them, and the one thing admins change: ownership.
struct DeviceController: Sendable {
    let store: any DeviceStore & InventoryStore
    let lastSeen: LastSeenRecorder

    static let listParameters: Set<String> = [
        "platform", "ownership", "operatingSystem", "namePrefix", "lastCheckInBefore", "lastCheckInAfter", "limit", "cursor",
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
        filter.after = try query.cursor().map { raw throws(WireError) in
            guard DeviceID.isWellFormed(raw) else { throw WireError.invalidValue(field: "cursor", reason: "not a cursor of this list") }
            return DeviceID(rawValue: raw)
        }
        let limit = filter.limit
        filter.limit = limit + 1
        var devices = try await store.devices(tenantID: tenantID, query: filter)
        let next = devices.count > limit ? devices[limit - 1].id.rawValue : nil
        devices = Array(devices.prefix(limit))
        for index in devices.indices { devices[index] = await withPendingLastSeen(devices[index], tenantID: tenantID) }
        return JSONResponse(Page(items: devices, nextCursor: next.map(PageCursor.encode)))
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<DeviceView> {
        let tenantID = try context.requireTenant()
        let device = try await existingDevice(context, tenantID: tenantID)
        return JSONResponse(await withPendingLastSeen(device, tenantID: tenantID))
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<DeviceView> {
        let tenantID = try context.requireTenant()
        let id = try deviceID(context)
        let patch = try await request.decodeJSON(DevicePatch.self, limit: 16 * 1024)
        do {
            if let ownership = patch.ownership {
                try await store.setOwnership(tenantID: tenantID, id: id, ownership: ownership)
            }
        } catch StoreError.notFound {
            throw APIError.notFound("device")
        }
        return try await get(request, context: context)
    }

    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        do {
            try await store.deleteDevice(tenantID: tenantID, id: try deviceID(context))
        } catch StoreError.notFound {
            throw APIError.notFound("device")
        }
        return Response(status: .noContent)
    }

    func apps(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AppRecord>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let device = try await existingDevice(context, tenantID: tenantID)
        let limit = try query.limit()
        var apps = try await store.apps(tenantID: tenantID, deviceID: device.id, after: try query.cursor(), limit: limit + 1)
        let next = apps.count > limit ? apps[limit - 1].appId : nil
        apps = Array(apps.prefix(limit))
        return JSONResponse(Page(items: apps, nextCursor: next.map(PageCursor.encode)))
    }

    private func deviceID(_ context: StewardRequestContext) throws -> DeviceID {
        let raw = context.parameters.get("id") ?? ""
        // A malformed ID names no device: the same 404 as another tenant's device.
        guard DeviceID.isWellFormed(raw) else { throw APIError.notFound("device") }
        return DeviceID(rawValue: raw)
    }

    private func existingDevice(_ context: StewardRequestContext, tenantID: TenantID) async throws -> DeviceView {
        guard let device = try await store.device(tenantID: tenantID, id: try deviceID(context)) else {
            throw APIError.notFound("device")
        }
        return device
    }

    private func withPendingLastSeen(_ device: DeviceView, tenantID: TenantID) async -> DeviceView {
        guard let pending = await lastSeen.pendingTime(tenantID: tenantID, deviceID: device.id),
            pending > (device.lastCheckInAt ?? .distantPast)
        else { return device }
        var device = device
        device.lastCheckInAt = pending
        return device
    }
}
