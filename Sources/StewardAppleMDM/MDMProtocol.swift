import Foundation
import StewardModel

/// Apple's MDM protocol: the check-in messages (`PUT /mdm/checkin`,
/// `application/x-apple-aspen-mdm-checkin`) and the command channel's reports
/// (`PUT /mdm/connect`, `application/x-apple-aspen-mdm`), read strictly: every key Steward uses
/// must have its documented type; keys it does not know are ignored.

/// Who a message is from: a device (UDID), a User Enrollment (EnrollmentID, no UDID), and on
/// macOS the user channel of either (UserID / EnrollmentUserID).
public struct MDMEnrollmentIdentity: Sendable, Equatable {
    public var udid: String?
    public var enrollmentID: String?
    /// The user channel (macOS, or a User Enrollment's managed Apple ID): its user.
    public var userID: String?

    /// A User Enrollment (personal device): Apple gives it an EnrollmentID and no hardware identifier.
    public var isUserEnrollment: Bool { enrollmentID != nil }
    /// What names the enrollment in the protocol: the EnrollmentID of a User Enrollment, else the UDID.
    public var enrollmentKey: String { enrollmentID ?? udid ?? "" }

    init(_ message: PropertyList) throws(PropertyListError) {
        let fields = try Fields(message)
        enrollmentID = try fields.string("EnrollmentID")
        // A User Enrollment carries no UDID; one that arrives anyway is not kept.
        udid = enrollmentID == nil ? try fields.string("UDID") : nil
        let enrollmentUser = try fields.string("EnrollmentUserID")
        if let enrollmentUser { userID = enrollmentUser } else { userID = try fields.string("UserID") }
        guard udid != nil || enrollmentID != nil else { throw .missingKey("UDID") }
        for value in [udid, enrollmentID, userID] {
            guard let value else { continue }
            guard (1...128).contains(value.utf8.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
            else { throw .malformed("an enrollment identifier of unexpected form") }
        }
    }
}

public enum MDMCheckIn: Sendable, Equatable {
    case authenticate(Authenticate)
    case tokenUpdate(TokenUpdate)
    case checkOut(MDMEnrollmentIdentity)
    case userAuthenticate(MDMEnrollmentIdentity)
    /// A message type Steward does not take (GetBootstrapToken, DeclarativeManagement, …).
    case unsupported(String, MDMEnrollmentIdentity)

    public struct Authenticate: Sendable, Equatable {
        public var identity: MDMEnrollmentIdentity
        public var topic: String
        public var deviceName: String?
        public var model: String?
        public var modelName: String?
        public var productName: String?
        public var osVersion: String?
        public var buildVersion: String?
        /// Hardware identifiers: only from a device enrollment (a User Enrollment's are never read).
        public var serialNumber: String?
        public var imei: String?
        public var meid: String?
    }

    public struct TokenUpdate: Sendable, Equatable {
        public var identity: MDMEnrollmentIdentity
        public var topic: String
        public var token: Data
        public var pushMagic: String
        public var unlockToken: Data?
    }

    public var identity: MDMEnrollmentIdentity {
        switch self {
        case .authenticate(let message): message.identity
        case .tokenUpdate(let message): message.identity
        case .checkOut(let identity), .userAuthenticate(let identity), .unsupported(_, let identity): identity
        }
    }

    public static func parse(_ bytes: [UInt8]) throws(PropertyListError) -> MDMCheckIn {
        let message = try PropertyListCoding.decode(bytes, limits: .init(maxBytes: 256 * 1024, maxDepth: 8, maxObjects: 2_000))
        let fields = try Fields(message)
        guard let type = try fields.string("MessageType") else { throw .missingKey("MessageType") }
        let identity = try MDMEnrollmentIdentity(message)
        switch type {
        case "Authenticate":
            let byod = identity.isUserEnrollment
            return .authenticate(Authenticate(
                identity: identity, topic: try fields.required("Topic"), deviceName: try fields.string("DeviceName"),
                model: try fields.string("Model"), modelName: try fields.string("ModelName"), productName: try fields.string("ProductName"),
                osVersion: try fields.string("OSVersion"), buildVersion: try fields.string("BuildVersion"),
                serialNumber: byod ? nil : try fields.string("SerialNumber"), imei: byod ? nil : try fields.string("IMEI"),
                meid: byod ? nil : try fields.string("MEID")))
        case "TokenUpdate":
            guard let token = try fields.data("Token"), (1...256).contains(token.count) else { throw .missingKey("Token") }
            let magic: String = try fields.required("PushMagic")
            guard magic.utf8.count <= 256 else { throw .malformed("PushMagic too long") }
            return .tokenUpdate(TokenUpdate(
                identity: identity, topic: try fields.required("Topic"), token: token, pushMagic: magic,
                unlockToken: try fields.data("UnlockToken")))
        case "CheckOut": return .checkOut(identity)
        case "UserAuthenticate": return .userAuthenticate(identity)
        default:
            guard type.utf8.count <= 64 else { throw .malformed("MessageType too long") }
            return .unsupported(type, identity)
        }
    }
}

/// A report on the command channel: Idle, or a command's result.
public struct MDMReport: Sendable {
    public enum Status: String, Sendable {
        case idle = "Idle"
        case acknowledged = "Acknowledged"
        case error = "Error"
        case commandFormatError = "CommandFormatError"
        case notNow = "NotNow"
    }

    public struct ErrorItem: Sendable, Equatable, Codable {
        public var code: Int64?
        public var domain: String?
        public var description: String?
    }

    public var identity: MDMEnrollmentIdentity
    public var status: Status
    public var commandUUID: String?
    public var errorChain: [ErrorItem]
    /// The whole message, for the command's own result keys.
    public var message: PropertyList

    /// Command results may be large (a Mac's installed applications): 4 MiB, as any body.
    public static func parse(_ bytes: [UInt8]) throws(PropertyListError) -> MDMReport {
        let message = try PropertyListCoding.decode(bytes)
        let fields = try Fields(message)
        let raw: String = try fields.required("Status")
        guard let status = Status(rawValue: raw) else { throw .malformed("unknown Status") }
        let uuid = try fields.string("CommandUUID")
        if status != .idle {
            guard let uuid, (1...64).contains(uuid.utf8.count) else { throw .missingKey("CommandUUID") }
        }
        var chain: [ErrorItem] = []
        if let items = message["ErrorChain"] {
            guard let items = items.array else { throw .wrongType(key: "ErrorChain", expected: "array") }
            for item in items.prefix(16) {
                let item = try Fields(item)
                chain.append(ErrorItem(
                    code: try item.integer("ErrorCode"), domain: try item.string("ErrorDomain").map { String($0.prefix(128)) },
                    description: try item.string("USEnglishDescription").map { String($0.prefix(256)) }))
            }
        }
        return MDMReport(
            identity: try MDMEnrollmentIdentity(message), status: status, commandUUID: uuid, errorChain: chain, message: message)
    }
}

/// A dictionary's keys read with their documented types.
struct Fields {
    let values: [String: PropertyList]

    init(_ value: PropertyList) throws(PropertyListError) {
        guard let values = value.dictionary else { throw .malformed("the message is a \(value.typeName), not a dict") }
        self.values = values
    }

    func string(_ key: String) throws(PropertyListError) -> String? {
        guard let value = values[key] else { return nil }
        guard let text = value.string else { throw .wrongType(key: key, expected: "string") }
        guard text.utf8.count <= 4_096 else { throw .malformed("\(key) too long") }
        return text.isEmpty ? nil : text
    }

    func required(_ key: String) throws(PropertyListError) -> String {
        guard let value = try string(key) else { throw .missingKey(key) }
        return value
    }

    func data(_ key: String) throws(PropertyListError) -> Data? {
        guard let value = values[key] else { return nil }
        guard let bytes = value.data else { throw .wrongType(key: key, expected: "data") }
        return bytes
    }

    func integer(_ key: String) throws(PropertyListError) -> Int64? {
        guard let value = values[key] else { return nil }
        guard case .integer(let number) = value else { throw .wrongType(key: key, expected: "integer") }
        return number
    }

    func number(_ key: String) throws(PropertyListError) -> Double? {
        guard let value = values[key] else { return nil }
        guard let number = value.number else { throw .wrongType(key: key, expected: "real") }
        return number
    }

    func bool(_ key: String) throws(PropertyListError) -> Bool? {
        guard let value = values[key] else { return nil }
        guard let flag = value.bool else { throw .wrongType(key: key, expected: "boolean") }
        return flag
    }
}

/// A command for the device: `{CommandUUID, Command: {RequestType, …}}`.
public struct MDMCommand: Sendable, Equatable {
    public var uuid: String
    public var requestType: String
    public var parameters: [String: PropertyList]

    public init(uuid: String, requestType: String, parameters: [String: PropertyList] = [:]) {
        self.uuid = uuid
        self.requestType = requestType
        self.parameters = parameters
    }

    public var plist: Data {
        var command = parameters
        command["RequestType"] = .string(requestType)
        return PropertyListCoding.encodeXML(.dictionary(["CommandUUID": .string(uuid), "Command": .dictionary(command)]))
    }
}
