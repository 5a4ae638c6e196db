import Foundation

/// When the next check-in happens: the server's interval with ±10% jitter (so a fleet restarted
/// together does not check in together), and exponential back-off from 5 s up to the interval
/// (at most an hour) while the server is unreachable.
public struct CheckInSchedule: Sendable {
    public var interval: Double
    public var failures: Int = 0

    public init(interval: Double) { self.interval = interval }

    public func nextDelay(random: Double = Double.random(in: 0...1)) -> Double {
        if failures > 0 {
            let cap = min(max(interval, 5), 3600)
            let backoff = min(cap, 5 * pow(2, Double(failures - 1)))
            return backoff * (0.5 + random / 2)
        }
        return max(1, interval * (0.9 + random * 0.2))
    }
}
