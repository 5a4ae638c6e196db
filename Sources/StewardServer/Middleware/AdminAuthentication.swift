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
            let found = try await store.adminCredential(tenantID: credential.tenantID, tokenID: credential.id),
            found.token.isActive(at: clock.now()), Secrets.matches(credential, verifier: found.token.verifier),
            found.admin.disabledAt == nil
        else { throw APIError.unauthorized }
        let (token, admin) = (found.token, found.admin)
        var context = context
        context.tenantID = token.tenantID
        context.adminID = admin.id
        context.credentialID = token.id
        context.actorType = token.kind == .session ? .admin : .apiToken
        context.actorName = admin.displayName
        context.grants = Self.grants(found.assignments, customRoles: found.customRoles)
        return try await next(request, context)
    }

    /// The union of the admin's role assignments (built-in roles from code, custom ones stored).
    static func grants(of adminID: AdminID, tenantID: TenantID, store: any RecordStore) async throws -> Grants {
        let (assignments, roles) = try await store.roleAssignments(tenantID: tenantID, adminID: adminID)
        return grants(assignments, customRoles: roles)
    }

    static func grants(_ assignments: [RoleAssignmentRecord], customRoles: [RoleRecord]) -> Grants {
        Grants(assignments: assignments.compactMap { assignment in
            let permissions = RoleDefinition.builtIn.first { $0.id == assignment.roleID }?.permissions
                ?? customRoles.first { $0.id == assignment.roleID }.map { Set($0.permissions) }
            return permissions.map { ($0, assignment.scopeGroupIDs) }
        })
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
