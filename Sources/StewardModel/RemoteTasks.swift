import Foundation

/// What an admin can ask a device to do.
public enum RemoteTaskKind: String, WireEnum {
    /// Check in now.
    case sync
    case restart, shutdown, lock
    /// Upload a bounded bundle of the agent's own state and diagnostics.
    case collectDiagnostics
    /// Remove what Steward provisioned and unenroll: the agent deletes its state.
    case retire
    case wipe

    /// Needs its own permission and a confirmation.
    public var permission: Permission {
        switch self {
        case .wipe: .devicesWipe
        case .retire: .devicesRetire
        default: .devicesRemoteTask
        }
    }

    public var needsConfirmation: Bool { self == .wipe || self == .retire }
}

/// A task's life: pending → sent → acknowledged → succeeded | failed | notNow | notSupported;
/// pending or sent tasks can be cancelled or expire.
public enum RemoteTaskState: String, WireEnum {
    case pending, sent, acknowledged, succeeded, failed, notNow, notSupported, expired, cancelled

    public var isFinal: Bool { ![.pending, .sent, .acknowledged].contains(self) }

    /// States an agent may report, and from which states.
    public static func agentMayReport(_ state: RemoteTaskState, from current: RemoteTaskState) -> Bool {
        switch state {
        case .acknowledged: current == .sent || current == .pending
        case .succeeded, .failed, .notNow, .notSupported: current == .sent || current == .pending || current == .acknowledged
        default: false
        }
    }
}

/// `POST /api/v1/devices/{id}/remote-tasks` and `POST /api/v1/groups/{id}/remote-tasks`.
public struct RemoteTaskRequest: Codable, Sendable, Equatable {
    public var kind: RemoteTaskKind
    /// For `wipe` and `retire`: the kind again (`"wipe"`), so neither is sent by a slip.
    public var confirm: String?
    /// Minutes the task waits for its device (default 1,440; 1 to 43,200).
    public var expiresInMinutes: Int?

    public init(kind: RemoteTaskKind, confirm: String? = nil, expiresInMinutes: Int? = nil) {
        self.kind = kind
        self.confirm = confirm
        self.expiresInMinutes = expiresInMinutes
    }

    public func validate() throws(WireError) {
        if kind.needsConfirmation, confirm != kind.rawValue {
            throw .invalidValue(field: "confirm", reason: "a \(kind.rawValue) needs \"confirm\": \"\(kind.rawValue)\"")
        }
        if let minutes = expiresInMinutes, !(1...43_200).contains(minutes) {
            throw .invalidValue(field: "expiresInMinutes", reason: "from 1 to 43,200")
        }
    }
}

/// The agent's outcome of a task.
public struct RemoteTaskResult: Codable, Sendable, Equatable {
    public var code: String?
    public var message: String?

    public init(code: String? = nil, message: String? = nil) {
        self.code = code
        self.message = message
    }
}

public struct RemoteTaskView: Codable, Sendable, Equatable {
    public var id: RemoteTaskID
    public var deviceId: DeviceID
    public var kind: RemoteTaskKind
    public var state: RemoteTaskState
    public var createdAt: Date
    /// The admin who issued it.
    public var createdBy: String?
    public var sentAt: Date?
    public var acknowledgedAt: Date?
    public var completedAt: Date?
    public var expiresAt: Date
    public var result: RemoteTaskResult?
    /// A `collectDiagnostics` task's bundle (JSON text), on the single-task read only.
    public var bundle: String?

    public init(
        id: RemoteTaskID, deviceId: DeviceID, kind: RemoteTaskKind, state: RemoteTaskState, createdAt: Date, createdBy: String?,
        sentAt: Date?, acknowledgedAt: Date?, completedAt: Date?, expiresAt: Date, result: RemoteTaskResult?, bundle: String?
    ) {
        self.id = id
        self.deviceId = deviceId
        self.kind = kind
        self.state = state
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.sentAt = sentAt
        self.acknowledgedAt = acknowledgedAt
        self.completedAt = completedAt
        self.expiresAt = expiresAt
        self.result = result
        self.bundle = bundle
    }
}

/// `POST /api/v1/groups/{id}/remote-tasks`: one task per device of the group in the admin's reach.
public struct GroupRemoteTasksView: Codable, Sendable, Equatable {
    public var tasks: [RemoteTaskView]

    public init(tasks: [RemoteTaskView]) { self.tasks = tasks }
}

/// A task as the agent receives it (`GET /api/v1/agent/tasks`, or in a check-in answer).
public struct RemoteTaskInstruction: Codable, Sendable, Equatable, Hashable {
    public var id: RemoteTaskID
    public var kind: RemoteTaskKind

    public init(id: RemoteTaskID, kind: RemoteTaskKind) {
        self.id = id
        self.kind = kind
    }
}

public struct RemoteTaskInstructions: Codable, Sendable, Equatable {
    public var tasks: [RemoteTaskInstruction]

    public init(tasks: [RemoteTaskInstruction]) { self.tasks = tasks }
}

/// `POST /api/v1/agent/tasks/{taskId}`: the agent's report of a task.
public struct RemoteTaskReport: Codable, Sendable, Equatable {
    public var state: RemoteTaskState
    public var result: RemoteTaskResult?
    /// For `collectDiagnostics`: the bundle, JSON text of at most 256 KiB.
    public var bundle: String?

    public init(state: RemoteTaskState, result: RemoteTaskResult? = nil, bundle: String? = nil) {
        self.state = state
        self.result = result
        self.bundle = bundle
    }

    public static let maxBundleBytes = 256 * 1024

    public func validate() throws(WireError) {
        guard [.acknowledged, .succeeded, .failed, .notNow, .notSupported].contains(state) else {
            throw .invalidValue(field: "state", reason: "an agent reports acknowledged, succeeded, failed, notNow or notSupported")
        }
        if let code = result?.code, !DiagnosticEvent.isToken(code) {
            throw .invalidValue(field: "result.code", reason: "1–64 letters, digits or . _ - : /")
        }
        try Validator().string(result?.message, "result.message")
        try Validator().string(bundle, "bundle", limit: Self.maxBundleBytes)
    }
}
