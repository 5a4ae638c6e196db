import Foundation
import Logging
import ServiceLifecycle
import StewardModel
import StewardStore

/// Failed sign-ins, audited in aggregate: one entry per account (and one per tenant for
/// unknown user names) and window, with the count, the reasons and the first and last time.
/// A flood of wrong passwords would otherwise write hundreds of undeletable entries a second.
/// Unknown user names are counted, never recorded: a password typed into the name field is
/// not for the log. A lockout is audited at once by `AdminAccounts`; the counts are written
/// at the end of each window and when the server stops.
public actor SignInFailureLog: Service {
    private struct Key: Hashable {
        let tenantID: TenantID
        let adminID: AdminID?
    }

    private struct Tally {
        var userName: String?
        var clientAddress: String?
        var failures = 0
        var reasons: [String: Int] = [:]
        var first: Date
        var last: Date
    }

    private let store: any AuditStore
    private let auditor: Auditor
    private let clock: Clock
    private let window: Duration
    private let logger: Logger
    private var tallies: [Key: Tally] = [:]

    public init(store: any AuditStore, auditor: Auditor, clock: Clock, window: Duration, logger: Logger) {
        self.store = store
        self.auditor = auditor
        self.clock = clock
        self.window = window
        self.logger = logger
    }

    /// Counts one failure: at an admin (`adminID`), or at a user name the tenant does not have.
    func record(tenantID: TenantID, adminID: AdminID?, userName: String?, reason: String, clientAddress: String?) {
        let now = clock.now()
        let key = Key(tenantID: tenantID, adminID: adminID)
        var tally = tallies[key] ?? Tally(userName: adminID == nil ? nil : userName, clientAddress: clientAddress, first: now, last: now)
        tally.failures += 1
        tally.reasons[reason, default: 0] += 1
        tally.last = now
        tallies[key] = tally
    }

    /// Writes one entry per account with failures since the last flush.
    public func flush() async {
        let batch = tallies
        tallies = [:]
        for (key, tally) in batch.sorted(by: { ($0.value.first, $0.key.tenantID.rawValue) < ($1.value.first, $1.key.tenantID.rawValue) }) {
            var changes = [
                ModifiedProperty(name: "failedSignIns", oldValue: nil, newValue: String(tally.failures)),
                ModifiedProperty(name: "from", oldValue: nil, newValue: WireCoding.format(tally.first)),
                ModifiedProperty(name: "to", oldValue: nil, newValue: WireCoding.format(tally.last)),
            ]
            for (reason, count) in tally.reasons.sorted(by: { $0.key < $1.key }) {
                changes.append(ModifiedProperty(name: "reason", oldValue: nil, newValue: "\(reason): \(count)"))
            }
            do {
                try await store.append(auditor.failedSignIns(
                    tenantID: key.tenantID, adminID: key.adminID, userName: tally.userName, clientAddress: tally.clientAddress,
                    changes: changes))
            } catch {
                // Kept for the next flush rather than lost.
                logger.warning("failed sign-ins not audited yet; will retry", metadata: ["component": "sign-in"])
                if var newer = tallies[key] {
                    newer.failures += tally.failures
                    newer.first = tally.first
                    newer.reasons.merge(tally.reasons, uniquingKeysWith: +)
                    tallies[key] = newer
                } else {
                    tallies[key] = tally
                }
            }
        }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { [window] in try await Task.sleep(for: window) }
            await flush()
        }
        await flush()
    }
}
