import Crypto
import Foundation
import StewardModel

/// An audit entry as stored. The non-personal fields are in the clear; the personal ones are a
/// JSON document (nil once erased) that the chain commits to only through `personalDigest`.
public struct AuditRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var sequence: Int64
    public var id: AuditEntryID
    public var at: Date
    public var actorType: AuditActorType
    public var actorID: String?
    public var activity: String
    public var operation: AuditOperation
    public var targetType: String
    public var targetID: String?
    /// Names of the modified properties (their values are personal fields).
    public var modifiedProperties: [String]
    public var result: AuditResult
    public var requestID: String?
    public var personal: Data?
    public var personalDigest: Data
    public var chainHash: Data

    public init(
        tenantID: TenantID, sequence: Int64, id: AuditEntryID, at: Date, actorType: AuditActorType, actorID: String?,
        activity: String, operation: AuditOperation, targetType: String, targetID: String?, modifiedProperties: [String],
        result: AuditResult, requestID: String?, personal: Data?, personalDigest: Data, chainHash: Data
    ) {
        self.tenantID = tenantID
        self.sequence = sequence
        self.id = id
        self.at = at
        self.actorType = actorType
        self.actorID = actorID
        self.activity = activity
        self.operation = operation
        self.targetType = targetType
        self.targetID = targetID
        self.modifiedProperties = modifiedProperties
        self.result = result
        self.requestID = requestID
        self.personal = personal
        self.personalDigest = personalDigest
        self.chainHash = chainHash
    }

    public var view: AuditEntryView {
        let fields = personal.flatMap { try? JSONDecoder().decode(AuditPersonalFields.self, from: $0) }
        let changes = fields?.changes ?? modifiedProperties.map { ModifiedProperty(name: $0, oldValue: nil, newValue: nil) }
        return AuditEntryView(
            id: id, sequence: sequence, at: at, actorType: actorType, actorId: actorID, actorName: fields?.actorName,
            activity: activity, operation: operation, targetType: targetType, targetId: targetID,
            targetName: fields?.targetName, modifiedProperties: changes, result: result, requestId: requestID,
            clientAddress: fields?.clientAddress, personalFieldsErased: personal == nil)
    }
}

/// Where a tenant's chain starts after its oldest entries were purged by retention.
public struct AuditAnchor: Sendable, Equatable {
    public var tenantID: TenantID
    /// The last purged entry's sequence and chain hash.
    public var sequence: Int64
    public var chainHash: Data
    public var at: Date
    public var seal: Data

    public init(tenantID: TenantID, sequence: Int64, chainHash: Data, at: Date, seal: Data) {
        self.tenantID = tenantID
        self.sequence = sequence
        self.chainHash = chainHash
        self.at = at
        self.seal = seal
    }
}

/// One audited change, as the server describes it; the store seals it into the tenant's chain
/// inside the transaction of the change itself.
public struct AuditEvent: Sendable {
    public var tenantID: TenantID
    public var id: AuditEntryID
    public var at: Date
    public var actorType: AuditActorType
    public var actorID: String?
    public var activity: String
    public var operation: AuditOperation
    public var targetType: String
    public var targetID: String?
    public var result: AuditResult
    public var requestID: String?
    public var personal: AuditPersonalFields
    /// Seals the entry (holds the deployment's audit key).
    public var chain: AuditChain

    public init(
        tenantID: TenantID, id: AuditEntryID, at: Date, actorType: AuditActorType, actorID: String?, activity: String,
        operation: AuditOperation, targetType: String, targetID: String?, result: AuditResult, requestID: String?,
        personal: AuditPersonalFields, chain: AuditChain
    ) {
        self.tenantID = tenantID
        self.id = id
        self.at = at
        self.actorType = actorType
        self.actorID = actorID
        self.activity = activity
        self.operation = operation
        self.targetType = targetType
        self.targetID = targetID
        self.result = result
        self.requestID = requestID
        self.personal = personal
        self.chain = chain
    }

    /// The stored entry that follows `previous` (nil for a tenant's first entry).
    public func sealed(after previous: (sequence: Int64, hash: Data)?) -> AuditRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let personalData = (try? encoder.encode(personal)) ?? Data("{}".utf8)
        var record = AuditRecord(
            tenantID: tenantID, sequence: (previous?.sequence ?? 0) + 1, id: id, at: at, actorType: actorType,
            actorID: actorID, activity: activity, operation: operation, targetType: targetType, targetID: targetID,
            modifiedProperties: personal.changes.map(\.name), result: result, requestID: requestID, personal: personalData,
            personalDigest: chain.personalDigest(tenantID: tenantID, personal: personalData), chainHash: Data())
        record.chainHash = chain.link(record, previous: previous?.hash ?? AuditChain.genesis)
        return record
    }
}

/// The tenant's audit entries as a keyed hash chain. Each entry's hash is an HMAC over the
/// previous hash, its non-personal fields and a keyed digest of its personal fields. The keys
/// are derived from the deployment's master key, which never enters the database: someone who
/// can write the database can neither alter an entry nor rebuild the chain unnoticed.
public struct AuditChain: Sendable {
    public static let genesis = Data(repeating: 0, count: 32)
    private let masterKey: SymmetricKey

    public init(masterKey: SymmetricKey) { self.masterKey = masterKey }

    private func key(_ purpose: String, _ tenantID: TenantID) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey, salt: Data("steward-audit-v1".utf8), info: Data("\(purpose):\(tenantID)".utf8),
            outputByteCount: 32)
    }

    public func personalDigest(tenantID: TenantID, personal: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: personal, using: key("personal", tenantID)))
    }

    public func link(_ record: AuditRecord, previous: Data) -> Data {
        var message = previous
        func field(_ value: String?) {
            guard let value else { return message.append(contentsOf: Array("~".utf8)) }
            message.append(contentsOf: Array("\(value.utf8.count):".utf8))
            message.append(contentsOf: Array(value.utf8))
        }
        field(String(record.sequence))
        field(record.id.rawValue)
        field(String(record.at.millisecondsSince1970))
        field(record.actorType.rawValue)
        field(record.actorID)
        field(record.activity)
        field(record.operation.rawValue)
        field(record.targetType)
        field(record.targetID)
        field(record.modifiedProperties.map { "\($0.utf8.count):\($0)" }.joined())
        field(record.result.rawValue)
        field(record.requestID)
        message.append(record.personalDigest)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key("chain", record.tenantID)))
    }

    /// Walks entries in sequence order and names the first that was altered, removed or
    /// re-ordered. Feed it every entry of one tenant, in pages, through `Walk`.
    public struct Walk: Sendable {
        let chain: AuditChain
        public let tenantID: TenantID
        private var previous = (sequence: Int64(0), hash: AuditChain.genesis)
        public private(set) var entries = 0
        public private(set) var firstBroken: AuditVerification.Broken?

        init(chain: AuditChain, tenantID: TenantID, anchor: AuditAnchor?) {
            self.chain = chain
            self.tenantID = tenantID
            guard let anchor else { return }
            if chain.anchor(tenantID: tenantID, sequence: anchor.sequence, chainHash: anchor.chainHash, at: anchor.at).seal
                == anchor.seal
            {
                previous = (anchor.sequence, anchor.chainHash)
            } else {
                firstBroken = .init(sequence: anchor.sequence, entryId: nil, reason: "its retention anchor is not sealed by this deployment's key")
            }
        }

        /// Checks the next entry; false once the chain is broken (later entries are not checked).
        public mutating func next(_ record: AuditRecord) -> Bool {
            guard firstBroken == nil else { return false }
            entries += 1
            func broken(_ reason: String) -> Bool {
                firstBroken = .init(sequence: record.sequence, entryId: record.id.rawValue, reason: reason)
                return false
            }
            if record.sequence != previous.sequence + 1 {
                return broken(
                    record.sequence > previous.sequence + 1
                        ? "entries \(previous.sequence + 1)…\(record.sequence - 1) are missing" : "out of order")
            }
            if let personal = record.personal,
                chain.personalDigest(tenantID: tenantID, personal: personal) != record.personalDigest
            {
                return broken("its personal fields were altered")
            }
            if chain.link(record, previous: previous.hash) != record.chainHash {
                return broken("altered (or an earlier entry was re-ordered)")
            }
            previous = (record.sequence, record.chainHash)
            return true
        }

        public var verification: AuditVerification {
            AuditVerification(tenantId: tenantID, entries: entries, firstBroken: firstBroken)
        }
    }

    /// A walk from the start of the chain, or from the anchor of its last purge.
    public func walk(tenantID: TenantID, anchor: AuditAnchor? = nil) -> Walk {
        Walk(chain: self, tenantID: tenantID, anchor: anchor)
    }

    /// Seals where a purged chain now starts: the last purged entry's sequence and hash. Without
    /// the key nobody can make one, so purging the oldest entries cannot be faked.
    public func anchor(tenantID: TenantID, sequence: Int64, chainHash: Data, at: Date) -> AuditAnchor {
        var message = Data("anchor:\(sequence):\(at.millisecondsSince1970):".utf8)
        message.append(chainHash)
        let seal = Data(HMAC<SHA256>.authenticationCode(for: message, using: key("anchor", tenantID)))
        return AuditAnchor(tenantID: tenantID, sequence: sequence, chainHash: chainHash, at: at, seal: seal)
    }
}
