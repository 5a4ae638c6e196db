import Foundation

/// Who acted: an admin through a console session or an API token, the `steward` CLI on the
/// server, or nobody known (a failed sign-in with an unknown user name).
public enum AuditActorType: String, WireEnum {
    case admin, apiToken, cli, anonymous
    /// Steward's own scheduled jobs (retention).
    case system
    /// A device's agent, reporting the outcome of a remote task.
    case device
    /// The organisation's directory, provisioning over SCIM with a directory token.
    case directory
}

/// The kind of change, in the vendor's audit vocabulary; sign-in and sign-out are `manage`.
public enum AuditOperation: String, WireEnum {
    case create, update, delete, assign, unassign, action, manage
}

public enum AuditResult: String, WireEnum {
    case success, failure
}

/// One changed property: values are personal fields of the entry (blanked by an erasure);
/// secrets never appear, only that they changed.
public struct ModifiedProperty: Codable, Sendable, Equatable {
    public var name: String
    public var oldValue: String?
    public var newValue: String?

    public init(name: String, oldValue: String?, newValue: String?) {
        self.name = name
        self.oldValue = oldValue
        self.newValue = newValue
    }
}

/// The personal fields of an audit entry. The hash chain commits to a keyed digest of them, so an
/// erasure can blank them and the chain still verifies.
public struct AuditPersonalFields: Codable, Sendable, Equatable {
    public var actorName: String?
    public var targetName: String?
    public var clientAddress: String?
    public var changes: [ModifiedProperty]

    public init(actorName: String? = nil, targetName: String? = nil, clientAddress: String? = nil, changes: [ModifiedProperty] = []) {
        self.actorName = actorName
        self.targetName = targetName
        self.clientAddress = clientAddress
        self.changes = changes
    }
}

/// An entry of the tenant's audit log as the API shows it (`GET /api/v1/audit-entries`).
public struct AuditEntryView: Codable, Sendable, Equatable {
    public var id: AuditEntryID
    /// Position in the tenant's hash chain, from 1.
    public var sequence: Int64
    public var at: Date
    public var actorType: AuditActorType
    public var actorId: String?
    public var actorName: String?
    /// What was acted on, in the vendor's terms: `Device`, `User`, `Group`, `Role`, …
    public var activity: String
    public var operation: AuditOperation
    public var targetType: String
    public var targetId: String?
    public var targetName: String?
    public var modifiedProperties: [ModifiedProperty]
    public var result: AuditResult
    public var requestId: String?
    public var clientAddress: String?
    /// True once an erasure blanked the personal fields.
    public var personalFieldsErased: Bool

    public init(
        id: AuditEntryID, sequence: Int64, at: Date, actorType: AuditActorType, actorId: String?, actorName: String?,
        activity: String, operation: AuditOperation, targetType: String, targetId: String?, targetName: String?,
        modifiedProperties: [ModifiedProperty], result: AuditResult, requestId: String?, clientAddress: String?,
        personalFieldsErased: Bool
    ) {
        self.id = id
        self.sequence = sequence
        self.at = at
        self.actorType = actorType
        self.actorId = actorId
        self.actorName = actorName
        self.activity = activity
        self.operation = operation
        self.targetType = targetType
        self.targetId = targetId
        self.targetName = targetName
        self.modifiedProperties = modifiedProperties
        self.result = result
        self.requestId = requestId
        self.clientAddress = clientAddress
        self.personalFieldsErased = personalFieldsErased
    }
}

/// What `steward audit verify` found for one tenant.
public struct AuditVerification: Codable, Sendable, Equatable {
    public var tenantId: TenantID
    public var entries: Int
    /// The first entry that was altered, removed or re-ordered; nil when the chain holds.
    public var firstBroken: Broken?

    public struct Broken: Codable, Sendable, Equatable {
        public var sequence: Int64
        public var entryId: String?
        public var reason: String

        public init(sequence: Int64, entryId: String?, reason: String) {
            self.sequence = sequence
            self.entryId = entryId
            self.reason = reason
        }
    }

    public init(tenantId: TenantID, entries: Int, firstBroken: Broken?) {
        self.tenantId = tenantId
        self.entries = entries
        self.firstBroken = firstBroken
    }
}
