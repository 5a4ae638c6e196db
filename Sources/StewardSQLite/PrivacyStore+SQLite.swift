import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func eraseUser(
        tenantID: TenantID, userID: UserID, audit: @Sendable (ErasureView) -> AuditEvent
    ) async throws -> ErasureView {
        let result = try await pool.writeWithoutTransaction { db -> ErasureView in
            // Zero every deleted byte, freelist pages included, for this transaction.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = FAST") }
            var result = ErasureView(devicesDeleted: 0, auditEntriesBlanked: 0, appCatalogRowsPurged: 0, pseudonymsUnlinked: 0)
            try db.inTransaction {
                result = try Self.erase(db, tenant: tenantID.rawValue, user: userID.rawValue)
                try Self.appendAudit(db, audit(result))
                return .commit
            }
            softwareIDs.removeAll()
            return result
        }
        try await truncateWAL()
        return result
    }

    private static func erase(_ db: Database, tenant: String, user: String) throws -> ErasureView {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE tenant_id = ? AND id = ?", arguments: [tenant, user]) != nil
        else { throw StoreError.notFound }
        let devices = try String.fetchAll(db, sql: "SELECT id FROM devices WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        let subjects = jsonArray([user] + devices)
        try db.execute(
            sql: """
                UPDATE audit_entries SET personal = NULL
                WHERE tenant_id = ? AND personal IS NOT NULL AND target_id IN (SELECT value FROM json_each(?))
                """,
            arguments: [tenant, subjects])
        let blanked = db.changesCount
        // Cut the pseudonym links (their salts go with them): the diagnostics stay, anonymous.
        for column in ["device_pseudonym", "user_pseudonym"] {
            try db.execute(
                sql: """
                    UPDATE diagnostic_events SET \(column) = NULL WHERE tenant_id = ? AND \(column) IN (
                        SELECT pseudonym FROM pseudonyms WHERE tenant_id = ? AND subject_id IN (SELECT value FROM json_each(?)))
                    """,
                arguments: [tenant, tenant, subjects])
        }
        try db.execute(
            sql: "DELETE FROM pseudonyms WHERE tenant_id = ? AND subject_id IN (SELECT value FROM json_each(?))",
            arguments: [tenant, subjects])
        let unlinked = db.changesCount
        try db.execute(
            sql: "DELETE FROM group_members WHERE tenant_id = ? AND member_id IN (SELECT value FROM json_each(?))",
            arguments: [tenant, subjects])
        try db.execute(sql: "DELETE FROM devices WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        try db.execute(sql: "UPDATE enrollment_tokens SET user_id = NULL WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        try db.execute(sql: "DELETE FROM users WHERE tenant_id = ? AND id = ?", arguments: [tenant, user])
        // App catalog rows no device references any more: an install location can name a person's folder.
        try db.execute(
            sql: """
                DELETE FROM software WHERE tenant_id = ? AND NOT EXISTS (
                    SELECT 1 FROM device_software ds WHERE ds.tenant_id = software.tenant_id AND ds.software_id = software.id)
                """,
            arguments: [tenant])
        return ErasureView(devicesDeleted: devices.count, auditEntriesBlanked: blanked, appCatalogRowsPurged: db.changesCount, pseudonymsUnlinked: unlinked)
    }

    /// Copies the WAL into the database and truncates it, so erased rows survive in no frame.
    /// Readers holding an older snapshot can make the checkpoint wait; it is retried briefly.
    func truncateWAL() async throws {
        for attempt in 0..<50 {
            let done = try await pool.writeWithoutTransaction { db -> Bool in
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                return (row?[0] as Int?) == 0
            }
            if done { return }
            try await Task.sleep(for: .milliseconds(20 * (attempt + 1)))
        }
    }
}
