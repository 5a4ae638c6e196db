import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func addMember(tenantID: TenantID, groupID: GroupID, memberID: String, at: Date, audit: AuditEvent) async throws {
        try await pool.write { db in
            try Self.uniquenessAsConflict {
                try db.execute(
                    sql: "INSERT INTO group_members (tenant_id, group_id, member_id, added_at) VALUES (?, ?, ?, ?)",
                    arguments: [tenantID.rawValue, groupID.rawValue, memberID, at.millisecondsSince1970])
            }
            try Self.appendAudit(db, audit)
        }
    }

    public func writeGroup(
        _ group: GroupRecord, isNew: Bool, members: [String]?, at: Date,
        audit: @escaping @Sendable (_ added: [String], _ removed: [String]) -> AuditEvent
    ) async throws {
        try await pool.write { db in
            try Self.uniquenessAsConflict { isNew ? try Self.insert(db, group) : try Self.replace(db, group) }
            var (added, removed): ([String], [String]) = ([], [])
            if let members {
                let tenant = group.tenantID.rawValue
                let current = Set(try String.fetchAll(
                    db, sql: "SELECT member_id FROM group_members WHERE tenant_id = ? AND group_id = ?",
                    arguments: [tenant, group.key]))
                added = members.filter { !current.contains($0) }
                removed = current.subtracting(members).sorted()
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO group_members (tenant_id, group_id, member_id, added_at) VALUES (?, ?, ?, ?)")
                for member in added { try insert.execute(arguments: [tenant, group.key, member, at.millisecondsSince1970]) }
                let delete = try db.cachedStatement(sql: "DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id = ?")
                for member in removed { try delete.execute(arguments: [tenant, group.key, member]) }
            }
            try Self.appendAudit(db, audit(added, removed))
        }
    }

    public func removeMember(tenantID: TenantID, groupID: GroupID, memberID: String, audit: AuditEvent) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id = ?",
                arguments: [tenantID.rawValue, groupID.rawValue, memberID])
            if db.changesCount == 0 { throw StoreError.notFound }
            try Self.appendAudit(db, audit)
        }
    }

    public func members(tenantID: TenantID, groupID: GroupID, after: String?, limit: Int) async throws -> [(id: String, addedAt: Date)] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT member_id, added_at FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id > ?
                    ORDER BY member_id LIMIT ?
                    """,
                arguments: [tenantID.rawValue, groupID.rawValue, after ?? "", limit]
            ).map { (id: $0["member_id"], addedAt: Date(millisecondsSince1970: $0["added_at"])) }
        }
    }

    public func memberCounts(tenantID: TenantID, groupIDs: [GroupID]) async throws -> [GroupID: Int] {
        guard !groupIDs.isEmpty else { return [:] }
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT group_id, count(*) AS members FROM group_members
                    WHERE tenant_id = ? AND group_id IN (SELECT value FROM json_each(?)) GROUP BY group_id
                    """,
                arguments: [tenantID.rawValue, Self.jsonArray(groupIDs.map(\.rawValue))])
            return Dictionary(uniqueKeysWithValues: rows.map { (GroupID(rawValue: $0["group_id"]), $0["members"] as Int) })
        }
    }

    public func groupIDs(tenantID: TenantID, memberID: String) async throws -> [GroupID] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT group_id FROM group_members WHERE tenant_id = ? AND member_id = ? ORDER BY group_id",
                arguments: [tenantID.rawValue, memberID]
            ).map(GroupID.init(rawValue:))
        }
    }

    static func jsonArray(_ values: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
