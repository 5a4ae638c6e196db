import Foundation
import StewardModel

/// Static membership of groups.
public protocol GroupMemberStore: Sendable {
    /// `conflict` when already a member.
    func addMember(tenantID: TenantID, groupID: GroupID, memberID: String, at: Date, audit: AuditEvent) async throws
    /// `notFound` when not a member.
    func removeMember(tenantID: TenantID, groupID: GroupID, memberID: String, audit: AuditEvent) async throws
    func members(tenantID: TenantID, groupID: GroupID, after: String?, limit: Int) async throws -> [(id: String, addedAt: Date)]
    func memberCounts(tenantID: TenantID, groupIDs: [GroupID]) async throws -> [GroupID: Int]
    /// The groups a user or device is a member of.
    func groupIDs(tenantID: TenantID, memberID: String) async throws -> [GroupID]
    /// Writes the group (a new one, or over the old) and, when `members` is given, makes them its
    /// members (adding and removing the difference), in one transaction with the audit event
    /// made from the members added and removed. `conflict` for a taken name; `notFound` for
    /// a replaced group that is gone.
    func writeGroup(
        _ group: GroupRecord, isNew: Bool, members: [String]?, at: Date,
        audit: @escaping @Sendable (_ added: [String], _ removed: [String]) -> AuditEvent
    ) async throws
}
