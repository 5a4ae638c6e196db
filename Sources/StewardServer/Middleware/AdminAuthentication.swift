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
        var credential = Credential(authorization: request.headers.single(.authorization), kind: .adminToken)
        if credential == nil, let secret = Self.sessionSecret(request) {
            // A cookie travels with requests other sites make: a change must come from our own origin.
            try Self.refuseCrossSite(request)
            credential = Credential(text: secret, kind: .adminToken)
        }
        guard let credential, let context = try await Self.authenticated(context, by: credential, store: store, clock: clock) else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }

    /// The session cookie's value, read from the `Cookie` headers as browsers send them
    /// (`a=1; b=2`). Hummingbird's `request.cookies` builds every cookie, properties and all,
    /// each time it is read, and a console page read it twice (3% of a device page's CPU).
    static func sessionSecret(_ request: Request) -> Substring? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let pair = pair.drop(while: \.isWhitespace)
                guard let equals = pair.firstIndex(of: "="), pair[..<equals] == sessionCookie else { continue }
                return pair[pair.index(after: equals)...]
            }
        }
        return nil
    }

    /// The context as the credential's admin, or nil when the credential is unknown, expired,
    /// revoked or its admin disabled.
    static func authenticated(
        _ context: Context, by credential: Credential, store: any RecordStore, clock: Clock
    ) async throws -> Context? {
        guard let found = try await store.adminCredential(tenantID: credential.tenantID, tokenID: credential.id),
            found.token.isActive(at: clock.now()), Secrets.matches(credential, verifier: found.token.verifier),
            found.admin.disabledAt == nil
        else { return nil }
        let (token, admin) = (found.token, found.admin)
        var context = context
        context.tenantID = token.tenantID
        context.adminID = admin.id
        context.credentialID = token.id
        context.actorType = token.kind == .session ? .admin : .apiToken
        context.actorName = admin.displayName
        context.grants = Self.grants(found.assignments, customRoles: found.customRoles)
        return context
    }

    /// For cookie-authenticated changes (not GET/HEAD/OPTIONS): an `Origin` must name this host,
    /// and a browser's `Sec-Fetch-Site` must say same-origin. API clients send neither.
    static func refuseCrossSite(_ request: Request) throws {
        guard ![.get, .head, .options].contains(request.method) else { return }
        let refusal = APIError(.forbidden, "cross_origin_request", "A signed-in browser change must come from Steward's own pages.")
        if let origin = request.headers[.origin] {
            guard let host = request.head.authority,
                let components = URLComponents(string: origin), let originHost = components.host,
                originHost + (components.port.map { ":\($0)" } ?? "") == host
            else { throw refusal }
        }
        if let site = request.headers[.init("Sec-Fetch-Site")!], site != "same-origin", site != "none" { throw refusal }
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
