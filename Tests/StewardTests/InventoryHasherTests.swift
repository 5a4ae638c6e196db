import Foundation
import Testing
import StewardModel

/// The app list's hash is written without the generic encoder; it must stay the hash of the
/// bytes the wire encoder writes, or agents and servers of different builds would disagree.
@Suite struct InventoryHasherTests {
    /// Text built from pieces that stress escaping: every C0 control, quotes, backslashes,
    /// slashes, DEL, non-ASCII letters, a line separator, an emoji and a combining mark.
    static let pieces: [String] = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + [
        "\"", "\\", "/", "\u{7F}", "é", "\u{2028}", "🦊", "e\u{301}", "a", "Z", "0", " ", "lib", ":amd64", "\r\n",
    ]

    static func text(_ random: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    @Test func appsHashIsTheHashOfTheWireEncodersBytes() throws {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let apps = (0..<Int.random(in: 0...40, using: &random)).map { index in
                AppRecord(
                    appId: "\(index)-" + Self.text(&random), name: Self.text(&random),
                    version: Bool.random(using: &random) ? Self.text(&random) : nil,
                    sizeBytes: Bool.random(using: &random) ? Int64.random(in: Int64.min...Int64.max, using: &random) : nil,
                    installLocation: Bool.random(using: &random) ? Self.text(&random) : nil)
            }
            let sorted = apps.sorted { $0.appId < $1.appId }
            #expect(InventoryHasher.appsHash(apps.shuffled(using: &random)) == (try InventoryHasher.hash(sorted)))
        }
    }

    @Test func aChangedFieldChangesTheHash() {
        let app = AppRecord(appId: "bash:amd64", name: "bash", version: "5.2", sizeBytes: 1, installLocation: nil)
        var changed = app
        changed.installLocation = ""
        #expect(InventoryHasher.appsHash([app]) != InventoryHasher.appsHash([changed]))
        #expect(InventoryHasher.appsHash([]) != InventoryHasher.appsHash([app]))
    }
}
