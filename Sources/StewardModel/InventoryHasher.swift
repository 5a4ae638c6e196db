import Crypto
import Foundation

/// Hashes inventory sections (SHA-256 of their canonical JSON) so that a check-in sends only
/// the sections that changed since the server's last acknowledgement.
public enum InventoryHasher {
    public static func hashes(of inventory: Inventory) throws -> SectionHashes {
        SectionHashes(
            hardware: try hash(inventory.hardware), operatingSystem: try hash(inventory.operatingSystem),
            network: try hash(inventory.network), apps: inventory.apps.map(appsHash))
    }

    public static func hash(_ value: some Encodable) throws -> String {
        let data = try WireCoding.encoder().encode(value)
        return SHA256.hash(data: data).lowercaseHex
    }

    /// The app list's hash: SHA-256 of the bytes `WireCoding.encoder()` writes for the list
    /// sorted by app ID, written here without the generic encoder (a full inventory's list is
    /// hundreds of apps, hashed on every check-in by agent and server). `InventoryHasherTests`
    /// holds the two byte for byte equal.
    public static func appsHash(_ apps: [AppRecord]) -> String {
        var sha = SHA256()
        var json = CanonicalJSON()
        json.bytes.append(UInt8(ascii: "["))
        for (index, app) in apps.sorted(by: { $0.appId < $1.appId }).enumerated() {
            if index > 0 { json.bytes.append(UInt8(ascii: ",")) }
            json.write(app)
            if json.bytes.count >= 32 * 1024 {
                sha.update(data: json.bytes)
                json.bytes.removeAll(keepingCapacity: true)
            }
        }
        json.bytes.append(UInt8(ascii: "]"))
        sha.update(data: json.bytes)
        return sha.finalize().lowercaseHex
    }
}

/// The canonical JSON of the wire encoder (sorted keys, unescaped slashes, absent optionals
/// left out) for the few shapes hashed on hot paths.
struct CanonicalJSON {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(40 * 1024) }

    /// Keys in sorted order: appId, installLocation, name, sizeBytes, version.
    mutating func write(_ app: AppRecord) {
        bytes.append(contentsOf: #"{"appId":"#.utf8)
        string(app.appId)
        if let location = app.installLocation {
            bytes.append(contentsOf: #","installLocation":"#.utf8)
            string(location)
        }
        bytes.append(contentsOf: #","name":"#.utf8)
        string(app.name)
        if let size = app.sizeBytes {
            bytes.append(contentsOf: #","sizeBytes":"#.utf8)
            bytes.append(contentsOf: String(size).utf8)
        }
        if let version = app.version {
            bytes.append(contentsOf: #","version":"#.utf8)
            string(version)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        defer { bytes.append(UInt8(ascii: "\"")) }
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            bytes.append(contentsOf: text.utf8)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(contentsOf: CollectionOfOne(byte).lowercaseHex.utf8)
            default: bytes.append(byte)
            }
        }
    }
}
