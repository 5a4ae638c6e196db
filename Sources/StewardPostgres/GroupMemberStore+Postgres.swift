import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func addMember(tenantID: TenantID, groupID: GroupID, memberID: String, at: Date, audit: AuditEvent) async throws {
        try await transaction { [self] connection in
            _ = try await Self.uniquenessAsConflict {
                try await connection.query(
                    """
                    INSERT INTO group_members (tenant_id, group_id, member_id, added_at)
                    VALUES (\(tenantID.rawValue), \(groupID.rawValue), \(memberID), \(at.millisecondsSince1970))
                    """, logger: logger)
            }
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func writeGroup(
        _ group: GroupRecord, isNew: Bool, members: [String]?, at: Date,
        audit: @escaping @Sendable (_ added: [String], _ removed: [String]) -> AuditEvent
    ) async throws {
        try await transaction { [self] connection in
            try await Self.uniquenessAsConflict {
                if isNew { try await Self.insert(connection, group, logger: logger) } else { try await Self.replace(connection, group, logger: logger) }
            }
            var (added, removed): ([String], [String]) = ([], [])
            if let members {
                let (tenant, id) = (group.tenantID.rawValue, group.key)
                var current = Set<String>()
                for try await (member) in try await connection.query(
                    "SELECT member_id FROM group_members WHERE tenant_id = \(tenant) AND group_id = \(id) FOR UPDATE", logger: logger
                ).decode(String.self) { current.insert(member) }
                added = members.filter { !current.contains($0) }
                removed = current.subtracting(members).sorted()
                if !added.isEmpty {
                    try await connection.query(
                        """
                        INSERT INTO group_members (tenant_id, group_id, member_id, added_at)
                        SELECT \(tenant), \(id), member, \(at.millisecondsSince1970) FROM unnest(\(added)::text[]) AS member
                        """, logger: logger)
                }
                if !removed.isEmpty {
                    try await connection.query(
                        """
                        DELETE FROM group_members WHERE tenant_id = \(tenant) AND group_id = \(id) AND member_id = ANY(\(removed)::text[])
                        """, logger: logger)
                }
            }
            try await Self.appendAudit(connection, audit(added, removed), logger: logger)
        }
    }

    public func removeMember(tenantID: TenantID, groupID: GroupID, memberID: String, audit: AuditEvent) async throws {
        try await transaction { [self] connection in
            let removed = try await connection.query(
                """
                DELETE FROM group_members WHERE tenant_id = \(tenantID.rawValue) AND group_id = \(groupID.rawValue)
                    AND member_id = \(memberID) RETURNING member_id
                """, logger: logger
            ).collect()
            if removed.isEmpty { throw StoreError.notFound }
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func members(tenantID: TenantID, groupID: GroupID, after: String?, limit: Int) async throws -> [(id: String, addedAt: Date)] {
        try await rows(
            """
            SELECT member_id, added_at FROM group_members WHERE tenant_id = \(tenantID.rawValue)
                AND group_id = \(groupID.rawValue) AND member_id > \(after ?? "")
            ORDER BY member_id LIMIT \(Int64(limit))
            """
        ).map { (id: try $0.value("member_id"), addedAt: Date(millisecondsSince1970: try $0.value("added_at"))) }
    }

    public func groupIDs(tenantID: TenantID, memberID: String) async throws -> [GroupID] {
        try await rows(
            "SELECT group_id FROM group_members WHERE tenant_id = \(tenantID.rawValue) AND member_id = \(memberID) ORDER BY group_id"
        ).map { GroupID(rawValue: try $0.value("group_id")) }
    }

    public func memberCounts(tenantID: TenantID, groupIDs: [GroupID]) async throws -> [GroupID: Int] {
        guard !groupIDs.isEmpty else { return [:] }
        let rows = try await rows(
            """
            SELECT group_id, count(*) AS members FROM group_members
            WHERE tenant_id = \(tenantID.rawValue) AND group_id = ANY(\(groupIDs.map(\.rawValue))) GROUP BY group_id
            """)
        return Dictionary(uniqueKeysWithValues: try rows.map {
            (GroupID(rawValue: try $0.value("group_id")), Int(try $0.value("members", as: Int64.self)))
        })
    }
}
