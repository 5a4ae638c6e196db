import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A tenant's enrollment CA: it issues each enrollment's device identity, and a request's
/// certificate counts only if this CA signed it. The certificate names the tenant (O) and the
/// enrollment (CN), so the tenant comes from the certificate, as the protocol has it.
public struct MDMCertificateAuthority: Sendable {
    public let certificate: Certificate
    let privateKey: P256.Signing.PrivateKey

    static let caCommonName = "Steward MDM enrollment CA"

    public init(certificatePEM: String, privateKey: Data) throws {
        certificate = try Certificate(pemEncoded: certificatePEM)
        self.privateKey = try P256.Signing.PrivateKey(rawRepresentation: privateKey)
    }

    /// A new CA for the tenant: its certificate (PEM) and private key (raw, to be sealed).
    public static func create(tenantID: String, now: Date) throws -> (certificatePEM: String, privateKey: Data) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName(tenantID)
            CommonName(caCommonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(20 * 365 * 86_400), issuer: name,
            subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        return (try certificate.serializeAsPEM().pemString, key.rawRepresentation)
    }

    /// A device identity for one enrollment (RSA 2048, which every Apple device takes), valid two years.
    public func issueIdentity(tenantID: String, enrollment: String, now: Date) throws -> (certificate: Certificate, privateKey: _RSA.Signing.PrivateKey) {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let subject = try DistinguishedName {
            OrganizationName(tenantID)
            OrganizationalUnitName("device identity")
            CommonName(enrollment)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(2 * 365 * 86_400),
            issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(privateKey))
        return (certificate, key)
    }

    /// This CA signed the certificate, and it is valid at `now`.
    public func issued(_ certificate: Certificate, now: Date) -> Bool {
        certificate.issuer == self.certificate.subject && certificate.notValidBefore <= now && now <= certificate.notValidAfter
            && self.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// `Mdm-Signature`: a CMS detached signature of the body by a certificate this CA issued.
    /// The signer's certificate, or nil when the signature or its certificate does not hold.
    public func signer(ofSignature signature: [UInt8], body: [UInt8], now: Date) -> Certificate? {
        guard let parsed = DetachedSignature(signature) else { return nil }
        return parsed.certificates.first { candidate in
            issued(candidate, now: now) && parsed.isValid(for: body, by: candidate)
        }
    }
}

/// A CMS SignedData with detached content (RFC 5652), read as Apple's devices write it: one
/// SignerInfo, SHA-1/256/384/512, RSA (`rsaEncryption` or `sha…WithRSAEncryption`, as
/// Security.framework and OpenSSL name it) or ECDSA, with or without signed attributes. What it
/// proves is checked by `isValid(for:by:)`; the certificates it carries are only candidates.
struct DetachedSignature {
    let certificates: [Certificate]
    let digestAlgorithm: ASN1ObjectIdentifier
    /// The signed attributes re-tagged as the SET they are signed as, and their message digest.
    let signedAttributes: (bytes: [UInt8], messageDigest: [UInt8])?
    let signatureAlgorithm: ASN1ObjectIdentifier
    let signature: [UInt8]

    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
    static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
    static let contextZero = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    init?(_ bytes: [UInt8]) {
        guard bytes.count <= 64 * 1024, let root = try? BER.parse(bytes), case .constructed(let info) = root.content else { return nil }
        let parts = Array(info)
        guard parts.count == 2, (try? ASN1ObjectIdentifier(derEncoded: parts[0])) == Self.signedData,
            case .constructed(let wrapped) = parts[1].content, let signedData = Array(wrapped).first,
            case .constructed(let fields) = signedData.content
        else { return nil }
        let nodes = Array(fields)
        certificates = nodes.filter { $0.identifier == Self.contextZero }.flatMap { node -> [Certificate] in
            guard case .constructed(let items) = node.content else { return [] }
            return items.compactMap { try? Certificate(derEncoded: $0) }
        }
        // signerInfos: the last SET; exactly one signer.
        guard let infos = nodes.last, infos.identifier == .set, case .constructed(let signers) = infos.content,
            let signer = Array(signers).first, Array(signers).count == 1, case .constructed(let signerFields) = signer.content
        else { return nil }
        let items = Array(signerFields)
        // version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature, [1] unsignedAttrs?
        guard items.count >= 5 else { return nil }
        var index = 2
        guard let digest = Self.algorithm(items[index]) else { return nil }
        digestAlgorithm = digest
        index += 1
        if items[index].identifier == Self.contextZero {
            guard case .constructed(let attributes) = items[index].content else { return nil }
            var digestValue: [UInt8]?
            for attribute in attributes {
                guard case .constructed(let pair) = attribute.content else { return nil }
                let values = Array(pair)
                guard values.count == 2, (try? ASN1ObjectIdentifier(derEncoded: values[0])) == Self.messageDigest else { continue }
                guard case .constructed(let set) = values[1].content, let octets = Array(set).first,
                    let value = try? ASN1OctetString(derEncoded: octets)
                else { return nil }
                digestValue = Array(value.bytes)
            }
            guard let digestValue else { return nil }
            var encoded = Array(items[index].encodedBytes)
            encoded[0] = 0x31  // signed as a SET OF, not as the [0] IMPLICIT it is stored as
            signedAttributes = (encoded, digestValue)
            index += 1
        } else {
            signedAttributes = nil
        }
        guard index + 1 < items.count, let algorithm = Self.algorithm(items[index]),
            let value = try? ASN1OctetString(derEncoded: items[index + 1])
        else { return nil }
        signatureAlgorithm = algorithm
        signature = Array(value.bytes)
    }

    static func algorithm(_ node: ASN1Node) -> ASN1ObjectIdentifier? {
        guard case .constructed(let parts) = node.content, let first = Array(parts).first else { return nil }
        return try? ASN1ObjectIdentifier(derEncoded: first)
    }

    /// The signature holds for `body` under `certificate`'s key (and, with signed attributes,
    /// their message digest is the body's).
    func isValid(for body: [UInt8], by certificate: Certificate) -> Bool {
        guard let algorithm = signatureAlgorithm(for: certificate) else { return false }
        if let signedAttributes {
            guard let digest = digest(of: body), digest == signedAttributes.messageDigest else { return false }
            return certificate.publicKey.isValidSignature(signature, for: signedAttributes.bytes, signatureAlgorithm: algorithm)
        }
        return certificate.publicKey.isValidSignature(signature, for: body, signatureAlgorithm: algorithm)
    }

    private func digest(of body: [UInt8]) -> [UInt8]? {
        switch digestAlgorithm {
        case [2, 16, 840, 1, 101, 3, 4, 2, 1]: Array(SHA256.hash(data: body))
        case [2, 16, 840, 1, 101, 3, 4, 2, 2]: Array(SHA384.hash(data: body))
        case [2, 16, 840, 1, 101, 3, 4, 2, 3]: Array(SHA512.hash(data: body))
        case [1, 3, 14, 3, 2, 26]: Array(Insecure.SHA1.hash(data: body))
        default: nil
        }
    }

    /// The signature algorithm as X509 names it: from the digest when the SignerInfo names only
    /// the key's algorithm (`rsaEncryption`, `ecPublicKey`); otherwise it must agree with the digest.
    private func signatureAlgorithm(for certificate: Certificate) -> Certificate.SignatureAlgorithm? {
        let rsa = _RSA.Signing.PublicKey(certificate.publicKey) != nil
        let byDigest: Certificate.SignatureAlgorithm? = switch digestAlgorithm {
        case [2, 16, 840, 1, 101, 3, 4, 2, 1]: rsa ? .sha256WithRSAEncryption : .ecdsaWithSHA256
        case [2, 16, 840, 1, 101, 3, 4, 2, 2]: rsa ? .sha384WithRSAEncryption : .ecdsaWithSHA384
        case [2, 16, 840, 1, 101, 3, 4, 2, 3]: rsa ? .sha512WithRSAEncryption : .ecdsaWithSHA512
        case [1, 3, 14, 3, 2, 26]: rsa ? .sha1WithRSAEncryption : nil
        default: nil
        }
        guard let byDigest else { return nil }
        let named: Certificate.SignatureAlgorithm? = switch signatureAlgorithm {
        case [1, 2, 840, 113549, 1, 1, 1], [1, 2, 840, 10045, 2, 1]: byDigest  // the key's algorithm only
        case [1, 2, 840, 113549, 1, 1, 5]: .sha1WithRSAEncryption
        case [1, 2, 840, 113549, 1, 1, 11]: .sha256WithRSAEncryption
        case [1, 2, 840, 113549, 1, 1, 12]: .sha384WithRSAEncryption
        case [1, 2, 840, 113549, 1, 1, 13]: .sha512WithRSAEncryption
        case [1, 2, 840, 10045, 4, 3, 2]: .ecdsaWithSHA256
        case [1, 2, 840, 10045, 4, 3, 3]: .ecdsaWithSHA384
        case [1, 2, 840, 10045, 4, 3, 4]: .ecdsaWithSHA512
        default: nil
        }
        return named == byDigest ? byDigest : nil
    }
}

/// What a device identity names, and how requests carry it.
public enum MDMIdentity {
    /// The tenant (O) and enrollment (CN) a device identity names; nil for any other certificate.
    public static func names(_ certificate: Certificate) -> (tenant: String, enrollment: String)? {
        var organization: String?
        var common: String?
        var unit: String?
        for rdn in certificate.subject {
            for attribute in rdn {
                switch attribute.type {
                case .RDNAttributeType.organizationName: organization = String(describing: attribute.value)
                case .RDNAttributeType.commonName: common = String(describing: attribute.value)
                case .RDNAttributeType.organizationalUnitName: unit = String(describing: attribute.value)
                default: break
                }
            }
        }
        guard unit == "device identity", let organization, let common else { return nil }
        return (organization, common)
    }

    /// SHA-256 of the certificate's DER: what an enrollment is pinned to.
    public static func fingerprint(_ certificate: Certificate) -> Data {
        var serializer = DER.Serializer()
        try? serializer.serialize(certificate)
        return Data(SHA256.hash(data: serializer.serializedBytes))
    }

    /// The certificate of a TLS-terminating proxy's header: URL-encoded PEM, as nginx's
    /// `$ssl_client_escaped_cert` sends it (plain PEM is taken too). At most 16 KiB.
    public static func certificate(fromHeader value: String) -> Certificate? {
        guard value.utf8.count <= 16 * 1024 else { return nil }
        let pem = value.contains("%") ? (value.removingPercentEncoding ?? value) : value
        return try? Certificate(pemEncoded: pem)
    }

    /// The certificates a CMS SignedData carries (the signer's among them), read without
    /// verifying anything: only to find whose CA to verify it against. At most 64 KiB is read.
    public static func certificates(inSignature bytes: [UInt8]) -> [Certificate] {
        DetachedSignature(bytes)?.certificates ?? []
    }
}

/// PKCS #12 (RFC 7292) holding one identity: the certificate, and the private key shrouded with
/// PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC); integrity by HMAC-SHA256 under the password.
public enum PKCS12 {
    static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
    static let certBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 3]
    static let shroudedKeyBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 2]
    static let x509Certificate: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 22, 1]
    static let localKeyID: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 21]
    static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
    static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
    static let hmacSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 9]
    static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    static let iterations = 10_000

    public static func build(certificate: Certificate, privateKeyPKCS8: Data, password: String) throws -> Data {
        var certDER = DER.Serializer()
        try certDER.serialize(certificate)
        let keyID = Array(SHA256.hash(data: certDER.serializedBytes))

        // The key, encrypted.
        let salt = randomBytes(16)
        let iv = randomBytes(16)
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: iterations)
        let encrypted = try AES._CBC.encrypt(privateKeyPKCS8, using: key, iv: AES._CBC.IV(ivBytes: iv))

        func attributes(_ s: inout DER.Serializer) throws {
            try s.appendConstructedNode(identifier: .set) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.serialize(localKeyID)
                    try s.appendConstructedNode(identifier: .set) { s in try s.serialize(ASN1OctetString(contentBytes: keyID[...])) }
                }
            }
        }

        var certificates = DER.Serializer()
        try certificates.appendConstructedNode(identifier: .sequence) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(certBag)
                try s.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { s in
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(x509Certificate)
                        try s.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { s in
                            try s.serialize(ASN1OctetString(contentBytes: certDER.serializedBytes[...]))
                        }
                    }
                }
                try attributes(&s)
            }
        }
        var keys = DER.Serializer()
        try keys.appendConstructedNode(identifier: .sequence) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(shroudedKeyBag)
                try s.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { s in
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            try s.serialize(pbes2)
                            try s.appendConstructedNode(identifier: .sequence) { s in
                                try s.appendConstructedNode(identifier: .sequence) { s in
                                    try s.serialize(pbkdf2)
                                    try s.appendConstructedNode(identifier: .sequence) { s in
                                        try s.serialize(ASN1OctetString(contentBytes: salt[...]))
                                        try s.serialize(iterations)
                                        try s.appendConstructedNode(identifier: .sequence) { s in
                                            try s.serialize(hmacSHA256)
                                            try s.serialize(ASN1Null())
                                        }
                                    }
                                }
                                try s.appendConstructedNode(identifier: .sequence) { s in
                                    try s.serialize(aes256CBC)
                                    try s.serialize(ASN1OctetString(contentBytes: iv[...]))
                                }
                            }
                        }
                        try s.serialize(ASN1OctetString(contentBytes: Array(encrypted)[...]))
                    }
                }
                try attributes(&s)
            }
        }

        // AuthenticatedSafe: both SafeContents as plain data (the key inside is shrouded).
        var safe = DER.Serializer()
        try safe.appendConstructedNode(identifier: .sequence) { s in
            for contents in [certificates.serializedBytes, keys.serializedBytes] {
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.serialize(data)
                    try s.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { s in
                        try s.serialize(ASN1OctetString(contentBytes: contents[...]))
                    }
                }
            }
        }
        let authSafe = safe.serializedBytes
        let macSalt = randomBytes(16)
        let macKey = pkcs12KDF(password: password, salt: macSalt, id: 3, iterations: iterations, length: 32)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: authSafe, using: SymmetricKey(data: macKey)))

        var pfx = DER.Serializer()
        try pfx.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(3)
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(data)
                try s.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { s in
                    try s.serialize(ASN1OctetString(contentBytes: authSafe[...]))
                }
            }
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(sha256)
                        try s.serialize(ASN1Null())
                    }
                    try s.serialize(ASN1OctetString(contentBytes: mac[...]))
                }
                try s.serialize(ASN1OctetString(contentBytes: macSalt[...]))
                try s.serialize(iterations)
            }
        }
        return Data(pfx.serializedBytes)
    }

    /// RFC 7292 appendix B.2 with SHA-256 (u = 32, v = 64), the password as a BMPString with its
    /// two-byte terminator.
    static func pkcs12KDF(password: String, salt: [UInt8], id: UInt8, iterations: Int, length: Int) -> [UInt8] {
        let v = 64  // SHA-256's block size; its output (u) is 32 bytes
        var passwordBytes: [UInt8] = []
        for unit in password.utf16 { passwordBytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        passwordBytes += [0, 0]
        let diversifier = [UInt8](repeating: id, count: v)
        func stretch(_ bytes: [UInt8]) -> [UInt8] {
            guard !bytes.isEmpty else { return [] }
            let count = v * ((bytes.count + v - 1) / v)
            return (0..<count).map { bytes[$0 % bytes.count] }
        }
        var input = stretch(salt) + stretch(passwordBytes)
        var out: [UInt8] = []
        while out.count < length {
            var block = Array(SHA256.hash(data: diversifier + input))
            for _ in 1..<iterations { block = Array(SHA256.hash(data: block)) }
            out += block
            let b = stretch(block)
            for start in stride(from: 0, to: input.count, by: v) {
                var carry = 1
                for index in stride(from: v - 1, through: 0, by: -1) {
                    let sum = Int(input[start + index]) + Int(b[index]) + carry
                    input[start + index] = UInt8(sum & 0xFF)
                    carry = sum >> 8
                }
            }
        }
        return Array(out.prefix(length))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
