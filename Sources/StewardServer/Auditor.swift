import Foundation
import StewardModel
import StewardStore

/// Makes the audit events of a request: who (from the context), when (the injected clock), and
/// the chain that seals them. Controllers describe what changed.
public struct Auditor: Sendable {
    let chain: AuditChain
    let clock: Clock
    let ids: IdentifierGenerator

    public init(chain: AuditChain, clock: Clock, ids: IdentifierGenerator) {
        self.chain = chain
        self.clock = clock
        self.ids = ids
    }

    func event(
        _ context: StewardRequestContext, tenantID: TenantID? = nil, activity: String, operation: AuditOperation,
        targetType: String? = nil, targetID: String?, targetName: String? = nil, changes: [ModifiedProperty] = [],
        result: AuditResult = .success
    ) -> AuditEvent {
        AuditEvent(
            tenantID: tenantID ?? context.tenantID ?? TenantID(rawValue: ""), id: ids(), at: clock.now(),
            actorType: context.actorType,
            actorID: context.adminID?.rawValue ?? (context.actorType == .directory ? context.credentialID?.rawValue : nil),
            activity: activity, operation: operation,
            targetType: targetType ?? activity, targetID: targetID, result: result, requestID: context.requestID,
            personal: AuditPersonalFields(
                actorName: context.actorName, targetName: targetName, clientAddress: context.clientAddress, changes: changes),
            chain: chain)
    }

    /// An event of one of Steward's scheduled jobs.
    public func systemEvent(
        tenantID: TenantID, activity: String, operation: AuditOperation, targetType: String? = nil, targetID: String?,
        changes: [ModifiedProperty]
    ) -> AuditEvent {
        AuditEvent(
            tenantID: tenantID, id: ids(), at: clock.now(), actorType: .system, actorID: nil, activity: activity,
            operation: operation, targetType: targetType ?? activity, targetID: targetID, result: .success, requestID: nil,
            personal: AuditPersonalFields(actorName: "Steward retention", changes: changes), chain: chain)
    }

    /// Failed sign-ins at one account (or at unknown user names) over a window, as one entry:
    /// the actor is unknown, the admin only the target.
    func failedSignIns(
        tenantID: TenantID, adminID: AdminID?, userName: String?, clientAddress: String?, changes: [ModifiedProperty]
    ) -> AuditEvent {
        AuditEvent(
            tenantID: tenantID, id: ids(), at: clock.now(), actorType: .anonymous, actorID: nil, activity: "Session",
            operation: .manage, targetType: "Admin", targetID: adminID?.rawValue, result: .failure, requestID: nil,
            personal: AuditPersonalFields(actorName: nil, targetName: userName, clientAddress: clientAddress, changes: changes),
            chain: chain)
    }

    /// A device's agent reporting on a remote task.
    public func deviceEvent(
        tenantID: TenantID, deviceID: DeviceID, activity: String, operation: AuditOperation, targetType: String, targetID: String?,
        changes: [ModifiedProperty], result: AuditResult = .success
    ) -> AuditEvent {
        AuditEvent(
            tenantID: tenantID, id: ids(), at: clock.now(), actorType: .device, actorID: deviceID.rawValue, activity: activity,
            operation: operation, targetType: targetType, targetID: targetID, result: result, requestID: nil,
            personal: AuditPersonalFields(actorName: nil, changes: changes), chain: chain)
    }

    /// An event of the `steward` CLI on the server itself.
    public func cliEvent(
        tenantID: TenantID, activity: String, operation: AuditOperation, targetID: String?, targetName: String?,
        changes: [ModifiedProperty]
    ) -> AuditEvent {
        AuditEvent(
            tenantID: tenantID, id: ids(), at: clock.now(), actorType: .cli, actorID: nil, activity: activity,
            operation: operation, targetType: activity, targetID: targetID, result: .success, requestID: nil,
            personal: AuditPersonalFields(actorName: "steward CLI", targetName: targetName, changes: changes), chain: chain)
    }
}

/// The modified properties of a change, old and new value of each one that differs. Secrets
/// are named, never shown.
struct Changes {
    private(set) var properties: [ModifiedProperty] = []

    mutating func compare(_ name: String, _ old: String?, _ new: String?) {
        if old != new { properties.append(ModifiedProperty(name: name, oldValue: old, newValue: new)) }
    }

    mutating func compare<T: CustomStringConvertible & Equatable>(_ name: String, _ old: T?, _ new: T?) {
        if old != new { properties.append(ModifiedProperty(name: name, oldValue: old?.description, newValue: new?.description)) }
    }

    /// A secret that changed: only its name is recorded.
    mutating func secret(_ name: String) {
        properties.append(ModifiedProperty(name: name, oldValue: nil, newValue: "(changed)"))
    }

    /// Every value of a created resource.
    static func created(_ values: [(String, String?)]) -> [ModifiedProperty] {
        values.compactMap { name, value in value.map { ModifiedProperty(name: name, oldValue: nil, newValue: $0) } }
    }

    /// Every value of a deleted resource.
    static func deleted(_ values: [(String, String?)]) -> [ModifiedProperty] {
        values.compactMap { name, value in value.map { ModifiedProperty(name: name, oldValue: $0, newValue: nil) } }
    }
}
