import Foundation
import Hummingbird
import Logging
import StewardModel
import StewardStore

/// `POST /api/v1/check-in`: the hot path. One read of the device's state, then either nothing
/// but a buffered last-seen time (a heartbeat) or one write transaction with every changed section.
struct CheckInController: Sendable {
    let store: any DeviceStore & InventoryStore & ManagedAppStore & RemoteTaskStore
    let lastSeen: LastSeenRecorder
    let clock: Clock
    let configuration: ServerConfiguration

    func checkIn(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<CheckInResponse> {
        let (state, deviceID) = try await DeviceAuthentication(store: store).device(request)

        let input = try await request.decodeJSON(CheckInRequest.self, limit: configuration.maxBodyBytes)
        try input.validate()
        let now = clock.now()
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
        // Managed apps are tracked on personal devices too: they are what the gate allows.
        if let reports = input.appStates {
            try await store.replaceAppStates(tenantID: state.tenantID, deviceID: deviceID, reports, at: now)
        }
        let managedApps = input.managedAppsVersion == state.appsVersion
            ? nil : ManagedAppsPolicy(version: state.appsVersion, apps: try await store.managedApps(tenantID: state.tenantID, deviceID: deviceID))
        // The device's row counts its tasks not yet acknowledged: only then is there anything to
        // read (a task handed out already comes again once `taskRedeliverySeconds` have passed).
        if input.isHeartbeat {
            let tasks = state.pendingTasks > 0 ? try await takeTasks(tenantID: state.tenantID, deviceID: deviceID, at: now) : nil
            await lastSeen.record(tenantID: state.tenantID, deviceID: deviceID, at: now)
            return JSONResponse(CheckInResponse(
                policy: policy(appsAllowed), fullInventoryRequested: fullRequested, acknowledged: stored, appsRefused: false,
                managedApps: managedApps, remoteTasks: tasks))
        }

        let apps: InventoryUpdate.Apps? =
            if let full = input.apps { .replace(full) } else if let delta = input.appsDelta {
                .delta(baseHash: delta.baseHash, upserted: delta.upserted, removed: delta.removed)
            } else { nil }
        let outcome = try await store.apply(InventoryUpdate(
            tenantID: state.tenantID, deviceID: deviceID, at: now, agentVersion: input.agentVersion,
            hardware: input.hardware, operatingSystem: input.operatingSystem, network: input.network, apps: apps,
            hashes: sent))

        // Handed out only once the inventory is stored: a failed write hands out nothing.
        let tasks = state.pendingTasks > 0 ? try await takeTasks(tenantID: state.tenantID, deviceID: deviceID, at: now) : nil
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

    private func takeTasks(tenantID: TenantID, deviceID: DeviceID, at now: Date) async throws -> [RemoteTaskInstruction]? {
        let taken = try await store.takePendingTasks(
            tenantID: tenantID, deviceID: deviceID, at: now,
            redeliverSentBefore: now.addingTimeInterval(-TimeInterval(configuration.taskRedeliverySeconds)))
        return taken.isEmpty ? nil : taken.map(\.instruction)
    }

    private func policy(_ collectApps: Bool) -> CollectionPolicy {
        CollectionPolicy(collectApps: collectApps, checkInIntervalSeconds: configuration.checkInIntervalSeconds)
    }
}
