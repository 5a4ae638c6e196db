import Foundation
import StewardModel

/// The live schema, for the tests that hold both stores to the catalog and to tenant-first keys.
public protocol SchemaIntrospection: Sendable {
    /// Columns of every table.
    func schemaColumns() async throws -> [String: Set<String>]
    /// Primary key columns of every table, in order.
    func primaryKeys() async throws -> [String: [String]]
    /// Columns of every secondary index, in order, by index name.
    func indexes() async throws -> [String: [String]]
    /// Bytes the deployment's data takes on disk (tables, indexes, and SQLite's WAL).
    func databaseBytes() async throws -> Int64
}
