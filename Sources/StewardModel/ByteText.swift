extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal, two digits each: digests, pseudonyms, identifiers.
    public var lowercaseHex: String {
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(Hex.digits[Int(byte >> 4)])
            text.append(Hex.digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    /// The value of four hex digits (either case) from `bytes`, or nil if one is not a digit.
    static func value4<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32? {
        var value: UInt32 = 0
        for byte in bytes.prefix(4) {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = value << 4 | UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
        return value
    }
}

/// Base64url without padding (RFC 4648 §5): page cursors and bearer secrets, which travel in
/// URLs and headers. Written and read byte by byte: through Foundation's base64 and three string
/// replacements, every page of devices spent more encoding its next cursor than escaping a row.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// Each ASCII byte's value in the alphabet, 0xFF for every other byte.
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(value) }
        return values
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)  // short: a cursor's key, a secret's 32 bytes
        return String(unsafeUninitializedCapacity: (bytes.count * 4 + 2) / 3) { text in
            var at = 0
            var index = 0
            while index < bytes.count {
                let left = bytes.count - index
                let group = UInt32(bytes[index]) << 16
                    | (left > 1 ? UInt32(bytes[index + 1]) << 8 : 0) | (left > 2 ? UInt32(bytes[index + 2]) : 0)
                // Two letters carry one byte, three carry two, four carry three.
                for shift in [18, 12, 6, 0].prefix(min(left, 3) + 1) {
                    text[at] = alphabet[Int(group >> UInt32(shift) & 63)]
                    at += 1
                }
                index += 3
            }
            return at
        }
    }

    /// The bytes, or nil when the text is not unpadded base64url in its canonical form (a letter
    /// outside the alphabet, a length no encoding has, or bits set past the last byte).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count * 3 / 4)
        var group: UInt32 = 0
        var sextets = 0
        for byte in utf8 {
            let value = values[Int(byte)]
            guard value != 0xFF else { return nil }
            group = group << 6 | UInt32(value)
            sextets += 1
            if sextets == 4 {
                bytes.append(UInt8(truncatingIfNeeded: group >> 16))
                bytes.append(UInt8(truncatingIfNeeded: group >> 8))
                bytes.append(UInt8(truncatingIfNeeded: group))
                group = 0
                sextets = 0
            }
        }
        switch sextets {
        case 2:
            guard group & 0xF == 0 else { return nil }
            bytes.append(UInt8(truncatingIfNeeded: group >> 4))
        case 3:
            guard group & 0x3 == 0 else { return nil }
            bytes.append(UInt8(truncatingIfNeeded: group >> 10))
            bytes.append(UInt8(truncatingIfNeeded: group >> 2))
        default: break
        }
        return bytes
    }
}
