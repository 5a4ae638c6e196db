import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt work, bounded: at most `workers` hashes at once on NIO's thread pool and at most
/// `queueLimit` waiting. A full queue answers at once (`PasswordHashing.Busy`) instead of
/// queueing work whose answer would come too late, and a waiting job whose client has gone is
/// dropped before it is hashed: abandoned requests from a flood cost nothing.
public actor PasswordHashing {
    public struct Busy: Error, Sendable {}
    public struct ClientGone: Error, Sendable {}

    private let workers: Int
    private let queueLimit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Jobs waiting for a worker.
    public var waitingCount: Int { waiting.count }
    /// Hashes run so far (the sign-in tests count the work each answer cost).
    public private(set) var completed = 0

    public init(workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), queueLimit: Int = 16) {
        self.workers = workers
        self.queueLimit = queueLimit
    }

    /// Runs `work` on the thread pool once a worker is free, unless the client went away meanwhile.
    public func run<T: Sendable>(stillWanted: @Sendable () -> Bool = { true }, _ work: @escaping @Sendable () -> T) async throws -> T {
        if running >= workers {
            guard waiting.count < queueLimit else { throw Busy() }
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
        // Holding a worker slot from here; handed on (not released) when others wait.
        defer { release() }
        guard stillWanted() else { throw ClientGone() }
        let result = try await NIOThreadPool.singleton.runIfActive(work)
        completed += 1
        return result
    }

    private func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
