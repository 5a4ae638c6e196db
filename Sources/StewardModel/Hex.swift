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
}
