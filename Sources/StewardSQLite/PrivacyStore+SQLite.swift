// Per dialect on purpose: secure erasure. SQLite zeroes deleted bytes (`secure_delete = ON`)
// and truncates the WAL; PostgreSQL vacuums the tables.

import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func eraseUser(
        tenantID: TenantID, userID: UserID, audit: @escaping @Sendable (ErasureView) -> AuditEvent
    ) async throws -> ErasureView {
        let result = try await erasingWrite { db -> ErasureView in
            let result = try Self.erase(db, tenant: tenantID.rawValue, user: userID.rawValue)
            try Self.appendAudit(db, audit(result))
            return result
        }
        try await truncateWAL()
        return result
    }

    public func usersDueForErasure(tenantID: TenantID, at: Date, limit: Int) async throws -> [UserID] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM users WHERE tenant_id = ? AND erase_at <= ? ORDER BY erase_at LIMIT ?",
                arguments: [tenantID.rawValue, at.millisecondsSince1970, limit]
            ).map(UserID.init(rawValue:))
        }
    }

    public func purgeClosedSupportCases(tenantID: TenantID, closedBefore: Date) async throws -> Int {
        try await erasingWrite { db in
            try db.execute(
                sql: "DELETE FROM support_cases WHERE tenant_id = ? AND status = 'closed' AND closed_at < ?",
                arguments: [tenantID.rawValue, closedBefore.millisecondsSince1970])
            return db.changesCount
        }
    }

    public func purgeAppleMDM(tenantID: TenantID, answeredBefore: Date, unusedBefore: Date) async throws -> (commands: Int, enrollments: Int) {
        try await pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM apple_mdm_commands WHERE tenant_id = ? AND state IN ('acknowledged', 'error', 'formatError')
                        AND answered_at < ?
                    """,
                arguments: [tenantID.rawValue, answeredBefore.millisecondsSince1970])
            let commands = db.changesCount
            try db.execute(
                sql: "DELETE FROM apple_mdm_enrollments WHERE tenant_id = ? AND device_id IS NULL AND issued_at < ?",
                arguments: [tenantID.rawValue, unusedBefore.millisecondsSince1970])
            return (commands, db.changesCount)
        }
    }

    public func removeStaleAppInstances(tenantID: TenantID, before: Date) async throws -> Int {
        try await erasingWrite { db in
            try db.execute(
                sql: "DELETE FROM app_protection_instances WHERE tenant_id = ? AND coalesce(last_check_in_at, enrolled_at) < ?",
                arguments: [tenantID.rawValue, before.millisecondsSince1970])
            return db.changesCount
        }
    }

    private static func erase(_ db: Database, tenant: String, user: String) throws -> ErasureView {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE tenant_id = ? AND id = ?", arguments: [tenant, user]) != nil
        else { throw StoreError.notFound }
        let devices = try String.fetchAll(db, sql: "SELECT id FROM devices WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        // Support cases about them, or with them as the contact (by either address).
        let cases = try String.fetchAll(
            db,
            sql: """
                SELECT c.id FROM support_cases c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = ?
                WHERE c.tenant_id = ? AND (c.user_id = u.id OR lower(c.contact_email) IN (lower(u.upn), lower(coalesce(u.email, u.upn))))
                """,
            arguments: [user, tenant])
        let instances = try String.fetchAll(
            db, sql: "SELECT id FROM app_protection_instances WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        let subjects = jsonArray([user] + devices + cases + instances)
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
        let software = "SELECT count(*) FROM software WHERE tenant_id = ?"
        let softwareBefore = try Int.fetchOne(db, sql: software, arguments: [tenant]) ?? 0
        try db.execute(sql: "DELETE FROM devices WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        try db.execute(sql: "UPDATE enrollment_tokens SET user_id = NULL WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        try db.execute(
            sql: "DELETE FROM support_cases WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))", arguments: [tenant, jsonArray(cases)])
        try db.execute(sql: "DELETE FROM app_protection_instances WHERE tenant_id = ? AND user_id = ?", arguments: [tenant, user])
        try db.execute(sql: "DELETE FROM users WHERE tenant_id = ? AND id = ?", arguments: [tenant, user])
        // App catalog rows no device holds any more went with the devices (trigger): an install
        // location can name a person's folder.
        let purged = softwareBefore - (try Int.fetchOne(db, sql: software, arguments: [tenant]) ?? 0)
        return ErasureView(
            devicesDeleted: devices.count, auditEntriesBlanked: blanked, appCatalogRowsPurged: purged, pseudonymsUnlinked: unlinked,
            supportCasesDeleted: cases.count, appInstancesDeleted: instances.count)
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
