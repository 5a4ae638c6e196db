import Foundation
import StewardModel

/// A row as a store read it, by column name: what the mappers written once for both stores
/// read (`RemoteTaskRecord(columns:)`, …), so the two stores cannot read a row differently.
public protocol ColumnReader {
    func text(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64?
    func blob(_ column: String) throws -> Data?
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
