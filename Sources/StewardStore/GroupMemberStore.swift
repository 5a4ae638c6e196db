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
}
