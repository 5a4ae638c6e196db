/// A fragment of HTML. Text interpolated into it is escaped; only another `HTML` value goes in
/// as markup. So a device named `<script>` renders as text unless some code explicitly wraps
/// that name in `HTML(unsafeMarkup:)` — which nothing in the console does with stored data.
public struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var markup: String

    public init(unsafeMarkup markup: String) { self.markup = markup }
    public init(stringLiteral value: String) { markup = value }
    public init(stringInterpolation: Interpolation) { markup = stringInterpolation.markup }

    public static let empty = HTML(unsafeMarkup: "")
    public var description: String { markup }

    public struct Interpolation: StringInterpolationProtocol {
        var markup = ""

        public init(literalCapacity: Int, interpolationCount: Int) { markup.reserveCapacity(literalCapacity * 2) }
        public mutating func appendLiteral(_ literal: String) { markup += literal }
        public mutating func appendInterpolation(_ html: HTML) { markup += html.markup }
        public mutating func appendInterpolation(_ fragments: [HTML]) { for fragment in fragments { markup += fragment.markup } }
        public mutating func appendInterpolation(_ text: String) { HTML.escape(text, into: &markup) }
        public mutating func appendInterpolation(_ text: Substring) { HTML.escape(String(text), into: &markup) }
        /// Absent text shows as an em dash.
        public mutating func appendInterpolation(_ text: String?) { HTML.escape(text ?? "—", into: &markup) }
        public mutating func appendInterpolation(_ number: Int) { markup += String(number) }
        public mutating func appendInterpolation(_ number: Int64) { markup += String(number) }
        public mutating func appendInterpolation(_ number: Double) { markup += String(number) }
    }

    /// Escapes the five characters that can end text or an attribute value. Text without any of
    /// them (nearly all of it) is appended as it is, without a copy made first; the rest is
    /// copied between them.
    public static func escape(_ text: String, into markup: inout String) {
        var text = text
        guard text.withUTF8({ $0.contains { entity(for: $0) != nil } }) else { return markup += text }
        text.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                guard let entity = entity(for: bytes[index]) else { continue }
                markup += String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                markup += entity
                start = index + 1
            }
            markup += String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)
        }
    }

    /// The entity a byte is written as, or nil for a byte written as it is.
    private static func entity(for byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }

    public static func text(_ text: String) -> HTML {
        var markup = ""
        escape(text, into: &markup)
        return HTML(unsafeMarkup: markup)
    }

    public static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(unsafeMarkup: lhs.markup + rhs.markup) }
    public static func += (lhs: inout HTML, rhs: HTML) { lhs.markup += rhs.markup }
}

extension Sequence {
    /// One fragment per element, concatenated.
    public func html(_ fragment: (Element) throws -> HTML) rethrows -> HTML {
        var result = HTML.empty
        for element in self { result += try fragment(element) }
        return result
    }
}

/// Percent-encoding of a query string's values (links to filtered pages).
public enum QueryString {
    public static func make(_ pairs: [(String, String?)]) -> String {
        let encoded = pairs.compactMap { key, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return "\(escape(key))=\(escape(value))"
        }
        return encoded.isEmpty ? "" : "?" + encoded.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(Unicode.Scalar(hex[Int(byte >> 4)])) + String(Unicode.Scalar(hex[Int(byte & 15)]))
            }
        }
        return result
    }
}
