import Foundation
import Hummingbird
import NIOCore
import StewardModel
import StewardStore

/// Data-subject requests over HTTP: an export of everything identified about a user
/// (`privacy.export`) and their erasure (`privacy.erase`).
struct PrivacyController: Sendable {
    let requests: DataSubjectRequests
    let auditor: Auditor

    func export(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(DataSubjectRequest.self, limit: 1024)
        let bundle = try await requests.export(tenantID: tenantID, userID: input.userId) { changes in
            auditor.event(
                context, activity: "PrivacyExport", operation: .action, targetType: "User", targetID: input.userId.rawValue,
                changes: changes)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"steward-export-\(input.userId).json\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try WireCoding.encoder().encode(bundle))))
    }

    func erase(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ErasureView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(DataSubjectRequest.self, limit: 1024)
        return JSONResponse(try await requests.erase(tenantID: tenantID, userID: input.userId) { changes in
            auditor.event(
                context, activity: "PrivacyErasure", operation: .delete, targetType: "User", targetID: input.userId.rawValue,
                changes: changes)
        })
    }
}
