import Foundation
import StewardModel
import StewardStore

/// Exports and erasures, for the API and the `steward privacy` commands alike. Each is audited
/// by the caller's event, which names the user by ID and counts only.
public struct DataSubjectRequests: Sendable {
    let store: any Storage
    let clock: Clock

    public init(store: any Storage, clock: Clock) {
        self.store = store
        self.clock = clock
    }

    public func export(
        tenantID: TenantID, userID: UserID, audit: @Sendable ([ModifiedProperty]) -> AuditEvent
    ) async throws -> PrivacyExportBundle {
        guard let user = try await store.record(UserRecord.self, tenantID: tenantID, key: userID.rawValue) else {
            throw APIError.notFound("user")
        }
        var query = DeviceQuery(limit: 100_000)
        query.userID = user.id
        let devices = try await store.devices(tenantID: tenantID, query: query)
        var exported: [PrivacyExportBundle.DeviceExport] = []
        var groups = try await store.groupIDs(tenantID: tenantID, memberID: user.id.rawValue)
        var entries: [AuditRecord] = []
        for subject in [user.id.rawValue] + devices.map(\.id.rawValue) {
            entries += try await store.auditEntries(tenantID: tenantID, query: AuditQuery(targetID: subject, limit: 1_000_000))
        }
        for device in devices {
            let apps = try await store.apps(tenantID: tenantID, deviceID: device.id, after: nil, limit: Limits.maxApps)
            let managed = try await store.deviceManagedApps(tenantID: tenantID, deviceID: device.id)
            var tasks: [RemoteTaskView] = []
            var before: String?
            repeat {
                let page = try await store.remoteTasks(tenantID: tenantID, deviceID: device.id, before: before, limit: 1_000)
                tasks += page.map { $0.view(withBundle: true) }
                before = page.count == 1_000 ? page.last?.id.rawValue : nil
            } while before != nil
            // The person's own data: the UDID too (never the push token, PushMagic or UnlockToken).
            let appleMDM = try await AppleMDMAdminController.enrollment(of: device, tenantID: tenantID, store: store, showsUDID: true)
            exported.append(.init(device: device, apps: apps, managedApps: managed, remoteTasks: tasks, appleMDM: appleMDM))
            groups += try await store.groupIDs(tenantID: tenantID, memberID: device.id.rawValue)
        }
        // Diagnostics are stored under pseudonyms: re-linked here, for this person only.
        let pseudonyms = try await store.pseudonyms(tenantID: tenantID, subjectIDs: [user.id.rawValue] + devices.map(\.id.rawValue))
        var diagnostics: [DiagnosticEventView] = []
        if !pseudonyms.isEmpty {
            var query = DiagnosticsQuery(pseudonyms: pseudonyms, limit: 10_000)
            while true {
                let page = try await store.diagnostics(tenantID: tenantID, query: query)
                diagnostics += page
                guard page.count == query.limit, let last = page.last else { break }
                query.after = last.id.rawValue
            }
        }
        var cases: [String: SupportCaseRecord] = [:]
        for filter in [SupportCaseRecord.about(user.id), SupportCaseRecord.withContact(user.upn)] + (user.email.map { [SupportCaseRecord.withContact($0)] } ?? []) {
            for record in try await store.records(SupportCaseRecord.self, tenantID: tenantID, filter: filter, after: nil, limit: 10_000) {
                cases[record.key] = record
            }
        }
        var supportCases: [SupportCaseView] = []
        for record in cases.values.sorted(by: { $0.key < $1.key }) {
            let messages = try await store.records(
                SupportMessageRecord.self, tenantID: tenantID, filter: SupportMessageRecord.of(record.id), after: nil,
                limit: SupportCases.maxMessagesPerCase + 1)
            supportCases.append(record.view(messages: messages, withAttachments: true))
        }
        let appInstances = try await store.records(
            AppProtectionRecord.self, tenantID: tenantID, filter: AppProtectionRecord.of(user.id), after: nil, limit: 100_000)
        try await store.append(audit([
            ModifiedProperty(name: "supportCases", oldValue: nil, newValue: String(supportCases.count)),
            ModifiedProperty(name: "appInstances", oldValue: nil, newValue: String(appInstances.count)),
            ModifiedProperty(name: "devices", oldValue: nil, newValue: String(devices.count)),
            ModifiedProperty(name: "auditEntries", oldValue: nil, newValue: String(entries.count)),
            ModifiedProperty(name: "diagnostics", oldValue: nil, newValue: String(diagnostics.count)),
        ]))
        return PrivacyExportBundle(
            generatedAt: clock.now(), tenantId: tenantID, user: user.view, devices: exported,
            groupIds: Array(Set(groups)).sorted { $0.rawValue < $1.rawValue },
            auditEntries: entries.sorted { $0.sequence < $1.sequence }.map(\.view), diagnostics: diagnostics, supportCases: supportCases,
            appInstances: appInstances.map(\.view),
            fields: PrivacyCatalogView.Field.all.filter(\.exported))
    }

    public func erase(
        tenantID: TenantID, userID: UserID, audit: @escaping @Sendable ([ModifiedProperty]) -> AuditEvent
    ) async throws -> ErasureView {
        do {
            return try await store.eraseUser(tenantID: tenantID, userID: userID) { result in
                audit([
                    ModifiedProperty(name: "devicesDeleted", oldValue: nil, newValue: String(result.devicesDeleted)),
                    ModifiedProperty(name: "auditEntriesBlanked", oldValue: nil, newValue: String(result.auditEntriesBlanked)),
                    ModifiedProperty(name: "appCatalogRowsPurged", oldValue: nil, newValue: String(result.appCatalogRowsPurged)),
                    ModifiedProperty(name: "pseudonymsUnlinked", oldValue: nil, newValue: String(result.pseudonymsUnlinked)),
                    ModifiedProperty(name: "supportCasesDeleted", oldValue: nil, newValue: String(result.supportCasesDeleted)),
                    ModifiedProperty(name: "appInstancesDeleted", oldValue: nil, newValue: String(result.appInstancesDeleted)),
                ])
            }
        } catch StoreError.notFound {
            throw APIError.notFound("user")
        }
    }
}
