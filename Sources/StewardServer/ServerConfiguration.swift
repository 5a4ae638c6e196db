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
    /// bcrypt cost of password verifiers (2^cost rounds; 12 takes ~0.25 s here).
    public var passwordHashCost: UInt8
    /// Failed sign-ins in a row that lock an account, and for how long.
    public var maxFailedSignIns: Int
    public var lockoutSeconds: Int
    /// Each failed sign-in answers this much later per failure so far (capped at 2 s).
    public var failedSignInDelay: Duration
    /// How long a console session lasts.
    public var sessionSeconds: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = Limits.defaultMaxBodyBytes,
        checkInIntervalSeconds: Int = 900, lastSeenFlushInterval: Duration = .seconds(1),
        jobInterval: Duration = .seconds(300), replicaID: String = ServerConfiguration.defaultReplicaID,
        passwordHashCost: UInt8 = 12, maxFailedSignIns: Int = 5, lockoutSeconds: Int = 900,
        failedSignInDelay: Duration = .milliseconds(250), sessionSeconds: Int = 12 * 3600
    ) {
        self.passwordHashCost = passwordHashCost
        self.maxFailedSignIns = maxFailedSignIns
        self.lockoutSeconds = lockoutSeconds
        self.failedSignInDelay = failedSignInDelay
        self.sessionSeconds = sessionSeconds
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
