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
