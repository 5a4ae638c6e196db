import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import StewardStore

/// Bounds every request's database work on PostgreSQL: a request that has no pooled connection
/// after `timeout` is answered as an outage ("busy" if other requests got theirs meanwhile, else
/// "unavailable"), and so is one whose connection closes under its query (PostgreSQL restarted:
/// PostgresNIO can leave such a query waiting for ever). The work is cancelled and left to end
/// by itself; a query on a live connection is never cut short.
///
/// One sweeper task checks every operation in flight twice a second — no timer per query, so a
/// busy replica does not pile up thousands of pending timers.
final class LeaseWatch: Sendable {
    let timeout: Duration
    private let state = NIOLockedValueBox(Registry())
    /// When a request last got a connection.
    private let lastLease = NIOLockedValueBox(ContinuousClock.now)
    private let sweeper = NIOLockedValueBox<Task<Void, Never>?>(nil)

    private struct Registry {
        var next: UInt64 = 0
        var inFlight: [UInt64: any Watched] = [:]
    }

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Ends the sweeper (the store is closing).
    func stop() {
        sweeper.withLockedValue { $0?.cancel() }
    }

    /// Runs `work`, which calls `lease` with the connection it was given before using it.
    func leased<T: Sendable>(
        _ work: sending @escaping (_ lease: @escaping @Sendable (PostgresConnection) throws -> Void) async throws -> T
    ) async throws -> T {
        startSweeping()
        let gate = LeaseGate<T>(started: .now)
        let id = state.withLockedValue { registry in
            registry.next += 1
            registry.inFlight[registry.next] = gate
            return registry.next
        }
        defer { _ = state.withLockedValue { $0.inFlight.removeValue(forKey: id) } }
        let lastLease = lastLease
        gate.start(Task {
            do {
                gate.finish(.success(try await work { connection in
                    try gate.hold(connection)
                    lastLease.withLockedValue { $0 = .now }
                }))
            } catch {
                gate.finish(.failure(error))
            }
        })
        return try await withTaskCancellationHandler {
            try await gate.outcome()
        } onCancel: {
            gate.cancel()
        }
    }

    private func startSweeping() {
        let running = sweeper.withLockedValue { $0 != nil }
        guard !running else { return }
        sweeper.withLockedValue { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
                    self?.sweep()
                }
            }
        }
    }

    private func sweep() {
        let now = ContinuousClock.now
        let others = lastLease.withLockedValue { $0 }.duration(to: now) < timeout
        let overdue = state.withLockedValue { registry in
            registry.inFlight.filter { $0.value.started.duration(to: now) >= timeout }
        }
        for (id, gate) in overdue where gate.expire(busy: others) {
            _ = state.withLockedValue { $0.inFlight.removeValue(forKey: id) }
        }
    }
}

/// What the sweeper asks of an operation in flight.
private protocol Watched: Sendable {
    var started: ContinuousClock.Instant { get }
    /// Past the timeout: answers the caller with an outage if the operation still waits for a
    /// connection or holds a closed one; true when it is over (answered or finished).
    func expire(busy: Bool) -> Bool
}

/// One leased operation's progress, shared by the operation, the sweeper and the caller: the
/// first outcome decided (the operation's result, or the sweeper's outage) is the answer.
private final class LeaseGate<T: Sendable>: Watched {
    let started: ContinuousClock.Instant
    private struct State {
        var expired = false
        var connection: PostgresConnection?
        var operation: Task<Void, Never>?
        var outcome: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }
    private let state = NIOLockedValueBox(State())

    init(started: ContinuousClock.Instant) {
        self.started = started
    }

    func start(_ operation: Task<Void, Never>) {
        state.withLockedValue { $0.operation = operation }
    }

    func cancel() {
        state.withLockedValue { $0.operation }?.cancel()
    }

    /// The operation got its connection: refused once the wait has expired.
    func hold(_ connection: PostgresConnection) throws {
        try state.withLockedValue { state in
            guard !state.expired, state.outcome == nil else { throw CancellationError() }
            state.connection = connection
        }
    }

    func expire(busy: Bool) -> Bool {
        let decision: (outage: StoreOutage, operation: Task<Void, Never>?)? = state.withLockedValue { state in
            guard state.outcome == nil else { return nil }
            if let connection = state.connection {
                return connection.isClosed ? (.unavailable, state.operation) : nil
            }
            state.expired = true
            return (busy ? .busy : .unavailable, state.operation)
        }
        guard let decision else { return state.withLockedValue { $0.outcome != nil } }
        finish(.failure(StoreError.outage(decision.outage)))
        decision.operation?.cancel()
        return true
    }

    /// Records the outcome if none was yet, waking the caller.
    func finish(_ outcome: Result<T, any Error>) {
        let waiter: CheckedContinuation<T, any Error>?? = state.withLockedValue { state in
            guard state.outcome == nil else { return .none }
            state.outcome = outcome
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        if case .some(let waiter) = waiter { waiter?.resume(with: outcome) }
    }

    func outcome() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { state in
                if state.outcome == nil { state.waiter = continuation }
                return state.outcome
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
