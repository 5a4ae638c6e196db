import Crypto
import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// The server's TLS certificate and key, read from two PEM files and read again on demand
/// (`steward serve` does on SIGHUP): connections made after a reload get the new pair, those
/// open keep theirs. A pair that does not load — unreadable, not PEM, a key that is not the
/// certificate's — is refused and the one in use stays.
public final class ServerIdentity: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let current: Mutex<Pair>

    struct Pair: @unchecked Sendable {  // NIOSSL's certificate and key types are immutable references.
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    public init(certificatePath: String, keyPath: String) throws(TLSFileError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// Reads both files again; returns the new certificate's pin.
    @discardableResult
    public func reload() throws(TLSFileError) -> String {
        let pair = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = pair }
        return try TLSPin.of(pair.chain[0])
    }

    /// The pin of the certificate in use (what agents are given as `--pin-sha256`).
    public var pin: String {
        get throws(TLSFileError) { try TLSPin.of(current.withLock { $0.chain[0] }) }
    }

    /// TLS 1.2 and 1.3 with forward-secret AEAD suites only; each handshake takes the pair in
    /// use at that moment.
    public var configuration: TLSConfiguration {
        let pair = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: pair.chain.map { .certificate($0) }, privateKey: .privateKey(pair.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = TLSPolicy.cipherSuites
        configuration.sslContextCallback = { [self] _, promise in
            let pair = self.current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return configuration
    }

    static func load(certificatePath: String, keyPath: String) throws(TLSFileError) -> Pair {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw .unreadable(certificatePath, "not a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw .unreadable(certificatePath, "no certificate in it") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw .unreadable(keyPath, "not a PEM private key (\(error))")
        }
        // A context checks that the key is the certificate's.
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            throw .unreadable(keyPath, "not the key of the certificate in \(certificatePath)")
        }
        return Pair(chain: chain, key: key)
    }
}

public enum TLSPolicy {
    /// TLS 1.2's ECDHE suites with AES-GCM or ChaCha20-Poly1305 (TLS 1.3's are all of that kind).
    public static let cipherSuites = "ECDHE+AESGCM:ECDHE+CHACHA20"
}

public enum TLSFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(String, String)
    case exists(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): \(reason)"
        case .exists(let path): "\(path) exists already: remove it first, or choose another path"
        }
    }
}

/// A server's public-key pin, as curl's `--pinnedpubkey sha256//…` takes it: the base64 of the
/// SHA-256 of the certificate's SubjectPublicKeyInfo. It outlives a renewal that keeps the key.
public enum TLSPin {
    public static func of(_ certificate: NIOSSLCertificate) throws(TLSFileError) -> String {
        do {
            let spki = try certificate.extractPublicKey().toSPKIBytes()
            return "sha256//" + Data(SHA256.hash(data: spki)).base64EncodedString()
        } catch {
            throw .unreadable("certificate", "no public key (\(error))")
        }
    }

    /// The pin in its canonical form; `sha256//` may be left out.
    public static func normalised(_ text: String) -> String? {
        let value = text.hasPrefix("sha256//") ? String(text.dropFirst(8)) : text
        guard let bytes = Data(base64Encoded: value), bytes.count == 32 else { return nil }
        return "sha256//" + bytes.base64EncodedString()
    }
}

/// A first install's key pair: an ECDSA P-256 key and a certificate signed by itself for the
/// names given (DNS names and IP addresses), valid for 825 days — what browsers and agents
/// accept once told to trust it (`--ca-file`, or its pin).
public enum SelfSignedCertificate {
    public static func make(names: [String], now: Date) throws -> (certificatePEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(names.first ?? "steward") }
        let alternatives: [GeneralName] = names.map { name in
            if let address = IPAddress(name) { return .ipAddress(ASN1OctetString(contentBytes: address.bytes[...])) }
            return .dnsName(name)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(825 * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                // Its own issuer, so its own trust anchor: BoringSSL takes a self-signed
                // certificate as a root only when it may sign certificates (measured: a
                // CA:FALSE one fails verification with itself as the only root).
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(alternatives)
            },
            issuerPrivateKey: .init(key))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// Writes both files (the key readable by its owner only); refuses to overwrite either.
    public static func write(names: [String], certificatePath: String, keyPath: String, now: Date) throws -> String {
        for path in [certificatePath, keyPath] where FileManager.default.fileExists(atPath: path) {
            throw TLSFileError.exists(path)
        }
        let (certificate, key) = try make(names: names, now: now)
        guard FileManager.default.createFile(atPath: keyPath, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TLSFileError.unreadable(keyPath, "cannot be written")
        }
        try Data(certificate.utf8).write(to: URL(fileURLWithPath: certificatePath))
        return try TLSPin.of(try NIOSSLCertificate(bytes: Array(certificate.utf8), format: .pem))
    }
}

/// An IPv4 or IPv6 address in text, as its bytes.
struct IPAddress {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }
}
