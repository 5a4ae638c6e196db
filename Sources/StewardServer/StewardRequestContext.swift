import Foundation
import Hummingbird
import NIOCore
import StewardModel

/// Per-request facts: the request ID, the client's address and, once authenticated, the admin,
/// the credential used and what it may do.
public struct StewardRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Hummingbird's own request ID (a random per-process prefix and a counter), the one its
    /// log lines carry: no second ID is made per request.
    public let requestID: String
    /// The peer's address, formatted only when asked for (most requests never are).
    private let remoteAddress: SocketAddress?
    /// The peer's IP address (personal data: only ever stored in audit entries' personal fields).
    public var clientAddress: String? { remoteAddress?.ipAddress }
    /// Whether the client's connection is still open: work for a client that left is dropped.
    public let isClientConnected: @Sendable () -> Bool
    /// Set by admin authentication; every admin query is filtered by it.
    public var tenantID: TenantID?
    public var adminID: AdminID?
    public var credentialID: CredentialID?
    /// `.admin` for a console session, `.apiToken` for an API token.
    public var actorType: AuditActorType = .anonymous
    public var actorName: String?
    public var grants = Grants()
    /// Set when the console calls an API handler in-process: the handler's typed answer lands
    /// here instead of being encoded as JSON (and decoded again).
    var inProcessAnswer: InProcessAnswer?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = source.logger[metadataKey: "hb.request.id"]?.description ?? RequestID().description
        remoteAddress = source.channel.remoteAddress
        let channel = source.channel
        // A channel that was never active (the router test harness) has no client to lose.
        let wasActive = channel.isActive
        isClientConnected = { !wasActive || channel.isActive }
    }

    public var responseEncoder: JSONEncoder { WireCoding.sharedEncoder }
    public var requestDecoder: JSONDecoder { WireCoding.decoder() }
}

/// What an admin may do: each permission with its reach over devices (all, or the devices of
/// some groups), the union of the admin's role assignments.
public struct Grants: Sendable, Equatable {
    public enum Reach: Sendable, Equatable {
        case allDevices
        case groups(Set<GroupID>)
    }

    public private(set) var permissions: [Permission: Reach] = [:]

    public init() {}

    public init(assignments: [(permissions: Set<Permission>, scope: [GroupID]?)]) {
        for assignment in assignments {
            for permission in assignment.permissions {
                let reach: Reach = assignment.scope.map { .groups(Set($0)) } ?? .allDevices
                switch (permissions[permission], reach) {
                case (nil, _), (_, .allDevices): permissions[permission] = reach
                case (.allDevices?, _): break
                case (.groups(let held)?, .groups(let more)): permissions[permission] = .groups(held.union(more))
                }
            }
        }
    }

    public func allows(_ permission: Permission) -> Bool { permissions[permission] != nil }

    /// The device groups a device-scoped permission is limited to; nil for all devices, and no
    /// groups (no device) when the permission is not held at all.
    public func deviceGroups(for permission: Permission) -> [GroupID]? {
        switch permissions[permission] {
        case .allDevices?: nil
        case .groups(let groups)?: groups.sorted { $0.rawValue < $1.rawValue }
        case nil: []
        }
    }

    public var list: [PermissionGrant] {
        permissions.keys.sorted().map { PermissionGrant(permission: $0, scopeGroupIds: deviceGroups(for: $0)) }
    }
}
