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
    /// Sign-in attempts per client address and per account (token buckets: 429 past them).
    public var signInRateByAddress: SignInLimiter.Rate
    public var signInRateByAccount: SignInLimiter.Rate
    /// Failed sign-ins are audited as one entry per account and window of this length.
    public var signInAuditWindow: Duration
    /// A task handed to a device and not acknowledged is handed out again after this long.
    public var taskRedeliverySeconds: Int
    /// A connection that sends nothing (between requests, or in the middle of one) for this
    /// long is closed: idle and slow clients hold no connection for ever.
    public var idleTimeout: Duration = .seconds(75)
    /// Requests one device may make per minute (check-ins, task polls, diagnostics), and
    /// enrollments per token: 429 with Retry-After past them; 0 turns a limit off.
    public var deviceRequestsPerMinute = 120
    public var enrollmentsPerMinutePerToken = 600
    /// When set, `GET /metrics` answers only `Authorization: Bearer <metricsToken>`.
    public var metricsToken: String?
    /// Task long-polls one tenant may have parked at once (429 `too_many_waiting` past it).
    public var maxWaitingAgentsPerTenant = 100_000
    /// The URL agents reach this server by (for `/agent/install.sh`); nil: from the request.
    public var publicURL: String?
    /// False: this process serves requests and never runs the deployment's jobs (another
    /// replica does; tests that run the jobs themselves).
    public var runsDeploymentJobs = true
    /// Apple MDM: the header a TLS-terminating proxy puts the device's client certificate in,
    /// and the proxy addresses it is believed from (anyone else's is ignored).
    public var mdmClientCertificateHeader = "X-Client-Cert"
    public var mdmTrustedProxies = ["127.0.0.1", "::1"]
    /// Apple's push service; tests point it at a local server of the same protocol, whose
    /// certificate `apnsTrustRootsPEM` trusts.
    public var apnsURL = "https://api.push.apple.com"
    public var apnsTrustRootsPEM: String?
    /// Waits before a push Apple answered 429 or 5xx is sent again (then it is left to the
    /// device's next poll: nothing queued is lost).
    public var apnsRetryDelays: [Duration] = [.seconds(1), .seconds(10), .seconds(60)]
    /// The agent's Debian package served at `/agent/steward-agent.deb`.
    public var agentPackageFile = "/usr/share/steward/steward-agent.deb"

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = Limits.defaultMaxBodyBytes,
        checkInIntervalSeconds: Int = 900, lastSeenFlushInterval: Duration = .seconds(1),
        jobInterval: Duration = .seconds(300), replicaID: String = ServerConfiguration.defaultReplicaID,
        passwordHashCost: UInt8 = 12, maxFailedSignIns: Int = 5, lockoutSeconds: Int = 900,
        failedSignInDelay: Duration = .milliseconds(250), sessionSeconds: Int = 12 * 3600,
        signInRateByAddress: SignInLimiter.Rate = .init(burst: 5, perMinute: 30),
        signInRateByAccount: SignInLimiter.Rate = .init(burst: 5, perMinute: 10),
        signInAuditWindow: Duration = .seconds(60), taskRedeliverySeconds: Int = 60
    ) {
        self.signInRateByAddress = signInRateByAddress
        self.signInRateByAccount = signInRateByAccount
        self.signInAuditWindow = signInAuditWindow
        self.taskRedeliverySeconds = taskRedeliverySeconds
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
