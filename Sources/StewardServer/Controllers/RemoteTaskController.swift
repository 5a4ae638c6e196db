import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Remote tasks, as admins send and follow them (`devices.remoteTask`; wipe and retire need
/// `devices.wipe` and `devices.retire` as well, and a confirmation), and as agents take and
/// report them. Every task and every outcome is audited.
struct RemoteTaskController: Sendable {
    let store: any DeviceStore & RemoteTaskStore & RecordStore & GroupMemberStore
    /// Who a device's request comes from (and its per-device limit).
    let devices: DeviceAuthentication
    let notifier: TaskNotifier
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator
    /// A task handed out and not acknowledged is handed out again after this many seconds.
    let redeliverySeconds: Int
    /// Apple devices are woken through Apple's push service (others are passed over).
    var applePush: ApplePushSender? = nil

    static let defaultExpiryMinutes = 1_440
    /// Longest a long-poll holds the request.
    static let maxWaitSeconds = 30

    // MARK: Admins

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RemoteTaskView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(RemoteTaskRequest.self, limit: 4 * 1024)
        try input.validate()
        try requireKindPermission(input.kind, context)
        let device = try await reachableDevice(context, store: store, tenantID: tenantID, permission: input.kind.permission)
        guard device.retiredAt == nil else {
            throw APIError(.conflict, "device_retired", "The device was retired; it takes no more tasks.")
        }
        let task = newTask(input, tenantID: tenantID, deviceID: device.id, context: context)
        try await store.createRemoteTasks(
            [task],
            audit: auditor.event(
                context, activity: "RemoteTask", operation: .action, targetType: "Device", targetID: device.id.rawValue,
                targetName: device.deviceName,
                changes: Changes.created([("taskId", task.id.rawValue), ("kind", task.kind.rawValue), ("state", task.state.rawValue)])))
        await notifier.wake(tenantID: tenantID, deviceID: device.id)
        if let applePush { Task { await applePush.wake(tenantID: tenantID, deviceID: device.id) } }
        return JSONResponse(task.view(), status: .created)
    }

    /// One task per device of a device group that the admin's grant reaches.
    func createForGroup(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<GroupRemoteTasksView> {
        let tenantID = try context.requireTenant()
        let groupID = try context.id("id", GroupID.self, "group")
        let input = try await request.decodeJSON(RemoteTaskRequest.self, limit: 4 * 1024)
        try input.validate()
        try requireKindPermission(input.kind, context)
        guard let group = try await store.record(GroupRecord.self, tenantID: tenantID, key: groupID.rawValue) else {
            throw APIError.notFound("group")
        }
        guard group.kind == .device else {
            throw WireError.invalidValue(field: "id", reason: "remote tasks go to device groups")
        }
        var devices: [DeviceID] = []
        var after: String?
        while true {
            let page = try await store.members(tenantID: tenantID, groupID: groupID, after: after, limit: 1_000)
            devices += page.map { DeviceID(rawValue: $0.id) }
            guard page.count == 1_000, let last = page.last else { break }
            after = last.id
        }
        if let scope = context.grants.deviceGroups(for: input.kind.permission) {
            var reachable: [DeviceID] = []
            for device in devices where try await store.deviceIsMember(tenantID: tenantID, id: device, ofAnyOf: scope) {
                reachable.append(device)
            }
            devices = reachable
        }
        let tasks = devices.map { newTask(input, tenantID: tenantID, deviceID: $0, context: context) }
        try await store.createRemoteTasks(
            tasks,
            audit: auditor.event(
                context, activity: "RemoteTask", operation: .action, targetType: "Group", targetID: group.id.rawValue,
                targetName: group.name,
                changes: Changes.created([
                    ("kind", input.kind.rawValue), ("devices", String(tasks.count)),
                    ("taskIds", tasks.map(\.id.rawValue).joined(separator: ",")),
                ])))
        for task in tasks { await notifier.wake(tenantID: tenantID, deviceID: task.deviceID) }
        if let applePush { Task { await applePush.wakeAll(tenantID: tenantID, deviceIDs: tasks.map(\.deviceID)) } }
        return JSONResponse(GroupRemoteTasksView(tasks: tasks.map { $0.view() }), status: .created)
    }

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<RemoteTaskView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let device = try await reachableDevice(context, store: store, tenantID: tenantID, permission: .devicesRead)
        let limit = try query.limit()
        let tasks = try await store.remoteTasks(tenantID: tenantID, deviceID: device.id, before: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(tasks, limit: limit, key: \.id.rawValue) { $0.view() })
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RemoteTaskView> {
        let tenantID = try context.requireTenant()
        let device = try await reachableDevice(context, store: store, tenantID: tenantID, permission: .devicesRead)
        let id = try context.id("taskId", RemoteTaskID.self, "task")
        guard let task = try await store.remoteTask(tenantID: tenantID, deviceID: device.id, id: id) else {
            throw APIError.notFound("task")
        }
        return JSONResponse(task.view(withBundle: true))
    }

    /// Cancels a task the device has not acknowledged yet.
    func cancel(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RemoteTaskView> {
        let tenantID = try context.requireTenant()
        let device = try await reachableDevice(context, store: store, tenantID: tenantID, permission: .devicesRemoteTask)
        let id = try context.id("taskId", RemoteTaskID.self, "task")
        let now = clock.now()
        let task = try await store.updateRemoteTask(tenantID: tenantID, deviceID: device.id, id: id) { old in
            guard old.state == .pending || old.state == .sent else {
                throw APIError(.conflict, "task_not_cancellable", "Only a pending or sent task can be cancelled; this one is \(old.state.rawValue).")
            }
            let new = old.moved(to: .cancelled, at: now)
            return (new, auditor.event(
                context, activity: "RemoteTask", operation: .action, targetType: "Device", targetID: device.id.rawValue,
                targetName: device.deviceName,
                changes: [
                    ModifiedProperty(name: "taskId", oldValue: nil, newValue: old.id.rawValue),
                    ModifiedProperty(name: "state", oldValue: old.state.rawValue, newValue: new.state.rawValue),
                ]))
        }
        return JSONResponse(task.view())
    }

    private func requireKindPermission(_ kind: RemoteTaskKind, _ context: StewardRequestContext) throws {
        guard context.grants.allows(kind.permission) else {
            throw APIError(.forbidden, "permission_denied", "This needs the permission '\(kind.permission.rawValue)'.")
        }
    }

    private func newTask(_ input: RemoteTaskRequest, tenantID: TenantID, deviceID: DeviceID, context: StewardRequestContext) -> RemoteTaskRecord {
        let now = clock.now()
        return RemoteTaskRecord(
            tenantID: tenantID, id: ids(), deviceID: deviceID, kind: input.kind, createdAt: now, createdBy: context.adminID?.rawValue,
            expiresAt: now.addingTimeInterval(Double((input.expiresInMinutes ?? Self.defaultExpiryMinutes) * 60)))
    }

    // MARK: Agents

    /// The device's pending tasks, now sent. With `wait`, holds the request up to that many
    /// seconds (30 at most) until a task arrives.
    func take(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RemoteTaskInstructions> {
        let (state, deviceID) = try await devices.device(request)
        let query = try QueryParameters(request, allowed: ["wait"])
        let wait = try query.value("wait").map { raw throws(WireError) in
            guard let seconds = Int(raw), (0...Self.maxWaitSeconds).contains(seconds) else {
                throw WireError.invalidValue(field: "wait", reason: "seconds from 0 to \(Self.maxWaitSeconds)")
            }
            return seconds
        } ?? 0
        let deadline = ContinuousClock.now + .seconds(wait)
        while true {
            let generation = await notifier.generation(tenantID: state.tenantID, deviceID: deviceID)
            let now = clock.now()
            let tasks = try await store.takePendingTasks(
                tenantID: state.tenantID, deviceID: deviceID, at: now,
                redeliverSentBefore: now.addingTimeInterval(-TimeInterval(redeliverySeconds)))
            let remaining = deadline - ContinuousClock.now
            if !tasks.isEmpty || remaining <= .zero || Task.isCancelled {
                return JSONResponse(RemoteTaskInstructions(tasks: tasks.map(\.instruction)))
            }
            guard await notifier.wait(tenantID: state.tenantID, deviceID: deviceID, after: generation, timeout: remaining) else {
                throw APIError.tooManyRequests(
                    "too_many_waiting", "Too many agents of this tenant are waiting for tasks: poll again later.", retryAfter: .seconds(30))
            }
        }
    }

    /// The agent's report: acknowledged, then an outcome. Outcomes are audited with the device as actor.
    func report(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RemoteTaskView> {
        let (state, deviceID) = try await devices.device(request)
        let id = try context.id("taskId", RemoteTaskID.self, "task")
        let input = try await request.decodeJSON(RemoteTaskReport.self, limit: RemoteTaskReport.maxBundleBytes + Limits.smallBodyBytes)
        try input.validate()
        let now = clock.now()
        let task = try await store.updateRemoteTask(tenantID: state.tenantID, deviceID: deviceID, id: id) { old in
            guard RemoteTaskState.agentMayReport(input.state, from: old.state) else {
                throw APIError(.conflict, "invalid_transition", "A task that is \(old.state.rawValue) cannot become \(input.state.rawValue).")
            }
            let new = old.moved(
                to: input.state, at: now, result: input.result, bundle: old.kind == .collectDiagnostics ? input.bundle : nil)
            guard new.state.isFinal else { return (new, nil) }
            var changes = [
                ModifiedProperty(name: "taskId", oldValue: nil, newValue: old.id.rawValue),
                ModifiedProperty(name: "kind", oldValue: nil, newValue: old.kind.rawValue),
                ModifiedProperty(name: "state", oldValue: old.state.rawValue, newValue: new.state.rawValue),
            ]
            if let code = input.result?.code { changes.append(ModifiedProperty(name: "resultCode", oldValue: nil, newValue: code)) }
            return (new, auditor.deviceEvent(
                tenantID: state.tenantID, deviceID: deviceID, activity: "RemoteTask", operation: .action, targetType: "Device",
                targetID: deviceID.rawValue, changes: changes, result: new.state == .succeeded ? .success : .failure))
        }
        return JSONResponse(task.view())
    }
}
