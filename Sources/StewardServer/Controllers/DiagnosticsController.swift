import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Pseudonymized diagnostics: agents upload events, which are stored under pseudonyms only;
/// admins read them (pseudonyms and all); the Privacy Officer can turn a pseudonym back into a
/// device or user, audited with a reason, and rotate the tenant's key.
struct DiagnosticsController: Sendable {
    let store: any DeviceStore & DiagnosticsStore
    /// Who a device's request comes from (and its per-device limit).
    let devices: DeviceAuthentication
    let keys: PseudonymKeys
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator
    let configuration: ServerConfiguration

    static let maxBodyBytes = 512 * 1024

    func upload(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<DiagnosticsReceipt> {
        let (state, deviceID) = try await devices.device(request)
        let input = try await request.decodeJSON(DiagnosticsUpload.self, limit: min(Self.maxBodyBytes, configuration.maxBodyBytes))
        let now = clock.now()
        try input.validate(now: now)
        guard !input.events.isEmpty else { return JSONResponse(DiagnosticsReceipt(accepted: 0)) }
        let pseudonymizer = try await keys.current(tenantID: state.tenantID)
        do {
            try await store.recordDiagnostics(
                tenantID: state.tenantID, deviceID: deviceID,
                events: input.events.map { (id: ids(DiagnosticEventID.self).rawValue, event: $0) }, pseudonymizer: pseudonymizer,
                at: now)
        } catch StoreError.notFound {
            throw APIError.unauthorized
        }
        ServiceMetrics.diagnosticEvents.increment(by: input.events.count)
        return JSONResponse(DiagnosticsReceipt(accepted: input.events.count))
    }

    static let listParameters: Set<String> = ["from", "to", "kind", "pseudonym", "limit", "cursor"]

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<DiagnosticEventView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: Self.listParameters)
        var filter = DiagnosticsQuery(from: try query.date("from"), to: try query.date("to"), limit: try query.limit() + 1)
        filter.kind = try query.value("kind").map { raw throws(WireError) in try DiagnosticEvent.Kind.parse(raw, field: "kind") }
        filter.pseudonyms = try query.string("pseudonym").map { [$0] }
        filter.after = try query.cursor()
        let events = try await store.diagnostics(tenantID: tenantID, query: filter)
        return JSONResponse(Page.of(events, limit: filter.limit - 1, key: \.id.rawValue) { $0 })
    }

    func reidentify(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<PseudonymSubject> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(ReidentifyRequest.self, limit: 4 * 1024)
        try input.validate()
        let subject = try await store.reidentify(tenantID: tenantID, pseudonym: input.pseudonym) { subject in
            auditor.event(
                context, activity: "Pseudonym", operation: .action,
                targetType: subject.subjectType == .device ? "Device" : "User", targetID: subject.subjectId,
                changes: [
                    ModifiedProperty(name: "reidentified", oldValue: nil, newValue: subject.pseudonym),
                    ModifiedProperty(name: "reason", oldValue: nil, newValue: input.reason),
                ])
        }
        guard let subject else { throw APIError.notFound("pseudonym") }
        return JSONResponse(subject)
    }

    func rotateKey(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<PseudonymKeyView> {
        let tenantID = try context.requireTenant()
        _ = try QueryParameters(request, allowed: [])
        let key = try await keys.rotate(tenantID: tenantID) { version in
            auditor.event(
                context, activity: "PseudonymKey", operation: .create, targetID: tenantID.rawValue,
                changes: [ModifiedProperty(name: "version", oldValue: version > 1 ? String(version - 1) : nil, newValue: String(version))])
        }
        return JSONResponse(key.view, status: .created)
    }
}
