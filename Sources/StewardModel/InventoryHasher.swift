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
        var json = WireJSONWriter(capacity: 40 * 1024)
        json.array(apps.sorted(by: { $0.appId < $1.appId })) { json, app in
            json.value(app)
            if json.bytes.count >= 32 * 1024 { json.flush { sha.update(data: $0) } }
        }
        json.flush { sha.update(data: $0) }
        return sha.finalize().lowercaseHex
    }
}
