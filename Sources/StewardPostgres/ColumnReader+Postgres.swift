import Foundation
import PostgresNIO
import StewardStore

/// A PostgreSQL row read by column name, for the mappers written once in `StewardStore`.
struct PostgresColumns: ColumnReader {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRandomAccessRow) { self.row = row }

    func text(_ column: String) throws -> String? { try row[column].decode(String?.self) }
    func integer(_ column: String) throws -> Int64? { try row[column].decode(Int64?.self) }
    func blob(_ column: String) throws -> Data? { try row[column].decode(Data?.self) }
}
