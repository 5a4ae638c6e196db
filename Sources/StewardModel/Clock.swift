import Foundation

/// The current time, injected so that tests control it.
public struct Clock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    public func now() -> Date { read() }

    public static let system = Clock { Date() }

    /// Whole seconds: stored times are compared and shown at second precision on both stores.
    public static func fixed(_ date: Date) -> Clock { Clock { date } }
}
