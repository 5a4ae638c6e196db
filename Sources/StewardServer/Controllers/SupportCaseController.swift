import Foundation
import Hummingbird
import NIOCore
import StewardModel
import StewardStore

/// Support cases with the deployment's operator (`support.manage` to open and write,
/// `tenant.read` to read); the operator answers with `steward support reply`.
struct SupportCaseController: Sendable {
    let store: any RecordStore
    let desk: SupportDesk
    let auditor: Auditor

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<SupportCaseView> {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let input = try await request.decodeJSON(SupportCaseCreateRequest.self, limit: SupportCases.maxBodyBytes)
        let record = try await desk.open(tenantID: tenantID, input, createdBy: adminID, authorName: context.actorName ?? "") { record in
            auditor.event(
                context, activity: "SupportCase", operation: .create, targetID: record.id.rawValue,
                changes: Self.facts(record) + Self.attachment(input.attachment.map { _ in 1 }))
        }
        let messages = try await desk.messages(tenantID: tenantID, caseID: record.id)
        return JSONResponse(record.view(messages: messages), status: .created)
    }

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<SupportCaseView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "status"])
        let limit = try query.limit()
        let status = try query.string("status").map { text in
            guard let status = SupportCaseStatus(rawValue: text) else {
                throw APIError.invalid(.unknownEnumValue(field: "status", allowed: SupportCaseStatus.allCases.map(\.rawValue)))
            }
            return status
        }
        let cases = try await store.records(
            SupportCaseRecord.self, tenantID: tenantID, filter: SupportCaseRecord.with(status: status), after: try query.cursor(),
            limit: limit + 1)
        return JSONResponse(Page.of(cases, limit: limit) { $0.view() })
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<SupportCaseView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", SupportCaseID.self, "support_case")
        let record = try await desk.supportCase(tenantID: tenantID, caseID: id)
        return JSONResponse(record.view(messages: try await desk.messages(tenantID: tenantID, caseID: id)))
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<SupportCaseView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", SupportCaseID.self, "support_case")
        let patch = try await request.decodeJSON(SupportCasePatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        let record = try await desk.setStatus(tenantID: tenantID, caseID: id, patch.status) { old, new in
            var changes = Changes()
            changes.compare("status", old.status.rawValue, new.status.rawValue)
            return auditor.event(context, activity: "SupportCase", operation: .update, targetID: id.rawValue, changes: changes.properties)
        }
        return JSONResponse(record.view(messages: try await desk.messages(tenantID: tenantID, caseID: id)))
    }

    func addMessage(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<SupportMessageView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", SupportCaseID.self, "support_case")
        let input = try await request.decodeJSON(SupportMessageRequest.self, limit: SupportCases.maxBodyBytes)
        let message = try await desk.add(
            tenantID: tenantID, caseID: id, author: .tenant, authorName: context.actorName ?? "", input
        ) { record, bytes in
            auditor.event(
                context, activity: "SupportCase", operation: .update, targetID: id.rawValue,
                changes: [ModifiedProperty(name: "messageAdded", oldValue: nil, newValue: "tenant")]
                    + Self.attachment(input.attachment.map { _ in bytes }) + [
                        ModifiedProperty(name: "status", oldValue: nil, newValue: record.status.rawValue),
                    ])
        }
        return JSONResponse(message.view(), status: .created)
    }

    /// The attachment's bytes, as a download: never rendered by the browser.
    func attachment(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", SupportCaseID.self, "support_case")
        let messageID = try context.id("messageId", SupportMessageID.self, "support_message")
        guard let message = try await store.record(SupportMessageRecord.self, tenantID: tenantID, key: messageID.rawValue),
            message.caseID == id, let name = message.attachmentName, let bytes = message.attachment
        else { throw APIError.notFound("attachment") }
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        let safe = String(name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || "0123456789._-".unicodeScalars.contains($0)) })
        headers[.contentDisposition] = "attachment; filename=\"\(safe.isEmpty ? "attachment" : safe)\""
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// What the audit log says of a case: no subject, contact or message (they are personal).
    static func facts(_ record: SupportCaseRecord) -> [ModifiedProperty] {
        Changes.created([("status", record.status.rawValue), ("userId", record.userID?.rawValue)])
    }

    static func attachment(_ bytes: Int?) -> [ModifiedProperty] {
        bytes.map { [ModifiedProperty(name: "attachment", oldValue: nil, newValue: "\($0 > 0 ? "\($0) bytes" : "yes")")] } ?? []
    }
}
