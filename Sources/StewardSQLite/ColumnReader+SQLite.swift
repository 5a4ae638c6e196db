import Foundation
import GRDB
import StewardStore

/// A GRDB row read by column name, for the mappers written once in `StewardStore`.
struct SQLiteColumns: ColumnReader {
    let row: Row

    init(_ row: Row) { self.row = row }

    func text(_ column: String) -> String? { row[column] }
    func integer(_ column: String) -> Int64? { row[column] }
    func blob(_ column: String) -> Data? { row[column] }
    func bool(_ column: String) -> Bool? { row[column] }
    func double(_ column: String) -> Double? { row[column] }
}
