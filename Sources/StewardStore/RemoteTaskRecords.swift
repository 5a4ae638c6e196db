import Foundation
import StewardModel

/// `remote_tasks`: one task for one device, with its life's timestamps and the agent's outcome.
public struct RemoteTaskRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: RemoteTaskID
    public var deviceID: DeviceID
    public var kind: RemoteTaskKind
    public var state: RemoteTaskState
    public var createdAt: Date
    public var createdBy: String?
    public var sentAt: Date?
    public var acknowledgedAt: Date?
    public var completedAt: Date?
    public var expiresAt: Date
    public var result: RemoteTaskResult?
    public var bundle: String?

    public init(
        tenantID: TenantID, id: RemoteTaskID, deviceID: DeviceID, kind: RemoteTaskKind, state: RemoteTaskState = .pending,
        createdAt: Date, createdBy: String?, sentAt: Date? = nil, acknowledgedAt: Date? = nil, completedAt: Date? = nil,
        expiresAt: Date, result: RemoteTaskResult? = nil, bundle: String? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.deviceID = deviceID
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

    public func view(withBundle: Bool = false) -> RemoteTaskView {
        RemoteTaskView(
            id: id, deviceId: deviceID, kind: kind, state: state, createdAt: createdAt, createdBy: createdBy, sentAt: sentAt,
            acknowledgedAt: acknowledgedAt, completedAt: completedAt, expiresAt: expiresAt, result: result,
            bundle: withBundle ? bundle : nil)
    }

    public var instruction: RemoteTaskInstruction { RemoteTaskInstruction(id: id, kind: kind) }

    /// The record after moving to `state` at `at`, with the agent's outcome.
    public func moved(to state: RemoteTaskState, at: Date, result: RemoteTaskResult? = nil, bundle: String? = nil) -> RemoteTaskRecord {
        var next = self
        next.state = state
        switch state {
        case .sent: next.sentAt = at
        case .acknowledged: next.acknowledgedAt = at
        case .pending: break
        default: next.completedAt = at
        }
        next.result = result ?? self.result
        next.bundle = bundle ?? self.bundle
        return next
    }
}
