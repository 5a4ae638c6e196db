import Foundation

/// Makes new identifiers. Injected everywhere so tests are deterministic.
public struct IdentifierGenerator: Sendable {
    private let make: @Sendable () -> String

    public init(_ make: @escaping @Sendable () -> String) { self.make = make }

    public func callAsFunction<ID: StewardIdentifier>(_: ID.Type = ID.self) -> ID {
        ID(rawValue: make())
    }

    /// Time-ordered (UUIDv7 layout) so that primary keys grow with creation time:
    /// inserts append to the B-tree and cursor order is enrollment order.
    public static func timeOrdered(clock: Clock) -> IdentifierGenerator {
        IdentifierGenerator {
            let millis = UInt64(max(0, clock.now().timeIntervalSince1970 * 1000))
            var bytes = [UInt8](repeating: 0, count: 16)
            for index in 0..<6 { bytes[index] = UInt8((millis >> (8 * UInt64(5 - index))) & 0xff) }
            var generator = SystemRandomNumberGenerator()
            for index in 6..<16 { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
            bytes[6] = (bytes[6] & 0x0f) | 0x70
            bytes[8] = (bytes[8] & 0x3f) | 0x80
            return formatUUID(bytes)
        }
    }

    /// Sequential identifiers for tests: `00000000-0000-7000-8000-000000000001`, …
    public static func sequential(start: Int = 1) -> IdentifierGenerator {
        let counter = Counter(start)
        return IdentifierGenerator {
            let value = counter.next()
            let hex = String(value, radix: 16)
            return "00000000-0000-7000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
        }
    }

    static func formatUUID(_ bytes: [UInt8]) -> String {
        let characters = Array(bytes.lowercaseHex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ start: Int) { value = start }
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        defer { value += 1 }
        return value
    }
}
