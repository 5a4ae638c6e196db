import PostgresNIO

/// Conditions joined by AND, each with its bound value: `?` in a condition becomes the value's
/// `$n`. Column names come from our code; values are always bound.
struct WhereClause {
    private(set) var bindings = PostgresBindings()
    private var conditions: [String] = []

    mutating func add(_ sql: String, _ value: some PostgresDynamicTypeEncodable) {
        bindings.append(value)
        conditions.append(sql.replacingOccurrences(of: "?", with: "$\(bindings.count)"))
    }

    var sql: String { conditions.joined(separator: " AND ") }

    /// A placeholder for one more value (LIMIT), after the conditions'.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        bindings.append(value)
        return "$\(bindings.count)"
    }
}
