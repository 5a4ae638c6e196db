import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// The tenant's account (`tenant.read` to read, `tenant.settings` to change): owner, the
/// subscription the operator set, a subscription key (sealed), the billing reference, and the
/// tenant's closure — every row it owns deleted after `TenantAccounts.closureGraceDays`.
struct TenantAccountController: Sendable {
    let store: any Storage
    let masterKey: MasterKey
    let auditor: Auditor
    let clock: Clock

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantAccountView> {
        JSONResponse(try await view(try context.requireTenant()))
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantAccountView> {
        let tenantID = try context.requireTenant()
        let patch = try await request.decodeJSON(TenantAccountPatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        let sealed = try patch.subscriptionKey.map { try masterKey.seal(Data($0.utf8)) }
        try await store.updateAccount(tenantID) { old in
            var new = old
            new.ownerEmail = patch.ownerEmail ?? old.ownerEmail
            new.billingReference = patch.billingReference ?? old.billingReference
            new.sealedSubscriptionKey = sealed ?? old.sealedSubscriptionKey
            var changes = Changes()
            changes.compare("ownerEmail", old.ownerEmail, new.ownerEmail)
            changes.compare("billingReference", old.billingReference, new.billingReference)
            if sealed != nil { changes.secret("subscriptionKey") }
            return (new, auditor.event(context, activity: "TenantAccount", operation: .update, targetID: tenantID.rawValue, changes: changes.properties))
        }
        return JSONResponse(try await view(tenantID))
    }

    /// Closes the tenant: nothing changes for 180 days (export, or cancel), then the
    /// `close-tenants` job deletes every row it owns.
    func close(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantAccountView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(TenantClosureRequest.self, limit: Limits.smallBodyBytes)
        guard let tenant = try await store.tenant(tenantID) else { throw APIError.unauthorized }
        guard input.confirm == tenant.name else {
            throw APIError.invalid(.invalidValue(field: "confirm", reason: "type the tenant's name to close it"))
        }
        let now = clock.now()
        try await store.updateAccount(tenantID) { old in
            guard old.closesAt == nil else { return (old, auditor.event(context, activity: "TenantAccount", operation: .action, targetID: tenantID.rawValue)) }
            var new = old
            new.closureRequestedAt = now
            new.closesAt = now.addingTimeInterval(TimeInterval(TenantAccounts.closureGraceDays) * 86_400)
            return (new, auditor.event(
                context, activity: "TenantAccount", operation: .delete, targetID: tenantID.rawValue,
                changes: [ModifiedProperty(name: "closesAt", oldValue: nil, newValue: new.closesAt.map(WireCoding.format))]))
        }
        return JSONResponse(try await view(tenantID), status: .accepted)
    }

    func cancelClosure(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantAccountView> {
        let tenantID = try context.requireTenant()
        try await store.updateAccount(tenantID) { old in
            var new = old
            new.closureRequestedAt = nil
            new.closesAt = nil
            var changes = Changes()
            changes.compare("closesAt", old.closesAt.map(WireCoding.format), nil)
            return (new, auditor.event(context, activity: "TenantAccount", operation: .update, targetID: tenantID.rawValue, changes: changes.properties))
        }
        return JSONResponse(try await view(tenantID))
    }

    private func view(_ tenantID: TenantID) async throws -> TenantAccountView {
        guard let tenant = try await store.tenant(tenantID) else { throw APIError.unauthorized }
        let summary = try await store.summary(tenantID: tenantID)
        let account = tenant.account
        return TenantAccountView(
            tenantId: tenant.id, name: tenant.name, ownerEmail: account.ownerEmail, plan: account.plan,
            licensedDevices: account.licensedDevices, licensedUsers: account.licensedUsers, devices: summary.devices.total,
            users: summary.users, hasSubscriptionKey: account.sealedSubscriptionKey != nil, billingReference: account.billingReference,
            closureRequestedAt: account.closureRequestedAt, closesAt: account.closesAt)
    }
}

/// The subscription's licensed counts, enforced where devices and users are added: 403
/// `license_limit_reached` with the numbers, nothing stored.
enum LicenseLimit {
    static func checkDevices(_ store: any TenantStore & ReportStore, tenantID: TenantID) async throws {
        guard let limit = try await store.tenant(tenantID)?.account.licensedDevices else { return }
        let count = try await store.summary(tenantID: tenantID).devices.total
        if count >= limit {
            throw APIError(
                .forbidden, "license_limit_reached",
                "This tenant's subscription covers \(limit) devices and \(count) are enrolled: remove devices or extend the subscription.")
        }
    }

    static func checkUsers(_ store: any TenantStore & ReportStore, tenantID: TenantID) async throws {
        guard let limit = try await store.tenant(tenantID)?.account.licensedUsers else { return }
        let count = try await store.summary(tenantID: tenantID).users
        if count >= limit {
            throw APIError(
                .forbidden, "license_limit_reached",
                "This tenant's subscription covers \(limit) users and it has \(count): remove users or extend the subscription.")
        }
    }
}
