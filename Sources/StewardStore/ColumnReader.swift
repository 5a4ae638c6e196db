import Foundation
import StewardModel

/// A row as a store read it, by column name: what the mappers written once for both stores
/// read (`RemoteTaskRecord(columns:)`, …), so the two stores cannot read a row differently.
public protocol ColumnReader {
    func text(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64?
    func blob(_ column: String) throws -> Data?
    func bool(_ column: String) throws -> Bool?
    func double(_ column: String) throws -> Double?
}

/// A row read by position, for the hottest read (a page of devices): a lookup by name per
/// column was a third of its cost on SQLite, and GRDB's row (a column-name index built per
/// statement run) most of one device's read.
public protocol PositionalColumnReader {
    func text(at index: Int) throws -> String?
    func integer(at index: Int) throws -> Int64?
}

extension ColumnReader {
    /// A NOT NULL column.
    public func required(_ column: String) throws -> String {
        guard let value = try text(column) else { throw StoreError.unavailable("\(column) is null") }
        return value
    }

    public func requiredInteger(_ column: String) throws -> Int64 {
        guard let value = try integer(column) else { throw StoreError.unavailable("\(column) is null") }
        return value
    }

    /// Milliseconds since 1970, as every time is stored.
    public func date(_ column: String) throws -> Date? {
        try integer(column).map(Date.init(millisecondsSince1970:))
    }
}

extension RemoteTaskRecord {
    public init(columns row: some ColumnReader) throws {
        let code = try row.text("result_code"), message = try row.text("result_message")
        self.init(
            tenantID: TenantID(rawValue: try row.required("tenant_id")), id: RemoteTaskID(rawValue: try row.required("id")),
            deviceID: DeviceID(rawValue: try row.required("device_id")),
            kind: RemoteTaskKind(rawValue: try row.required("kind")) ?? .sync,
            state: RemoteTaskState(rawValue: try row.required("state")) ?? .failed,
            createdAt: Date(millisecondsSince1970: try row.requiredInteger("created_at")), createdBy: try row.text("created_by"),
            sentAt: try row.date("sent_at"), acknowledgedAt: try row.date("acknowledged_at"), completedAt: try row.date("completed_at"),
            expiresAt: Date(millisecondsSince1970: try row.requiredInteger("expires_at")),
            result: code == nil && message == nil ? nil : RemoteTaskResult(code: code, message: message), bundle: try row.text("bundle"))
    }
}

extension EnrollmentTokenRecord {
    public init(columns row: some ColumnReader) throws {
        self.init(
            tenantID: TenantID(rawValue: try row.required("tenant_id")), id: CredentialID(rawValue: try row.required("id")),
            verifier: try row.blob("verifier") ?? Data(), ownership: Ownership(rawValue: try row.required("ownership")) ?? .personal,
            description: try row.text("description"), createdAt: Date(millisecondsSince1970: try row.requiredInteger("created_at")),
            expiresAt: try row.date("expires_at"), maxUses: try row.integer("max_uses").map(Int.init),
            useCount: Int(try row.requiredInteger("use_count")), revokedAt: try row.date("revoked_at"),
            userID: try row.text("user_id").map(UserID.init(rawValue:)))
    }
}

extension AuditRecord {
    public init(columns row: some ColumnReader) throws {
        let properties = try row.required("modified_properties")
        self.init(
            tenantID: TenantID(rawValue: try row.required("tenant_id")), sequence: try row.requiredInteger("sequence"),
            id: AuditEntryID(rawValue: try row.required("id")), at: Date(millisecondsSince1970: try row.requiredInteger("at")),
            actorType: AuditActorType(rawValue: try row.required("actor_type")) ?? .anonymous, actorID: try row.text("actor_id"),
            activity: try row.required("activity"), operation: AuditOperation(rawValue: try row.required("operation")) ?? .action,
            targetType: try row.required("target_type"), targetID: try row.text("target_id"),
            modifiedProperties: (try? JSONDecoder().decode([String].self, from: Data(properties.utf8))) ?? [],
            result: AuditResult(rawValue: try row.required("result")) ?? .failure, requestID: try row.text("request_id"),
            personal: try row.text("personal").map { Data($0.utf8) }, personalDigest: try row.blob("personal_digest") ?? Data(),
            chainHash: try row.blob("chain_hash") ?? Data())
    }
}

extension AppDeviceStatusView {
    public init(columns row: some ColumnReader) throws {
        self.init(
            deviceId: DeviceID(rawValue: try row.required("device_id")), userId: try row.text("user_id").map(UserID.init(rawValue:)),
            state: AppInstallState(rawValue: try row.required("state")) ?? .notInstalled, errorCode: try row.text("error_code"),
            updatedAt: Date(millisecondsSince1970: try row.requiredInteger("updated_at")))
    }
}

extension DeviceView {
    /// The columns a device view reads, in the order `init(columns:)` reads them by position.
    public static let storedColumns = """
        id, platform, ownership, device_name, manufacturer, model, os_name, os_version, kernel_version, serial_number,
        platform_id, imei, meid, iccid, phone_number, network_interfaces, wifi_mac_address, cpu_model, cpu_cores,
        memory_bytes, disk_bytes, app_count, refused_app_reports, agent_version, enrolled_at, last_check_in_at, user_id,
        retired_at, management_id, directory_device_id, eas_device_id, windows_device_id
        """

    /// A row selected with `storedColumns`.
    public init(columns row: some PositionalColumnReader) throws {
        func text(_ index: Int) throws -> String { try row.text(at: index) ?? "" }
        func date(_ index: Int) throws -> Date? { try row.integer(at: index).map(Date.init(millisecondsSince1970:)) }
        let interfacesJSON = try row.text(at: 15) ?? "[]"
        let interfaces = (try? NetworkInterface.stored(interfacesJSON)) ?? []
        self.init(
            id: DeviceID(rawValue: try text(0)), platform: Platform(rawValue: try text(1)) ?? .linux,
            ownership: Ownership(rawValue: try text(2)) ?? .personal, deviceName: try row.text(at: 3),
            manufacturer: try row.text(at: 4), model: try row.text(at: 5), operatingSystem: try row.text(at: 6),
            osVersion: try row.text(at: 7), kernelVersion: try row.text(at: 8), serialNumber: try row.text(at: 9),
            platformId: try row.text(at: 10), imei: try row.text(at: 11), meid: try row.text(at: 12), iccid: try row.text(at: 13),
            phoneNumber: try row.text(at: 14), networkInterfaces: interfaces, wifiMacAddress: try row.text(at: 16),
            cpuModel: try row.text(at: 17), cpuCores: try row.integer(at: 18).map(Int.init), memoryBytes: try row.integer(at: 19),
            diskBytes: try row.integer(at: 20), appCount: Int(try row.integer(at: 21) ?? 0),
            refusedAppReports: Int(try row.integer(at: 22) ?? 0), agentVersion: try row.text(at: 23),
            enrolledAt: try date(24) ?? Date(timeIntervalSince1970: 0), lastCheckInAt: try date(25),
            userId: try row.text(at: 26).map(UserID.init(rawValue:)), retiredAt: try date(27), managementId: try row.text(at: 28),
            directoryDeviceId: try row.text(at: 29), easDeviceId: try row.text(at: 30), windowsDeviceId: try row.text(at: 31))
    }
}

extension DiagnosticEventView {
    public init(columns row: some ColumnReader) throws {
        self.init(
            id: DiagnosticEventID(rawValue: try row.required("id")),
            kind: DiagnosticEvent.Kind(rawValue: try row.required("kind")) ?? .agentError, name: try row.required("name"),
            at: Date(millisecondsSince1970: try row.requiredInteger("at")), durationMs: try row.double("duration_ms"),
            success: try row.bool("success"), code: try row.text("code"), devicePseudonym: try row.text("device_pseudonym"),
            userPseudonym: try row.text("user_pseudonym"))
    }
}
