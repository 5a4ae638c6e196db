import Foundation

/// One diagnostic, performance or usage event an agent reports (`POST /api/v1/diagnostics`).
/// No free text: names and codes are short tokens, so an event cannot carry a person's data.
/// The server stores it under pseudonyms only (the device's and its user's), never their IDs.
public struct DiagnosticEvent: Codable, Sendable, Equatable {
    public enum Kind: String, WireEnum {
        /// An agent feature was used (`name`: the feature).
        case featureUsed
        /// A command ran (`name`: the command; `success`, `durationMs`).
        case command
        /// How long something took (`name`: what; `durationMs`).
        case responseTime
        /// An app install or removal ended (`name`: the package; `success`, `code`).
        case installOutcome
        /// The agent hit an error (`name`: where; `code`: which).
        case agentError
    }

    public var kind: Kind
    public var name: String
    public var at: Date
    public var durationMs: Double?
    public var success: Bool?
    public var code: String?

    public init(kind: Kind, name: String, at: Date, durationMs: Double? = nil, success: Bool? = nil, code: String? = nil) {
        self.kind = kind
        self.name = name
        self.at = at
        self.durationMs = durationMs
        self.success = success
        self.code = code
    }

    public static let maxTokenLength = 64
    /// Events older than this are refused: raw diagnostics are kept 30 days.
    public static let maxAge: TimeInterval = 30 * 86_400

    /// A name or code: letters, digits and `. _ - : /`, up to 64 characters.
    public static func isToken(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= maxTokenLength
            && value.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-:/".unicodeScalars.contains($0)) }
    }

    public func validate(_ field: String, now: Date) throws(WireError) {
        guard Self.isToken(name) else {
            throw .invalidValue(field: "\(field).name", reason: "1–64 letters, digits or . _ - : /")
        }
        if let code, !Self.isToken(code) {
            throw .invalidValue(field: "\(field).code", reason: "1–64 letters, digits or . _ - : /")
        }
        if let durationMs, !(durationMs.isFinite && durationMs >= 0 && durationMs <= 86_400_000) {
            throw .invalidValue(field: "\(field).durationMs", reason: "between 0 and 86,400,000")
        }
        if at < now.addingTimeInterval(-Self.maxAge) || at > now.addingTimeInterval(86_400) {
            throw .invalidValue(field: "\(field).at", reason: "within the last 30 days")
        }
    }
}

public struct DiagnosticsUpload: Codable, Sendable, Equatable {
    public var events: [DiagnosticEvent]

    public init(events: [DiagnosticEvent]) { self.events = events }

    public static let maxEvents = 1_000

    public func validate(now: Date) throws(WireError) {
        try Validator().count(events, "events", limit: Self.maxEvents)
        for (index, event) in events.enumerated() { try event.validate("events[\(index)]", now: now) }
    }
}

public struct DiagnosticsReceipt: Codable, Sendable, Equatable {
    public var accepted: Int

    public init(accepted: Int) { self.accepted = accepted }
}

/// A stored event as admins read it (`GET /api/v1/diagnostics`): pseudonyms, never IDs. A
/// pseudonym is nil once its device or user was erased.
public struct DiagnosticEventView: Codable, Sendable, Equatable {
    public var id: DiagnosticEventID
    public var kind: DiagnosticEvent.Kind
    public var name: String
    public var at: Date
    public var durationMs: Double?
    public var success: Bool?
    public var code: String?
    public var devicePseudonym: String?
    public var userPseudonym: String?

    public init(
        id: DiagnosticEventID, kind: DiagnosticEvent.Kind, name: String, at: Date, durationMs: Double?, success: Bool?, code: String?,
        devicePseudonym: String?, userPseudonym: String?
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.at = at
        self.durationMs = durationMs
        self.success = success
        self.code = code
        self.devicePseudonym = devicePseudonym
        self.userPseudonym = userPseudonym
    }
}

public struct DiagnosticsQuery: Sendable, Equatable {
    public var from: Date?
    public var to: Date?
    public var kind: DiagnosticEvent.Kind?
    /// Events of any of these pseudonyms (device or user); nil for all.
    public var pseudonyms: [String]?
    /// Events after this ID (ascending by ID, which is time-ordered).
    public var after: String?
    public var limit: Int

    public init(from: Date? = nil, to: Date? = nil, kind: DiagnosticEvent.Kind? = nil, pseudonyms: [String]? = nil, after: String? = nil, limit: Int) {
        self.from = from
        self.to = to
        self.kind = kind
        self.pseudonyms = pseudonyms
        self.after = after
        self.limit = limit
    }
}

/// One day of one kind and name of event, rolled up as the events arrive: no device, no user.
public struct DiagnosticsDay: Codable, Sendable, Equatable {
    /// `YYYY-MM-DD`, UTC.
    public var day: String
    public var kind: DiagnosticEvent.Kind
    public var name: String
    public var events: Int
    /// Events that reported success or failure (others said neither).
    public var succeeded: Int
    public var failed: Int
    /// Share of succeeded among those that reported either; nil when none did.
    public var successRate: Double?
    /// Latency percentiles of events with a duration, from log-scaled buckets (±9%); nil without durations.
    public var p50Ms: Double?
    public var p95Ms: Double?
    public var p99Ms: Double?

    public init(
        day: String, kind: DiagnosticEvent.Kind, name: String, events: Int, succeeded: Int, failed: Int,
        latencyBuckets: [Int: Int]
    ) {
        self.day = day
        self.kind = kind
        self.name = name
        self.events = events
        self.succeeded = succeeded
        self.failed = failed
        successRate = succeeded + failed > 0 ? Double(succeeded) / Double(succeeded + failed) : nil
        p50Ms = LatencyBuckets.percentile(0.50, of: latencyBuckets)
        p95Ms = LatencyBuckets.percentile(0.95, of: latencyBuckets)
        p99Ms = LatencyBuckets.percentile(0.99, of: latencyBuckets)
    }

    /// The UTC day of a time, as stored.
    /// Counted for every check-in: the wire writer's calendar, not Foundation's formatter.
    public static func day(of date: Date) -> String {
        String(WireJSONWriter.iso8601(date).prefix(10))
    }
}

/// Latencies counted in buckets four to a doubling, so a day's percentiles are kept as a few
/// dozen counters rather than every value. Bucket b holds durations in (2^((b-1)/4), 2^(b/4)] ms.
public enum LatencyBuckets {
    public static let maxBucket = 120

    public static func bucket(forMilliseconds ms: Double) -> Int {
        guard ms > 1 else { return 0 }
        return min(maxBucket, Int((log2(ms) * 4).rounded(.up)))
    }

    public static func upperBound(_ bucket: Int) -> Double { pow(2, Double(bucket) / 4) }

    /// The upper bound of the bucket holding the p-th value; nil for no values.
    public static func percentile(_ p: Double, of counts: [Int: Int]) -> Double? {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int((p * Double(total)).rounded(.up)))
        var seen = 0
        for bucket in counts.keys.sorted() {
            seen += counts[bucket]!
            if seen >= rank { return (upperBound(bucket) * 100).rounded() / 100 }
        }
        return nil
    }
}

/// `POST /api/v1/privacy/reidentifications`: turns a pseudonym back into the device or user it
/// stands for. Needs `privacy.reidentify`, and the reason is written to the audit log.
public struct ReidentifyRequest: Codable, Sendable, Equatable {
    public var pseudonym: String
    public var reason: String

    public init(pseudonym: String, reason: String) {
        self.pseudonym = pseudonym
        self.reason = reason
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.required(pseudonym, "pseudonym", limit: 64)
        try check.required(reason, "reason")
    }
}

public struct PseudonymSubject: Codable, Sendable, Equatable {
    public enum SubjectType: String, WireEnum { case device, user }

    public var pseudonym: String
    public var subjectType: SubjectType
    public var subjectId: String
    /// The version of the tenant's pseudonym key that made it.
    public var keyVersion: Int

    public init(pseudonym: String, subjectType: SubjectType, subjectId: String, keyVersion: Int) {
        self.pseudonym = pseudonym
        self.subjectType = subjectType
        self.subjectId = subjectId
        self.keyVersion = keyVersion
    }
}

/// The tenant's pseudonym key after a rotation (`POST /api/v1/privacy/pseudonym-keys`).
public struct PseudonymKeyView: Codable, Sendable, Equatable {
    public var version: Int
    public var createdAt: Date

    public init(version: Int, createdAt: Date) {
        self.version = version
        self.createdAt = createdAt
    }
}
