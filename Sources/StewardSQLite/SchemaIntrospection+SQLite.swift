import Foundation
import GRDB
import StewardStore

extension SQLiteStorage {
    public func schemaColumns() async throws -> [String: Set<String>] {
        try await pool.read { db in
            var result: [String: Set<String>] = [:]
            for table in try Self.tables(db) { result[table] = Set(try db.columns(in: table).map(\.name)) }
            return result
        }
    }

    public func primaryKeys() async throws -> [String: [String]] {
        try await pool.read { db in
            var result: [String: [String]] = [:]
            for table in try Self.tables(db) { result[table] = try db.primaryKey(table).columns }
            return result
        }
    }

    public func indexes() async throws -> [String: [String]] {
        try await pool.read { db in
            var result: [String: [String]] = [:]
            for table in try Self.tables(db) {
                // Only indexes written in the schema (sql IS NOT NULL), not those backing keys.
                let declared = Set(try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    arguments: [table]))
                for index in try db.indexes(on: table) where declared.contains(index.name) {
                    result[index.name] = index.columns
                }
            }
            return result
        }
    }

    public func databaseBytes() async throws -> Int64 {
        let path = pool.path
        return [path, path + "-wal"].reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
    }

    private static func tables(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    }
}
