import Foundation
import Hummingbird
import NIOCore
import StewardModel
import StewardStore

/// The tenant's audit log (`audit.read`): pages newest first, and a streamed export, oldest
/// first, as CSV or JSON Lines.
struct AuditController: Sendable {
    let store: any AuditStore
    let chain: AuditChain

    /// Walks the tenant's whole chain (as `steward audit verify` does): entries, and the first
    /// one altered, removed or re-ordered.
    func verify(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AuditVerification> {
        let tenantID = try context.requireTenant()
        _ = try QueryParameters(request, allowed: [])
        return JSONResponse(try await store.verifyAuditChain(tenantID: tenantID, chain: chain))
    }

    static let filters: Set<String> = ["from", "to", "actorId", "activity", "targetId", "targetType"]

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AuditEntryView>> {
        let tenantID = try context.requireTenant()
        let parameters = try QueryParameters(request, allowed: Self.filters.union(["limit", "cursor"]))
        var query = try Self.query(parameters)
        query.newestFirst = true
        query.limit = try parameters.limit() + 1
        query.afterSequence = try parameters.cursor().map { raw throws(WireError) in
            guard let sequence = Int64(raw) else { throw WireError.invalidValue(field: "cursor", reason: "not a cursor of this list") }
            return sequence
        }
        let entries = try await store.auditEntries(tenantID: tenantID, query: query)
        return JSONResponse(Page.of(entries, limit: query.limit - 1, key: { String($0.sequence) }, \.view))
    }

    func export(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let parameters = try QueryParameters(request, allowed: Self.filters.union(["format"]))
        let format = parameters.value("format") ?? "jsonl"
        guard format == "csv" || format == "jsonl" else {
            throw APIError.invalid(.unknownEnumValue(field: "format", allowed: ["csv", "jsonl"]))
        }
        var query = try Self.query(parameters)
        query.limit = 1000
        let (store, first) = (self.store, query)
        var headers = HTTPFields()
        headers[.contentType] = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"
        headers[.contentDisposition] = "attachment; filename=\"audit-entries.\(format)\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            if format == "csv" { try await writer.write(ByteBuffer(string: AuditExport.csvHeader)) }
            var page = first
            while true {
                let entries = try await store.auditEntries(tenantID: tenantID, query: page)
                var buffer = ByteBuffer()
                for entry in entries {
                    buffer.writeString(format == "csv" ? AuditExport.csvLine(entry.view) : try AuditExport.jsonLine(entry.view))
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
                guard entries.count == page.limit, let last = entries.last else { break }
                page.afterSequence = last.sequence
            }
            try await writer.finish(nil)
        })
    }

    private static func query(_ parameters: QueryParameters) throws -> AuditQuery {
        AuditQuery(
            from: try parameters.date("from"), to: try parameters.date("to"), actorID: try parameters.string("actorId"),
            activity: try parameters.string("activity"), targetID: try parameters.string("targetId"),
            targetType: try parameters.string("targetType"))
    }
}

/// The export formats, one entry per line.
public enum AuditExport {
    public static let columns = [
        "sequence", "id", "at", "actorType", "actorId", "actorName", "activity", "operation", "targetType", "targetId",
        "targetName", "modifiedProperties", "result", "requestId", "clientAddress",
    ]
    public static let csvHeader = columns.joined(separator: ",") + "\r\n"

    public static func csvLine(_ entry: AuditEntryView) -> String {
        let modified = entry.modifiedProperties.map { property in
            "\(property.name): \(property.oldValue ?? "") -> \(property.newValue ?? "")"
        }.joined(separator: "; ")
        let fields: [String?] = [
            String(entry.sequence), entry.id.rawValue, WireCoding.format(entry.at), entry.actorType.rawValue, entry.actorId,
            entry.actorName, entry.activity, entry.operation.rawValue, entry.targetType, entry.targetId, entry.targetName,
            modified, entry.result.rawValue, entry.requestId, entry.clientAddress,
        ]
        return fields.map { csvField($0 ?? "") }.joined(separator: ",") + "\r\n"
    }

    /// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet
    /// never runs a value as a formula.
    public static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func jsonLine(_ entry: AuditEntryView) throws -> String {
        String(decoding: try WireCoding.encoder().encode(entry), as: UTF8.self) + "\n"
    }
}
