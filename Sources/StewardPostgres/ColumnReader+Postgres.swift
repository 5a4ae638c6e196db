import Foundation
import PostgresNIO
import StewardStore

/// A PostgreSQL row read by column name, for the mappers written once in `StewardStore`.
struct PostgresColumns: ColumnReader, PositionalColumnReader {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRandomAccessRow) { self.row = row }

    func text(_ column: String) throws -> String? { try row[column].decode(String?.self) }
    func integer(_ column: String) throws -> Int64? { try row[column].decode(Int64?.self) }
    func blob(_ column: String) throws -> Data? { try row[column].decode(Data?.self) }
    func bool(_ column: String) throws -> Bool? { try row[column].decode(Bool?.self) }
    func double(_ column: String) throws -> Double? { try row[column].decode(Double?.self) }
    func text(at index: Int) throws -> String? { try row[row.index(row.startIndex, offsetBy: index)].decode(String?.self) }
    func integer(at index: Int) throws -> Int64? { try row[row.index(row.startIndex, offsetBy: index)].decode(Int64?.self) }
}
