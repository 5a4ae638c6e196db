import Foundation
import Hummingbird
import Logging
import StewardModel
import StewardStore

/// `POST /api/v1/check-in`: the hot path. One read of the device's state, then either nothing
/// but a buffered last-seen time (a heartbeat) or one write transaction with every changed section.
struct CheckInController: Sendable {
    let store: any DeviceStore & InventoryStore & ManagedAppStore
    /// Who a device's request comes from (and its per-device limit).
    let devices: DeviceAuthentication
    let lastSeen: LastSeenRecorder
    /// Counts check-ins per tenant and day (the dashboard's line).
    let usage: UsageRecorder
    let clock: Clock
    let configuration: ServerConfiguration

    func checkIn(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<CheckInResponse> {
        let (state, deviceID) = try await devices.device(request)

        let input = try await request.decodeJSON(CheckInRequest.self, limit: configuration.maxBodyBytes)
        try input.validate()
        let now = clock.now()
        usage.record(tenantID: state.tenantID, route: .checkIn)
        let appsAllowed = PrivacyRules.mayCollectAppInventory(
            ownership: state.ownership, compliantAppFeature: state.compliantAppFeature)
        let stored = state.hashes
        let sent = input.hashes
        // A section the agent did not send must be one the server already holds.
        var fullRequested =
            (input.hardware == nil && sent.hardware != stored.hardware)
            || (input.operatingSystem == nil && sent.operatingSystem != stored.operatingSystem)
            || (input.network == nil && sent.network != stored.network)
            || (appsAllowed && input.apps == nil && input.appsDelta == nil && sent.apps != stored.apps)

        (input.isHeartbeat ? ServiceMetrics.heartbeats : ServiceMetrics.inventoryCheckIns).increment()
        let managedApps = input.managedAppsVersion == state.appsVersion
            ? nil : ManagedAppsPolicy(version: state.appsVersion, apps: try await store.managedApps(tenantID: state.tenantID, deviceID: deviceID))
        func heartbeatAnswer(_ tasks: [RemoteTaskInstruction]?) -> JSONResponse<CheckInResponse> {
            JSONResponse(CheckInResponse(
                policy: policy(appsAllowed), fullInventoryRequested: fullRequested, acknowledged: stored, appsRefused: false,
                managedApps: managedApps, remoteTasks: tasks))
        }
        // A heartbeat with nothing to write: its time is buffered. The device's row counts its
        // tasks not yet acknowledged, so only then is there anything to hand out.
        if input.isHeartbeat && input.appStates == nil && state.pendingTasks == 0 {
            lastSeen.record(tenantID: state.tenantID, deviceID: deviceID, at: now)
            return heartbeatAnswer(nil)
        }

        let apps: InventoryUpdate.Apps? =
            if let full = input.apps { .replace(full) } else if let delta = input.appsDelta {
                .delta(baseHash: delta.baseHash, upserted: delta.upserted, removed: delta.removed)
            } else { nil }
        var update = InventoryUpdate(
            tenantID: state.tenantID, deviceID: deviceID, at: now, agentVersion: input.agentVersion,
            hardware: input.hardware, operatingSystem: input.operatingSystem, network: input.network, apps: apps,
            hashes: sent)
        // Managed apps are tracked on personal devices too: they are what the gate allows. The
        // states, the inventory and the tasks handed out commit together or not at all (a task
        // handed out and not acknowledged comes again after `taskRedeliverySeconds`).
        update.appStates = input.appStates
        if state.pendingTasks > 0 {
            update.handOutTasksSentBefore = now.addingTimeInterval(-TimeInterval(configuration.taskRedeliverySeconds))
        }
        let written = try await store.checkIn(update)
        let outcome = written.apps
        let tasks = written.tasks.isEmpty ? nil : written.tasks.map(\.instruction)
        if input.isHeartbeat { return heartbeatAnswer(tasks) }
        var acknowledged = SectionHashes(
            hardware: input.hardware != nil ? sent.hardware : stored.hardware,
            operatingSystem: input.operatingSystem != nil ? sent.operatingSystem : stored.operatingSystem,
            network: input.network != nil ? sent.network : stored.network,
            apps: stored.apps)
        var appsRefused = false
        switch outcome {
        case .none: break
        case .stored: acknowledged.apps = sent.apps
        case .baseMismatch: fullRequested = true
        case .refusedByGate:
            appsRefused = true
            acknowledged.apps = nil
            // Counted on the device record; logged by ID only, never with the payload.
            context.logger.warning(
                "refused app inventory from a device the gate excludes",
                metadata: ["component": "check-in", "tenantId": "\(state.tenantID)", "deviceId": "\(deviceID)"])
        }
        return JSONResponse(CheckInResponse(
            policy: policy(appsAllowed && !appsRefused), fullInventoryRequested: fullRequested,
            acknowledged: acknowledged, appsRefused: appsRefused, managedApps: managedApps, remoteTasks: tasks))
    }

    private func policy(_ collectApps: Bool) -> CollectionPolicy {
        CollectionPolicy(collectApps: collectApps, checkInIntervalSeconds: configuration.checkInIntervalSeconds)
    }
}
