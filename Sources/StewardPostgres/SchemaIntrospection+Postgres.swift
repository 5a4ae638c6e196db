import PostgresNIO
import StewardStore

extension PostgresStorage {
    public func schemaColumns() async throws -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for row in try await rows(
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema()")
        {
            result[try row.value("table_name"), default: []].insert(try row.value("column_name"))
        }
        return result
    }

    public func primaryKeys() async throws -> [String: [String]] {
        try await indexColumns(primary: true)
    }

    public func indexes() async throws -> [String: [String]] {
        try await indexColumns(primary: false)
    }

    public func databaseBytes() async throws -> Int64 {
        try await rows(
            """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            WHERE c.relkind = 'r'
            """
        ).first?.value("bytes") ?? 0
    }

    /// Index columns in order: for primary keys by table name, for other indexes by index name.
    private func indexColumns(primary: Bool) async throws -> [String: [String]] {
        var result: [String: [(Int64, String)]] = [:]
        for row in try await rows(
            """
            SELECT CASE WHEN i.indisprimary THEN t.relname::text ELSE c.relname::text END AS name,
                   k.ordinality AS position, a.attname::text AS column_name
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE i.indisprimary = \(primary)
            """)
        {
            result[try row.value("name"), default: []].append((try row.value("position"), try row.value("column_name")))
        }
        return result.mapValues { $0.sorted { $0.0 < $1.0 }.map(\.1) }
    }
}
