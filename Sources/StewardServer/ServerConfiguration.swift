import Foundation
import StewardModel

/// Settings of a running server, after layering flags > environment > config file > defaults
/// (see docs/configuration.md; the `steward` executable does the layering).
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body read, in bytes; larger ones get 413.
    public var maxBodyBytes: Int
    /// How often agents are told to check in.
    public var checkInIntervalSeconds: Int
    /// How long heartbeat times are buffered before one batched write.
    public var lastSeenFlushInterval: Duration
    /// How often the once-per-deployment jobs run (and how soon a replica takes them over).
    public var jobInterval: Duration
    /// Names this replica in the job log (`job_runs.holder`).
    public var replicaID: String

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = Limits.defaultMaxBodyBytes,
        checkInIntervalSeconds: Int = 900, lastSeenFlushInterval: Duration = .seconds(1),
        jobInterval: Duration = .seconds(300), replicaID: String = ServerConfiguration.defaultReplicaID
    ) {
        self.jobInterval = jobInterval
        self.replicaID = replicaID
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.checkInIntervalSeconds = checkInIntervalSeconds
        self.lastSeenFlushInterval = lastSeenFlushInterval
    }
}

extension ServerConfiguration {
    /// `hostname:pid`: unique among the replicas of a deployment.
    public static var defaultReplicaID: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
