import Foundation
import StewardModel

/// Sign-in attempts allowed per client address and per account, as token buckets: a burst,
/// then a steady rate. Answers how long to wait when a bucket is empty (429 + `Retry-After`),
/// before any password is hashed, so a flood costs the server a dictionary lookup per request.
/// In memory, per replica: a limit, not a record (the lockout in the database is the record).
public actor SignInLimiter {
    public struct Rate: Sendable, Equatable {
        /// Attempts allowed at once.
        public var burst: Int
        /// Attempts regained per minute.
        public var perMinute: Int

        public init(burst: Int, perMinute: Int) {
            self.burst = burst
            self.perMinute = perMinute
        }
    }

    private let perAddress: Rate
    private let perAccount: Rate
    private let clock: Clock
    private var addresses: [String: TokenBucket] = [:]
    private var accounts: [String: TokenBucket] = [:]
    /// Buckets kept before full ones are dropped (a full bucket is the same as none).
    private let capacity = 50_000

    public init(perAddress: Rate, perAccount: Rate, clock: Clock) {
        self.perAddress = perAddress
        self.perAccount = perAccount
        self.clock = clock
    }

    /// Takes one attempt from the address's and the account's buckets, or returns how long
    /// until one is free (nothing is taken then).
    public func admit(address: String?, account: String) -> Duration? {
        let now = clock.now()
        let addressKey = address ?? "-"
        var byAddress = TokenBucket.refilled(addresses[addressKey], rate: perAddress, now: now)
        var byAccount = TokenBucket.refilled(accounts[account], rate: perAccount, now: now)
        if let wait = [byAddress.wait(perAddress), byAccount.wait(perAccount)].compactMap({ $0 }).max() {
            return wait
        }
        byAddress.tokens -= 1
        byAccount.tokens -= 1
        addresses[addressKey] = byAddress
        accounts[account] = byAccount
        if addresses.count + accounts.count > capacity { prune(now) }
        return nil
    }

    private func prune(_ now: Date) {
        addresses = addresses.filter { TokenBucket.refilled($0.value, rate: perAddress, now: now).tokens < Double(perAddress.burst) }
        accounts = accounts.filter { TokenBucket.refilled($0.value, rate: perAccount, now: now).tokens < Double(perAccount.burst) }
    }
}
