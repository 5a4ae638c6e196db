import Foundation
import Logging
import StewardModel
import StewardStore
import Synchronization

/// How the edge reads a store's error as an outage, and says so in the log: once per kind and
/// interval, with how many were not said. Every refused request is still answered (503) and
/// counted in its metrics; only the log is spared — a herd refused while the writer is busy is
/// hundreds of requests a second, each a warning before.
struct OutageReporter: Sendable {
    let read: @Sendable (any Error) -> StoreOutage?
    let log: LogThrottle

    /// At most one line per kind this often.
    static let logInterval: TimeInterval = 10

    /// Reads nothing as an outage (where no store was asked).
    static let none = OutageReporter(read: { _ in nil }, log: LogThrottle(interval: 0, clock: .system))

    /// The outage the error means, if any, logged (by kind and error type only) when the
    /// throttle lets it through.
    func outage(_ error: any Error, context: StewardRequestContext, component: String) -> StoreOutage? {
        guard let outage = read(error) else { return nil }
        if let unsaid = log.admit("\(component) \(outage.rawValue)") {
            var metadata: Logger.Metadata = [
                "component": "\(component)", "requestId": "\(context.requestID)", "outage": "\(outage.rawValue)",
                "error": "\(String(reflecting: type(of: error)))",
            ]
            if unsaid > 0 { metadata["sinceLastLine"] = "\(unsaid)" }
            context.logger.warning("database outage", metadata: metadata)
        }
        return outage
    }
}

/// Lets a repeated log line through once per key and interval, and says how many it held back
/// meanwhile. Its keys are a few fixed kinds, never request data.
final class LogThrottle: Sendable {
    private let interval: TimeInterval
    private let clock: Clock
    private let lines = Mutex<[String: (at: Date, held: Int)]>([:])

    init(interval: TimeInterval, clock: Clock) {
        self.interval = interval
        self.clock = clock
    }

    /// nil to hold this line back; otherwise the number held back since the last let through.
    func admit(_ key: String) -> Int? {
        let now = clock.now()
        return lines.withLock { lines in
            if let last = lines[key], now.timeIntervalSince(last.at) < interval {
                lines[key] = (last.at, last.held + 1)
                return nil
            }
            let held = lines[key]?.held ?? 0
            lines[key] = (now, 0)
            return held
        }
    }
}
