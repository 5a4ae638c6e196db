import Foundation
import StewardModel
import StewardStore

/// Support cases, for the API (the tenant's side) and `steward support` (the operator's) alike:
/// one place that writes a message and moves the case's status. Each write is audited in the
/// tenant's log by the caller's event, which names no content (subject, contact and messages
/// are personal and stay out of the log).
public struct SupportDesk: Sendable {
    let store: any RecordStore
    let clock: Clock
    let ids: IdentifierGenerator

    public init(store: any RecordStore, clock: Clock, ids: IdentifierGenerator) {
        self.store = store
        self.clock = clock
        self.ids = ids
    }

    public func open(
        tenantID: TenantID, _ input: SupportCaseCreateRequest, createdBy: AdminID?, authorName: String,
        audit: (SupportCaseRecord) -> AuditEvent
    ) async throws -> SupportCaseRecord {
        try input.validate()
        let attachment = try input.attachment?.decoded()
        if let user = input.userId, try await store.record(UserRecord.self, tenantID: tenantID, key: user.rawValue) == nil {
            throw APIError.notFound("user")
        }
        let now = clock.now()
        let record = SupportCaseRecord(
            tenantID: tenantID, id: ids(), subject: input.subject, contactName: input.contactName, contactEmail: input.contactEmail,
            contactPhone: input.contactPhone, userID: input.userId, status: .open, createdBy: createdBy, createdAt: now, updatedAt: now)
        let message = SupportMessageRecord(
            tenantID: tenantID, id: ids(), caseID: record.id, author: .tenant, authorName: authorName, body: input.message,
            attachmentName: input.attachment?.name, attachment: attachment, createdAt: now)
        try await store.write([.insert(record), .insert(message)], audit: audit(record))
        return record
    }

    /// A message in the thread: the tenant's (re)opens the case, the operator's answers it.
    public func add(
        tenantID: TenantID, caseID: SupportCaseID, author: SupportAuthor, authorName: String, _ input: SupportMessageRequest,
        audit: @escaping @Sendable (SupportCaseRecord, Int) -> AuditEvent
    ) async throws -> SupportMessageRecord {
        try input.validate()
        let attachment = try input.attachment?.decoded()
        let existing = try await messages(tenantID: tenantID, caseID: caseID)
        guard !existing.isEmpty else { throw StoreError.notFound }
        guard existing.count < SupportCases.maxMessagesPerCase else {
            throw APIError(.conflict, "case_too_long", "This case has \(SupportCases.maxMessagesPerCase) messages: open a new one.")
        }
        let now = clock.now()
        let message = SupportMessageRecord(
            tenantID: tenantID, id: ids(), caseID: caseID, author: author, authorName: authorName, body: input.message,
            attachmentName: input.attachment?.name, attachment: attachment, createdAt: now)
        var updated = try await supportCase(tenantID: tenantID, caseID: caseID)
        updated.status = author == .operator ? .answered : .open
        updated.closedAt = nil
        updated.updatedAt = now
        // The message and the case's new status in one transaction.
        try await store.write([.insert(message), .replace(updated)], audit: audit(updated, attachment?.count ?? 0))
        return message
    }

    public func setStatus(
        tenantID: TenantID, caseID: SupportCaseID, _ status: SupportCaseStatus,
        audit: @escaping @Sendable (SupportCaseRecord, SupportCaseRecord) -> AuditEvent
    ) async throws -> SupportCaseRecord {
        let now = clock.now()
        return try await store.update(SupportCaseRecord.self, tenantID: tenantID, key: caseID.rawValue) { old in
            var new = old
            new.status = status
            new.closedAt = status == .closed ? (old.closedAt ?? now) : nil
            new.updatedAt = now
            return (new, audit(old, new))
        }
    }

    public func supportCase(tenantID: TenantID, caseID: SupportCaseID) async throws -> SupportCaseRecord {
        guard let record = try await store.record(SupportCaseRecord.self, tenantID: tenantID, key: caseID.rawValue) else {
            throw StoreError.notFound
        }
        return record
    }

    public func messages(tenantID: TenantID, caseID: SupportCaseID) async throws -> [SupportMessageRecord] {
        try await store.records(
            SupportMessageRecord.self, tenantID: tenantID, filter: SupportMessageRecord.of(caseID), after: nil,
            limit: SupportCases.maxMessagesPerCase + 1)
    }
}
