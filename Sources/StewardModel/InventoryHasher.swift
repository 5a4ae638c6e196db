import Crypto
import Foundation

/// Hashes inventory sections (SHA-256 of their canonical JSON) so that a check-in sends only
/// the sections that changed since the server's last acknowledgement.
public enum InventoryHasher {
    public static func hashes(of inventory: Inventory) throws -> SectionHashes {
        SectionHashes(
            hardware: try hash(inventory.hardware), operatingSystem: try hash(inventory.operatingSystem),
            network: try hash(inventory.network), apps: try inventory.apps.map { try hash($0.sorted { $0.appId < $1.appId }) })
    }

    public static func hash(_ value: some Encodable) throws -> String {
        let data = try WireCoding.encoder().encode(value)
        return SHA256.hash(data: data).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
