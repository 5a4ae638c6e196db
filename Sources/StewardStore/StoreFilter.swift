import Foundation
import StewardModel

/// The conditions of a filtered list, said once for both stores: each condition is SQL with `?`
/// placeholders and its bound values, and a backend renders the whole as its dialect wants —
/// `?` for SQLite, `$1`, `$2`, … for PostgreSQL, and a list membership as `json_each` or
/// `= ANY`. Column names come from Steward's code; values are always bound. A list is one bound
/// value, so the SQL depends only on which conditions a filter has: the shapes are few, and
/// SQLite keeps each one prepared (`cachedStatement`).
public struct StoreFilter: Sendable {
    public enum Dialect: Sendable {
        case sqlite, postgres
    }

    private enum Part: Sendable {
        case condition(String, [StoreValue])
        /// SQL whose `{oneOf}` says "is one of the texts".
        case oneOf(String, [String])
    }

    private var parts: [Part] = []

    public init() {}

    /// A condition joined with AND: `sql` holds one `?` per value, in order.
    public mutating func add(_ sql: String, _ values: StoreValue...) {
        parts.append(.condition(sql, values))
    }

    /// A condition whose `{oneOf}` stands for "is one of `texts`" (`group_id {oneOf}`).
    public mutating func add(_ sql: String, oneOf texts: [String]) {
        parts.append(.oneOf(sql, texts))
    }

    /// The WHERE clause and its values in binding order; PostgreSQL placeholders start after
    /// `bound` values already placed.
    public func render(_ dialect: Dialect, afterBound bound: Int = 0) -> (sql: String, values: [StoreValue]) {
        var values: [StoreValue] = []
        var conditions: [String] = []
        func placeholder() -> String {
            dialect == .sqlite ? "?" : "$\(bound + values.count)"
        }
        for part in parts {
            switch part {
            case .condition(let sql, let bind):
                var rendered = ""
                var remaining = bind[...]
                for character in sql {
                    if character == "?", let value = remaining.popFirst() {
                        values.append(value)
                        rendered += placeholder()
                    } else {
                        rendered.append(character)
                    }
                }
                conditions.append(rendered)
            case .oneOf(let sql, let texts):
                // Each `{oneOf}` binds the list once more.
                let pieces = sql.components(separatedBy: "{oneOf}")
                var rendered = pieces[0]
                for piece in pieces.dropFirst() {
                    switch dialect {
                    case .sqlite:
                        let json = String(decoding: (try? JSONEncoder().encode(texts)) ?? Data("[]".utf8), as: UTF8.self)
                        values.append(.text(json))
                        rendered += "IN (SELECT value FROM json_each(\(placeholder())))"
                    case .postgres:
                        values.append(.textArray(texts))
                        rendered += "= ANY(\(placeholder()))"
                    }
                    rendered += piece
                }
                conditions.append(rendered)
            }
        }
        return (conditions.isEmpty ? "TRUE" : conditions.joined(separator: " AND "), values)
    }
}

extension DeviceQuery {
    /// The device list's conditions (`devices` rows), for both stores.
    public func filter(tenantID: TenantID) -> StoreFilter {
        var filter = StoreFilter()
        filter.add("tenant_id = ?", .text(tenantID.rawValue))
        if let platform { filter.add("platform = ?", .text(platform.rawValue)) }
        if let ownership { filter.add("ownership = ?", .text(ownership.rawValue)) }
        if let operatingSystem { filter.add("os_name = ?", .text(operatingSystem)) }
        if let namePrefix {
            // A range, not LIKE: indexable, case-sensitive, the same on both stores (C collation).
            filter.add("device_name >= ? AND device_name < ?", .text(namePrefix), .text(namePrefix + "\u{10FFFF}"))
        }
        if let lastCheckInBefore { filter.add("last_check_in_at < ?", .integer(lastCheckInBefore.millisecondsSince1970)) }
        if let lastCheckInAfter { filter.add("last_check_in_at > ?", .integer(lastCheckInAfter.millisecondsSince1970)) }
        if let userID { filter.add("user_id = ?", .text(userID.rawValue)) }
        if let inGroups {
            filter.add(
                "id IN (SELECT member_id FROM group_members WHERE tenant_id = devices.tenant_id AND group_id {oneOf})",
                oneOf: inGroups.map(\.rawValue))
        }
        if let serialNumber { filter.add("serial_number = ?", .text(serialNumber)) }
        if let platformId { filter.add("platform_id = ?", .text(platformId)) }
        if let managementID { filter.add("management_id = ?", .text(managementID)) }
        if let directoryDeviceID { filter.add("directory_device_id = ?", .text(directoryDeviceID)) }
        if let easDeviceID { filter.add("eas_device_id = ?", .text(easDeviceID)) }
        if let windowsDeviceID { filter.add("windows_device_id = ?", .text(windowsDeviceID)) }
        if let macAddresses {
            filter.add("id IN (SELECT device_id FROM device_macs WHERE tenant_id = devices.tenant_id AND mac {oneOf})", oneOf: macAddresses)
        }
        if let after {
            // Keyset paging in the list's order; a row value compares like the index it walks.
            let id = StoreValue.text(after.rawValue)
            switch (sort, afterValue) {
            case (.enrolled, _): filter.add("id > ?", id)
            case (.name, .text(let name?)?): filter.add("(device_name, id) > (?, ?)", .text(name), id)
            case (.name, _): filter.add("((device_name IS NULL AND id > ?) OR device_name IS NOT NULL)", id)
            case (.lastCheckIn, .integer(let at?)?): filter.add("((last_check_in_at, id) < (?, ?) OR last_check_in_at IS NULL)", .integer(at), id)
            case (.lastCheckIn, _): filter.add("last_check_in_at IS NULL AND id < ?", id)
            }
        }
        return filter
    }

    /// The list's order: NULLs where SQLite puts them by default (first ascending, last
    /// descending), said explicitly to PostgreSQL, whose index is built in the same order.
    public func orderBy(_ dialect: StoreFilter.Dialect) -> String {
        let nulls = dialect == .postgres
        switch sort {
        case .enrolled: return "id"
        case .name: return nulls ? "device_name NULLS FIRST, id" : "device_name, id"
        case .lastCheckIn: return nulls ? "last_check_in_at DESC NULLS LAST, id DESC" : "last_check_in_at DESC, id DESC"
        }
    }

    /// The key a page's cursor carries for a device in this order (its sort value, then its ID).
    public func cursorKey(_ device: DeviceView) -> String {
        switch sort {
        case .enrolled: return device.id.rawValue
        case .name: return (device.deviceName ?? "\u{0}") + "\u{1F}" + device.id.rawValue
        case .lastCheckIn: return (device.lastCheckInAt.map { String($0.millisecondsSince1970) } ?? "\u{0}") + "\u{1F}" + device.id.rawValue
        }
    }

    /// Sets `after` and `afterValue` from a cursor key; false when the key is not one of this order.
    public mutating func continueAfter(_ key: String) -> Bool {
        guard sort != .enrolled else {
            guard DeviceID.isWellFormed(key) else { return false }
            after = DeviceID(rawValue: key)
            return true
        }
        guard let split = key.lastIndex(of: "\u{1F}") else { return false }
        let (value, id) = (String(key[..<split]), String(key[key.index(after: split)...]))
        guard DeviceID.isWellFormed(id) else { return false }
        after = DeviceID(rawValue: id)
        if value == "\u{0}" {
            afterValue = nil
        } else if sort == .name {
            afterValue = .text(value)
        } else {
            guard let millis = Int64(value) else { return false }
            afterValue = .integer(millis)
        }
        return true
    }
}

extension AuditQuery {
    /// The audit log's conditions (`audit_entries` rows), for both stores.
    public func filter(tenantID: TenantID) -> StoreFilter {
        var filter = StoreFilter()
        filter.add("tenant_id = ?", .text(tenantID.rawValue))
        if let from { filter.add("at >= ?", .integer(from.millisecondsSince1970)) }
        if let to { filter.add("at < ?", .integer(to.millisecondsSince1970)) }
        if let actorID { filter.add("actor_id = ?", .text(actorID)) }
        if let activity { filter.add("activity = ?", .text(activity)) }
        if let targetID { filter.add("target_id = ?", .text(targetID)) }
        if let targetType { filter.add("target_type = ?", .text(targetType)) }
        if let afterSequence { filter.add(newestFirst ? "sequence < ?" : "sequence > ?", .integer(afterSequence)) }
        return filter
    }
}

extension DiagnosticsQuery {
    /// The diagnostics list's conditions (`diagnostic_events` rows), for both stores.
    public func filter(tenantID: TenantID) -> StoreFilter {
        var filter = StoreFilter()
        filter.add("tenant_id = ?", .text(tenantID.rawValue))
        if let from { filter.add("at >= ?", .integer(from.millisecondsSince1970)) }
        if let to { filter.add("at < ?", .integer(to.millisecondsSince1970)) }
        if let kind { filter.add("kind = ?", .text(kind.rawValue)) }
        if let after { filter.add("id > ?", .text(after)) }
        if let pseudonyms { filter.add("(device_pseudonym {oneOf} OR user_pseudonym {oneOf})", oneOf: pseudonyms) }
        return filter
    }
}

/// An app's install states by device (`app_install_states` rows), for both stores.
public enum AppDeviceStatusFilter {
    public static func filter(tenantID: TenantID, appID: ManagedAppID, state: AppInstallState?, after: String?) -> StoreFilter {
        var filter = StoreFilter()
        filter.add("tenant_id = ?", .text(tenantID.rawValue))
        filter.add("app_id = ?", .text(appID.rawValue))
        if let state { filter.add("state = ?", .text(state.rawValue)) }
        if let after { filter.add("device_id > ?", .text(after)) }
        return filter
    }
}
