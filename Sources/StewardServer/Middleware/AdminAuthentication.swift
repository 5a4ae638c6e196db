import Hummingbird
import StewardModel
import StewardStore

/// Resolves `Authorization: Bearer <admin token>` to the admin and tenant of the request.
/// Every admin route runs behind it; 401 without a valid token.
struct AdminAuthentication: RouterMiddleware {
    typealias Context = StewardRequestContext
    let tenants: any TenantStore

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let credential = Credential(authorization: request.headers[.authorization], kind: .adminToken),
            let token = try await tenants.adminToken(tenantID: credential.tenantID, id: CredentialID(rawValue: credential.id)),
            !token.revoked, Secrets.matches(credential, verifier: token.verifier)
        else { throw APIError.unauthorized }
        var context = context
        context.tenantID = token.tenantID
        context.adminID = token.adminID
        return try await next(request, context)
    }
}
