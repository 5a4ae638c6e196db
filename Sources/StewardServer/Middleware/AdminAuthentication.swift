import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Resolves `Authorization: Bearer <admin token>` (or the console's session cookie) to the admin,
/// tenant and grants of the request. Every admin route runs behind it; 401 without a valid,
/// unexpired, unrevoked credential of an enabled admin.
struct AdminAuthentication: RouterMiddleware {
    typealias Context = StewardRequestContext
    static let sessionCookie = "steward_session"
    let store: any RecordStore
    let clock: Clock

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let credential =
            Credential(authorization: request.headers[.authorization], kind: .adminToken)
            ?? request.cookies[Self.sessionCookie].flatMap { Credential(text: Substring($0.value), kind: .adminToken) }
        guard let credential,
            let token = try await store.record(AdminTokenRecord.self, tenantID: credential.tenantID, key: credential.id),
            token.isActive(at: clock.now()), Secrets.matches(credential, verifier: token.verifier),
            let admin = try await store.record(AdminRecord.self, tenantID: token.tenantID, key: token.adminID.rawValue),
            admin.disabledAt == nil
        else { throw APIError.unauthorized }
        var context = context
        context.tenantID = token.tenantID
        context.adminID = admin.id
        context.credentialID = token.id
        context.actorType = token.kind == .session ? .admin : .apiToken
        context.actorName = admin.displayName
        context.grants = try await Self.grants(of: admin.id, tenantID: token.tenantID, store: store)
        return try await next(request, context)
    }

    /// The union of the admin's role assignments (built-in roles from code, custom ones stored).
    static func grants(of adminID: AdminID, tenantID: TenantID, store: any RecordStore) async throws -> Grants {
        let assignments = try await store.records(
            RoleAssignmentRecord.self, tenantID: tenantID, filter: ["admin_id": .text(adminID.rawValue)], after: nil,
            limit: 1000)
        var resolved: [(permissions: Set<Permission>, scope: [GroupID]?)] = []
        for assignment in assignments {
            if let builtIn = RoleDefinition.builtIn.first(where: { $0.id == assignment.roleID }) {
                resolved.append((builtIn.permissions, assignment.scopeGroupIDs))
            } else if let role = try await store.record(RoleRecord.self, tenantID: tenantID, key: assignment.roleID.rawValue) {
                resolved.append((Set(role.permissions), assignment.scopeGroupIDs))
            }
        }
        return Grants(assignments: resolved)
    }
}

/// 403 unless the admin holds the route's permission (checked before the handler reads anything).
struct RoutePermission: RouterMiddleware {
    typealias Context = StewardRequestContext
    let permission: Permission

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard context.grants.allows(permission) else {
            throw APIError(.forbidden, "permission_denied", "This needs the permission '\(permission.rawValue)'.")
        }
        return try await next(request, context)
    }
}
