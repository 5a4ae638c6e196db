import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// The tenant's managed apps (`apps.read`, `apps.manage`), their assignments to groups
/// (`apps.assign`) and their install status as agents report it.
struct AppController: Sendable {
    let store: any RecordStore & ManagedAppStore
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<ManagedAppView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "platform"])
        let limit = try query.limit()
        let platform = try query.value("platform").map { raw throws(WireError) in try Platform.parse(raw, field: "platform") }
        let apps = try await store.records(ManagedAppRecord.self, tenantID: tenantID, filter: ManagedAppRecord.on(platform), after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(apps, limit: limit) { $0.view })
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ManagedAppView> {
        JSONResponse(try await existing(context).view)
    }

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ManagedAppView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(ManagedAppCreateRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let app = ManagedAppRecord(
            tenantID: tenantID, id: ids(), name: input.name, publisher: input.publisher, version: input.version,
            platform: input.platform, packageID: input.packageId, sizeBytes: input.sizeBytes, detection: input.effectiveDetection,
            createdAt: clock.now())
        try await packageTaken {
            try await store.write(
                [.insert(app)],
                audit: auditor.event(
                    context, activity: "App", operation: .create, targetID: app.id.rawValue, targetName: app.name,
                    changes: Changes.created([
                        ("name", app.name), ("platform", app.platform.rawValue), ("packageId", app.packageID),
                        ("detection", Self.describe(app.detection)),
                    ])))
        }
        return JSONResponse(app.view, status: .created)
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ManagedAppView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", ManagedAppID.self, "app")
        let patch = try await request.decodeJSON(ManagedAppPatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        let app = try await store.update(ManagedAppRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            var new = old
            new.name = patch.name ?? old.name
            new.publisher = patch.publisher ?? old.publisher
            new.version = patch.version ?? old.version
            new.sizeBytes = patch.sizeBytes ?? old.sizeBytes
            new.detection = patch.detection ?? old.detection
            var changes = Changes()
            changes.compare("name", old.name, new.name)
            changes.compare("publisher", old.publisher, new.publisher)
            changes.compare("version", old.version, new.version)
            changes.compare("sizeBytes", old.sizeBytes.map(String.init), new.sizeBytes.map(String.init))
            changes.compare("detection", Self.describe(old.detection), Self.describe(new.detection))
            return (new, auditor.event(
                context, activity: "App", operation: .update, targetID: old.id.rawValue, targetName: new.name,
                changes: changes.properties))
        }
        return JSONResponse(app.view)
    }

    /// Deletes the app with its assignments and reported states.
    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", ManagedAppID.self, "app")
        try await store.delete(ManagedAppRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "App", operation: .delete, targetID: old.id.rawValue, targetName: old.name,
                changes: Changes.deleted([("name", old.name), ("packageId", old.packageID)]))
        }
        return Response(status: .noContent)
    }

    func assignments(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AppAssignmentView>> {
        let app = try await existing(context)
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let assignments = try await store.records(
            AppAssignmentRecord.self, tenantID: app.tenantID, filter: AppAssignmentRecord.of(app.id), after: try query.cursor(),
            limit: limit + 1)
        return JSONResponse(Page.of(assignments, limit: limit) { $0.view })
    }

    func assign(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppAssignmentView> {
        let app = try await existing(context)
        let input = try await request.decodeJSON(AppAssignmentRequest.self, limit: 4 * 1024)
        guard let group = try await store.record(GroupRecord.self, tenantID: app.tenantID, key: input.groupId.rawValue) else {
            throw APIError.notFound("group")
        }
        let assignment = AppAssignmentRecord(
            tenantID: app.tenantID, id: ids(), appID: app.id, groupID: group.id, intent: input.intent, createdAt: clock.now())
        do {
            try await store.write(
                [.insert(assignment)],
                audit: auditor.event(
                    context, activity: "AppAssignment", operation: .assign, targetID: app.id.rawValue, targetName: app.name,
                    changes: Changes.created([
                        ("assignmentId", assignment.id.rawValue), ("groupId", group.id.rawValue), ("groupName", group.name),
                        ("intent", input.intent.rawValue),
                    ])))
        } catch StoreError.conflict {
            throw APIError(.conflict, "already_assigned", "The app is already assigned to this group; delete that assignment first.")
        }
        return JSONResponse(assignment.view, status: .created)
    }

    func unassign(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let app = try await existing(context)
        let id = try context.id("assignmentId", AppAssignmentID.self, "assignment")
        guard let assignment = try await store.record(AppAssignmentRecord.self, tenantID: app.tenantID, key: id.rawValue),
            assignment.appID == app.id
        else { throw APIError.notFound("assignment") }
        try await store.delete(AppAssignmentRecord.self, tenantID: app.tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "AppAssignment", operation: .unassign, targetID: app.id.rawValue, targetName: app.name,
                changes: Changes.deleted([
                    ("assignmentId", old.id.rawValue), ("groupId", old.groupID.rawValue), ("intent", old.intent.rawValue),
                ]))
        }
        return Response(status: .noContent)
    }

    /// Counts kept by the database as states change: a read is a few rows.
    func installSummary(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppInstallSummary> {
        let app = try await existing(context)
        _ = try QueryParameters(request, allowed: [])
        return JSONResponse(try await store.installSummary(tenantID: app.tenantID, appID: app.id))
    }

    func deviceStatuses(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AppDeviceStatusView>> {
        let app = try await existing(context)
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "state"])
        let limit = try query.limit()
        let state = try query.value("state").map { raw throws(WireError) in try AppInstallState.parse(raw, field: "state") }
        let rows = try await store.appDeviceStatuses(
            tenantID: app.tenantID, appID: app.id, state: state, after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(rows, limit: limit, key: \.deviceId.rawValue) { $0 })
    }

    func userStatuses(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AppUserStatusView>> {
        let app = try await existing(context)
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let rows = try await store.appUserStatuses(tenantID: app.tenantID, appID: app.id, after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(rows, limit: limit, key: \.userId.rawValue) { $0 })
    }

    private func existing(_ context: StewardRequestContext) async throws -> ManagedAppRecord {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", ManagedAppID.self, "app")
        guard let app = try await store.record(ManagedAppRecord.self, tenantID: tenantID, key: id.rawValue) else {
            throw APIError.notFound("app")
        }
        return app
    }

    private func packageTaken<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch StoreError.conflict {
            throw APIError(.conflict, "already_exists", "The tenant already manages an app with this platform and package.")
        }
    }

    static func describe(_ rule: DetectionRule) -> String? {
        rule.debianPackage.map { package in rule.minimumVersion.map { "\(package) >= \($0)" } ?? package }
    }
}
