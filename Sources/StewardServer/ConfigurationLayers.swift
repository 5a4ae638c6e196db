import Crypto
import Foundation
import StewardModel

/// Server settings from four layers, highest first: command-line flags, `STEWARD_*` environment
/// variables, a JSON config file, defaults. Every key is documented in docs/configuration.md.
public struct ConfigurationLayers: Sendable {
    /// A setting: its config-file key, its environment variable, and its default.
    public struct Key: Sendable, Hashable {
        public let file: String
        public let environment: String
        public let defaultValue: String
    }

    public static let host = Key(file: "host", environment: "STEWARD_HOST", defaultValue: "127.0.0.1")
    public static let port = Key(file: "port", environment: "STEWARD_PORT", defaultValue: "8080")
    public static let dataDir = Key(file: "dataDir", environment: "STEWARD_DATA_DIR", defaultValue: "./steward-data")
    public static let maxBodyBytes = Key(file: "maxBodyBytes", environment: "STEWARD_MAX_BODY_BYTES", defaultValue: String(Limits.defaultMaxBodyBytes))
    public static let checkInInterval = Key(file: "checkInIntervalSeconds", environment: "STEWARD_CHECK_IN_INTERVAL_SECONDS", defaultValue: "900")
    public static let logLevel = Key(file: "logLevel", environment: "STEWARD_LOG_LEVEL", defaultValue: "info")
    /// Empty: the embedded SQLite database in the data directory.
    public static let database = Key(file: "databaseURL", environment: "STEWARD_DATABASE_URL", defaultValue: "")
    public static let jobInterval = Key(file: "jobIntervalSeconds", environment: "STEWARD_JOB_INTERVAL_SECONDS", defaultValue: "300")
    public static let replicaID = Key(file: "replicaId", environment: "STEWARD_REPLICA_ID", defaultValue: "")
    /// Empty: `master.key` in the data directory.
    public static let masterKeyFile = Key(file: "masterKeyFile", environment: "STEWARD_MASTER_KEY_FILE", defaultValue: "")
    /// The master key itself, base64 (for secret stores that hand out values rather than files);
    /// when set, `masterKeyFile` is not read.
    public static let masterKey = Key(file: "masterKey", environment: "STEWARD_MASTER_KEY", defaultValue: "")
    public static let passwordHashCost = Key(file: "passwordHashCost", environment: "STEWARD_PASSWORD_HASH_COST", defaultValue: "12")
    public static let signInPerMinuteByAddress = Key(
        file: "signInPerMinuteByAddress", environment: "STEWARD_SIGN_IN_PER_MINUTE_BY_ADDRESS", defaultValue: "30")
    public static let signInPerMinuteByAccount = Key(
        file: "signInPerMinuteByAccount", environment: "STEWARD_SIGN_IN_PER_MINUTE_BY_ACCOUNT", defaultValue: "10")
    public static let taskRedeliverySeconds = Key(
        file: "taskRedeliverySeconds", environment: "STEWARD_TASK_REDELIVERY_SECONDS", defaultValue: "60")
    /// PEM files to serve HTTPS with; both empty: plain HTTP.
    public static let tlsCertificate = Key(file: "tlsCertificateFile", environment: "STEWARD_TLS_CERT", defaultValue: "")
    public static let tlsKey = Key(file: "tlsKeyFile", environment: "STEWARD_TLS_KEY", defaultValue: "")
    /// How agents reach this server, e.g. https://steward.example.org:8443 (empty: the host
    /// the request for /agent/install.sh named).
    public static let publicURL = Key(file: "publicURL", environment: "STEWARD_PUBLIC_URL", defaultValue: "")
    public static let agentPackageFile = Key(
        file: "agentPackageFile", environment: "STEWARD_AGENT_PACKAGE_FILE", defaultValue: "/usr/share/steward/steward-agent.deb")
    public static let deviceRequestsPerMinute = Key(
        file: "deviceRequestsPerMinute", environment: "STEWARD_DEVICE_REQUESTS_PER_MINUTE", defaultValue: "120")
    public static let enrollmentsPerMinutePerToken = Key(
        file: "enrollmentsPerMinutePerToken", environment: "STEWARD_ENROLLMENTS_PER_MINUTE_PER_TOKEN", defaultValue: "600")
    public static let maxWaitingAgentsPerTenant = Key(
        file: "maxWaitingAgentsPerTenant", environment: "STEWARD_MAX_WAITING_AGENTS_PER_TENANT", defaultValue: "100000")
    /// Empty: `/metrics` is open to whoever reaches the port.
    public static let metricsToken = Key(file: "metricsToken", environment: "STEWARD_METRICS_TOKEN", defaultValue: "")
    /// How long a request waits for the database — a pooled PostgreSQL connection, or SQLite's
    /// lock while another process holds it — before it is answered 503 (`database_unavailable`
    /// or `database_busy`) instead of hanging.
    public static let databaseWaitSeconds = Key(
        file: "databaseWaitSeconds", environment: "STEWARD_DATABASE_WAIT_SECONDS", defaultValue: "10")
    /// Apple MDM behind a TLS-terminating proxy: the header carrying the device's client
    /// certificate (URL-encoded PEM, as nginx's `$ssl_client_escaped_cert`), and the proxy
    /// addresses it is trusted from (comma-separated; loopback by default).
    public static let mdmClientCertificateHeader = Key(
        file: "mdmClientCertificateHeader", environment: "STEWARD_MDM_CLIENT_CERT_HEADER", defaultValue: "X-Client-Cert")
    public static let mdmTrustedProxies = Key(
        file: "mdmTrustedProxies", environment: "STEWARD_MDM_TRUSTED_PROXIES", defaultValue: "127.0.0.1,::1")
    /// Apple's push service (a local server of the same protocol in tests).
    public static let apnsURL = Key(file: "apnsURL", environment: "STEWARD_APNS_URL", defaultValue: "https://api.push.apple.com")
    public static let all = [
        host, port, dataDir, database, maxBodyBytes, checkInInterval, jobInterval, replicaID, logLevel, masterKeyFile,
        masterKey, passwordHashCost, signInPerMinuteByAddress, signInPerMinuteByAccount, taskRedeliverySeconds, tlsCertificate,
        tlsKey, publicURL, agentPackageFile, deviceRequestsPerMinute, enrollmentsPerMinutePerToken,
        maxWaitingAgentsPerTenant, metricsToken, databaseWaitSeconds, mdmClientCertificateHeader, mdmTrustedProxies, apnsURL,
    ]

    let flags: [Key: String]
    let environment: [String: String]
    let file: [String: String]

    /// `configFile` is the path given by `--config` or `STEWARD_CONFIG`; nil for none.
    public init(flags: [Key: String?], environment: [String: String], configFile: String?) throws {
        self.flags = flags.compactMapValues { $0 }
        self.environment = environment
        guard let path = configFile ?? environment["STEWARD_CONFIG"] else {
            file = [:]
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read config file \(path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("config file \(path) is not a JSON object")
        }
        let known = Set(Self.all.map(\.file))
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw ConfigurationError("config file \(path) has unknown key '\(unknown)'")
        }
        file = object.mapValues { "\($0)" }
    }

    public func value(_ key: Key) -> String {
        flags[key] ?? environment[key.environment] ?? file[key.file] ?? key.defaultValue
    }

    public func integer(_ key: Key, in range: ClosedRange<Int>) throws -> Int {
        let raw = value(key)
        guard let number = Int(raw), range.contains(number) else {
            throw ConfigurationError("\(key.file) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(raw)'")
        }
        return number
    }

    /// The server configuration these layers describe.
    public func server() throws -> ServerConfiguration {
        var configuration = ServerConfiguration(
            host: value(Self.host), port: try integer(Self.port, in: 0...65535),
            maxBodyBytes: try integer(Self.maxBodyBytes, in: 1024...(256 * 1024 * 1024)),
            checkInIntervalSeconds: try integer(Self.checkInInterval, in: 10...86400),
            jobInterval: .seconds(try integer(Self.jobInterval, in: 1...86400)),
            replicaID: value(Self.replicaID).isEmpty ? ServerConfiguration.defaultReplicaID : value(Self.replicaID),
            passwordHashCost: UInt8(try integer(Self.passwordHashCost, in: 4...31)),
            signInRateByAddress: rate(try integer(Self.signInPerMinuteByAddress, in: 1...100_000)),
            signInRateByAccount: rate(try integer(Self.signInPerMinuteByAccount, in: 1...100_000)),
            taskRedeliverySeconds: try integer(Self.taskRedeliverySeconds, in: 5...86400))
        let publicURL = value(Self.publicURL)
        if !publicURL.isEmpty {
            guard let url = URL(string: publicURL), url.scheme == "https" || url.scheme == "http", let host = url.host,
                AgentInstallScript.isSafeHost(host + (url.port.map { ":\($0)" } ?? "")), url.path.isEmpty || url.path == "/"
            else { throw ConfigurationError("publicURL must be http(s)://host[:port], got \(publicURL)") }
            configuration.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
        configuration.agentPackageFile = value(Self.agentPackageFile)
        let header = value(Self.mdmClientCertificateHeader)
        guard !header.isEmpty, header.utf8.count <= 64, header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw ConfigurationError("mdmClientCertificateHeader must be a header name, got \(header)")
        }
        configuration.mdmClientCertificateHeader = header
        configuration.mdmTrustedProxies = value(Self.mdmTrustedProxies).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let apns = value(Self.apnsURL)
        guard let apnsURL = URL(string: apns), apnsURL.scheme == "https", apnsURL.host != nil else {
            throw ConfigurationError("apnsURL must be https://host[:port], got \(apns)")
        }
        configuration.apnsURL = apns.hasSuffix("/") ? String(apns.dropLast()) : apns
        configuration.deviceRequestsPerMinute = try integer(Self.deviceRequestsPerMinute, in: 0...1_000_000)
        configuration.enrollmentsPerMinutePerToken = try integer(Self.enrollmentsPerMinutePerToken, in: 0...1_000_000)
        configuration.maxWaitingAgentsPerTenant = try integer(Self.maxWaitingAgentsPerTenant, in: 1...10_000_000)
        let metricsToken = value(Self.metricsToken)
        if !metricsToken.isEmpty {
            guard metricsToken.utf8.count >= 16 else { throw ConfigurationError("metricsToken must have at least 16 characters") }
            configuration.metricsToken = metricsToken
        }
        return configuration
    }

    /// A per-minute rate with a burst of ten seconds' worth (at least 5): a flood's burst costs
    /// the hashing queue little.
    private func rate(_ perMinute: Int) -> SignInLimiter.Rate {
        SignInLimiter.Rate(burst: max(5, perMinute / 6), perMinute: perMinute)
    }

    /// `databaseWaitSeconds`, checked.
    public func databaseWait() throws -> Duration {
        .seconds(try integer(Self.databaseWaitSeconds, in: 1...300))
    }

    /// Where the master key lives.
    public var masterKeyPath: String {
        guard value(Self.masterKey).isEmpty else { return "STEWARD_MASTER_KEY (masterKey)" }
        let configured = value(Self.masterKeyFile)
        return configured.isEmpty ? (value(Self.dataDir) as NSString).appendingPathComponent("master.key") : configured
    }

    /// The master key: the configured value, or the key file — with `create`, made on first use
    /// (`steward init`, and `serve` of a data directory that predates it).
    public func masterKey(create: Bool) throws -> MasterKey {
        let inline = value(Self.masterKey)
        guard inline.isEmpty else {
            guard let bytes = Data(base64Encoded: inline), bytes.count == 32 else {
                throw ConfigurationError("masterKey (STEWARD_MASTER_KEY) must be 32 bytes in base64, such as the output of `head -c 32 /dev/urandom | base64`")
            }
            return MasterKey(key: SymmetricKey(data: bytes))
        }
        return try MasterKey.load(path: masterKeyPath, create: create)
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
