import Crypto
import Foundation
import StewardStore

/// The deployment's master key: 32 random bytes in a file only the service user can read
/// (`<data dir>/master.key`, or `masterKeyFile`), never in the database. The audit chain's keys
/// and the key that seals stored secrets (TOTP secrets) are derived from it, so a copy of the
/// database alone can neither forge audit entries nor open sealed secrets. Every replica of a
/// deployment needs the same file.
public struct MasterKey: Sendable {
    public let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// Reads the key file; with `create`, makes it (mode 0600) when it does not exist yet.
    public static func load(path: String, create: Bool) throws -> MasterKey {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else { throw ConfigurationError("master key file \(path) does not hold 32 bytes") }
            return MasterKey(key: SymmetricKey(data: data))
        }
        guard create else {
            throw ConfigurationError(
                "no master key at \(path): run `steward init`, or point masterKeyFile (STEWARD_MASTER_KEY_FILE) at the deployment's key")
        }
        let key = SymmetricKey(size: .bits256)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let data = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("cannot write master key file \(path)")
        }
        return MasterKey(key: key)
    }

    public var auditChain: AuditChain { AuditChain(masterKey: key) }

    /// A digest that shows which key a database was used with, without revealing the key.
    public var check: Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("steward master key check v1".utf8), using: key))
    }

    /// Refuses a key other than the one the database was first used with: entries sealed under
    /// two keys would make the audit chain unverifiable.
    public func ensureMatches(_ store: any TenantStore, describing path: String) async throws {
        guard try await store.matchesKeyCheck(check) else {
            throw ConfigurationError(
                "the master key \(path) is not the one this database was initialised with; every replica needs the same key file")
        }
    }

    /// Seals a secret with AES-GCM under a key derived for sealing (the ciphertext carries its nonce and tag).
    public func seal(_ secret: Data) throws -> Data {
        guard let combined = try AES.GCM.seal(secret, using: sealingKey).combined else {
            throw ConfigurationError("cannot seal")
        }
        return combined
    }

    public func open(_ sealed: Data) throws -> Data {
        try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: sealingKey)
    }

    private var sealingKey: SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: Data("steward-seal-v1".utf8), info: Data("secrets".utf8), outputByteCount: 32)
    }
}
