import Foundation
import StewardModel
import Synchronization

/// A token bucket: a burst, then a steady rate. One helper for every limit the server keeps.
struct TokenBucket {
    var tokens: Double
    var updated: Date

    /// The bucket at `now`: full when new, refilled at the rate since it was last touched.
    static func refilled(_ bucket: TokenBucket?, rate: SignInLimiter.Rate, now: Date) -> TokenBucket {
        guard var bucket else { return TokenBucket(tokens: Double(rate.burst), updated: now) }
        let gained = max(0, now.timeIntervalSince(bucket.updated)) * Double(rate.perMinute) / 60
        bucket.tokens = min(Double(rate.burst), bucket.tokens + gained)
        bucket.updated = now
        return bucket
    }

    /// How long until one token is free; nil when one is.
    func wait(_ rate: SignInLimiter.Rate) -> Duration? {
        guard tokens < 1 else { return nil }
        guard rate.perMinute > 0 else { return .seconds(3600) }
        return .seconds(((1 - tokens) * 60 / Double(rate.perMinute)).rounded(.up))
    }
}

/// Requests allowed per credential — a device's secret, an enrollment token — as token
/// buckets in memory, per replica: an agent stuck in a loop, or a leaked token replayed, gets
/// 429 with `Retry-After` before its requests cost the database anything. A lock, not an
/// actor: it sits on the check-in path.
public final class RateLimiter: Sendable {
    let rate: SignInLimiter.Rate
    let clock: Clock
    private let buckets = Mutex<[String: TokenBucket]>([:])
    /// Buckets kept before the full ones are dropped (a full bucket is the same as none).
    private let capacity: Int

    public init(rate: SignInLimiter.Rate, clock: Clock, capacity: Int = 100_000) {
        self.rate = rate
        self.clock = clock
        self.capacity = capacity
    }

    /// Takes one request from the bucket of the credential's holder (its tenant and ID; its
    /// secret is not looked at), or returns how long until one is free.
    public func admit(_ credential: Credential) -> Duration? {
        admit(credential.tenantID.rawValue + "/" + credential.id)
    }

    /// Takes one request from `key`'s bucket, or returns how long until one is free.
    public func admit(_ key: String) -> Duration? {
        let now = clock.now()
        return buckets.withLock { buckets in
            var bucket = TokenBucket.refilled(buckets[key], rate: rate, now: now)
            if let wait = bucket.wait(rate) { return wait }
            bucket.tokens -= 1
            buckets[key] = bucket
            if buckets.count > capacity {
                buckets = buckets.filter { TokenBucket.refilled($0.value, rate: rate, now: now).tokens < Double(rate.burst) }
            }
            return nil
        }
    }

    /// A limiter for `perMinute` requests (a burst of a quarter minute's worth, at least 10);
    /// nil when `perMinute` is 0 (no limit, as loopback benchmarks run).
    public static func perMinute(_ perMinute: Int, clock: Clock) -> RateLimiter? {
        perMinute > 0 ? RateLimiter(rate: .init(burst: max(10, perMinute / 4), perMinute: perMinute), clock: clock) : nil
    }
}
