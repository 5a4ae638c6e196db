import Foundation
import StewardModel

/// A value bound to or read from a column, the same on every store.
public enum StoreValue: Sendable, Equatable {
    case text(String?)
    case integer(Int64?)
    case bool(Bool)
    case blob(Data?)
    /// A list of texts (a filter's "one of"; PostgreSQL binds it as `text[]`).
    case textArray([String])
    /// A filter's text compared without regard to (ASCII) case, by an index on the folded column.
    case textIgnoringCase(String)
}

public enum ColumnType: Sendable {
    case text, integer, bool, blob
}

/// A row read back, with typed getters.
public struct StoredRow: Sendable {
    public var values: [String: StoreValue]

    public init(_ values: [String: StoreValue]) { self.values = values }

    public func text(_ column: String) -> String? {
        if case .text(let value)? = values[column] { return value }
        return nil
    }
    public func string(_ column: String) -> String { text(column) ?? "" }
    public func integer(_ column: String) -> Int64? {
        if case .integer(let value)? = values[column] { return value }
        return nil
    }
    public func bool(_ column: String) -> Bool {
        if case .bool(let value)? = values[column] { return value }
        return false
    }
    public func blob(_ column: String) -> Data? {
        if case .blob(let value)? = values[column] { return value }
        return nil
    }
    public func date(_ column: String) -> Date? { integer(column).map(Date.init(millisecondsSince1970:)) }
    public func json<T: Decodable>(_ column: String, as type: T.Type = T.self) -> T? {
        text(column).flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }
}

extension StoreValue {
    public static func date(_ date: Date?) -> StoreValue { .integer(date?.millisecondsSince1970) }
    public static func json(_ value: (some Encodable)?) -> StoreValue {
        guard let value else { return .text(nil) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return .text((try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) })
    }
}

/// A record of a tenant-owned table keyed by `(tenant_id, id)`: the admin-plane resources, which
/// every store reads and writes through the same generic statements (`RecordStore`).
public protocol StoredRecord: Sendable {
    static var table: String { get }
    /// Every column but `tenant_id` and `id`, in a fixed order.
    static var columns: [(name: String, type: ColumnType)] { get }
    var tenantID: TenantID { get }
    var key: String { get }
    /// Values of `columns`, in the same order.
    var values: [StoreValue] { get }
    init(tenantID: TenantID, key: String, row: StoredRow)
    /// Rows that name the record without a foreign key, and so go with it by hand when it is
    /// deleted (the schema's `ON DELETE CASCADE` does the rest).
    static var dependents: [DependentRows] { get }
}

extension StoredRecord {
    public static var dependents: [DependentRows] { [] }
}

/// Rows that go with a record when it is deleted.
public enum DependentRows: Sendable {
    /// `UPDATE table SET column = NULL WHERE tenant_id = ? AND column = id`
    case clear(table: String, column: String)
    /// `DELETE FROM table WHERE tenant_id = ? AND column = id`
    case remove(table: String, column: String)
}

/// The filters the admin plane lists records by, named for what they mean: the column names
/// stay here, next to the records that declare them.
extension AdminRecord {
    public static func withUserName(_ userName: String) -> [String: StoreValue] { ["user_name": .text(userName)] }
}

extension AdminTokenRecord {
    public static func of(_ admin: AdminID) -> [String: StoreValue] { ["admin_id": .text(admin.rawValue)] }
}

extension UserRecord {
    /// UPNs (and SCIM userNames) compare without regard to case.
    public static func withUPN(_ upn: String?) -> [String: StoreValue] { upn.map { ["upn": .textIgnoringCase($0)] } ?? [:] }
    public static func withDirectoryID(_ id: String) -> [String: StoreValue] { ["directory_id": .text(id)] }
}

extension GroupRecord {
    public static func named(_ name: String) -> [String: StoreValue] { ["name": .text(name)] }
    public static func withDirectoryID(_ id: String) -> [String: StoreValue] { ["directory_id": .text(id)] }
}

extension GroupRecord {
    public static func ofKind(_ kind: GroupKind?) -> [String: StoreValue] { kind.map { ["kind": .text($0.rawValue)] } ?? [:] }
}

extension RoleAssignmentRecord {
    public static func of(_ role: RoleID) -> [String: StoreValue] { ["role_id": .text(role.rawValue)] }
    public static func heldBy(_ admin: AdminID?) -> [String: StoreValue] { admin.map { ["admin_id": .text($0.rawValue)] } ?? [:] }
}

extension ManagedAppRecord {
    public static func on(_ platform: Platform?) -> [String: StoreValue] { platform.map { ["platform": .text($0.rawValue)] } ?? [:] }
}

extension AppAssignmentRecord {
    public static func of(_ app: ManagedAppID) -> [String: StoreValue] { ["app_id": .text(app.rawValue)] }
}
