/// A small XML reader for agents' documents, bounded everywhere: no DTD (a `<!DOCTYPE` is
/// refused, so no entity can be declared, expanded or fetched), only the five predefined
/// entities and character references, a depth, an element count and a per-element text limit.
/// Attributes are read past and not kept (the OCS protocol carries everything in elements).
/// Memory is a constant times the input, which the caller bounds.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [XMLElement]

    public init(name: String, text: String = "", children: [XMLElement] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child of that name.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// The trimmed text of the first child of that name; nil when absent or empty.
    public func value(_ name: String) -> String? {
        guard let text = child(name)?.text.trimmingWhitespace, !text.isEmpty else { return nil }
        return text
    }

    public func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

public struct XMLLimits: Sendable {
    public var maxDepth: Int
    public var maxElements: Int
    public var maxTextBytes: Int

    public init(maxDepth: Int = 32, maxElements: Int = 200_000, maxTextBytes: Int = 64 * 1024) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxTextBytes = maxTextBytes
    }
}

public enum XMLError: Error, Equatable, Sendable {
    case malformed(String)
    /// A DTD or entity declaration: refused, never processed.
    case declarationRefused
    /// An entity reference other than the five predefined ones.
    case entityRefused
    case tooDeep
    case tooManyElements
    case textTooLong
}

public enum BoundedXML {
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = XMLLimits()) throws(XMLError) -> XMLElement {
        var reader = Reader(bytes: bytes, limits: limits)
        return try reader.document()
    }
}

private struct Open {
    var name: String
    var text: [UInt8] = []
    var children: [XMLElement] = []
}

private struct Reader {
    let bytes: [UInt8]
    let limits: XMLLimits
    var index = 0
    var stack: [Open] = []
    var elements = 0

    init(bytes: [UInt8], limits: XMLLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func document() throws(XMLError) -> XMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        var root: XMLElement?
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<") {
                if let closed = try markup() {
                    guard root == nil else { throw .malformed("more than one root element") }
                    root = closed
                }
            } else {
                let start = index
                while index < bytes.count && bytes[index] != UInt8(ascii: "<") { index += 1 }
                if stack.isEmpty {
                    guard bytes[start..<index].allSatisfy(Self.isSpace) else { throw .malformed("text outside the root element") }
                } else {
                    try decodeText(start..<index)
                }
            }
        }
        guard stack.isEmpty else { throw .malformed("unclosed element <\(stack[stack.count - 1].name)>") }
        guard let root else { throw .malformed("no root element") }
        return root
    }

    /// One piece of markup at `<`; returns the root when it closes.
    mutating func markup() throws(XMLError) -> XMLElement? {
        if starts("<?") {
            try skip(past: "?>")
        } else if starts("<!--") {
            try skip(past: "-->")
        } else if starts("<![CDATA[") {
            guard !stack.isEmpty else { throw .malformed("CDATA outside the root element") }
            index += 9
            let start = index
            try skip(past: "]]>")
            try appendText(bytes[start..<(index - 3)])
        } else if starts("<!") {
            throw .declarationRefused
        } else if starts("</") {
            index += 2
            let name = try readName()
            skipSpaces()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw .malformed("bad end tag </\(name)") }
            index += 1
            guard let open = stack.popLast(), open.name == name else { throw .malformed("</\(name)> closes nothing open") }
            return close(open)
        } else {
            index += 1
            let name = try readName()
            let selfClosing = try skipAttributes()
            elements += 1
            guard elements <= limits.maxElements else { throw .tooManyElements }
            guard stack.count < limits.maxDepth else { throw .tooDeep }
            if selfClosing {
                let element = XMLElement(name: name)
                if stack.isEmpty { return element }
                stack[stack.count - 1].children.append(element)
            } else {
                stack.append(Open(name: name))
            }
        }
        return nil
    }

    mutating func close(_ open: Open) -> XMLElement? {
        let element = XMLElement(name: open.name, text: String(decoding: open.text, as: UTF8.self), children: open.children)
        if stack.isEmpty { return element }
        stack[stack.count - 1].children.append(element)
        return nil
    }

    func starts(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return prefix.withUTF8Buffer { prefix in
            (0..<count).allSatisfy { bytes[index + $0] == prefix[$0] }
        }
    }

    mutating func skip(past end: StaticString) throws(XMLError) {
        while index < bytes.count {
            if starts(end) {
                index += end.utf8CodeUnitCount
                return
            }
            index += 1
        }
        throw .malformed("unterminated markup")
    }

    mutating func readName() throws(XMLError) -> String {
        let start = index
        while index < bytes.count, Self.isNameByte(bytes[index]) { index += 1 }
        guard index > start, index - start <= 128 else { throw .malformed("bad element name") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Reads past attributes to `>`; true for `/>`.
    mutating func skipAttributes() throws(XMLError) -> Bool {
        var quote: UInt8?
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "<") {
                throw .malformed("< inside a tag")
            } else if byte == UInt8(ascii: ">") {
                return index - 2 >= start && bytes[index - 2] == UInt8(ascii: "/")
            }
            guard index - start <= limits.maxTextBytes else { throw .textTooLong }
        }
        throw .malformed("unterminated tag")
    }

    mutating func skipSpaces() {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    mutating func appendText(_ text: ArraySlice<UInt8>) throws(XMLError) {
        guard stack[stack.count - 1].text.count + text.count <= limits.maxTextBytes else { throw .textTooLong }
        stack[stack.count - 1].text += text
    }

    /// Text with its references resolved: the five predefined entities and `&#N;` / `&#xH;`.
    mutating func decodeText(_ range: Range<Int>) throws(XMLError) {
        var position = range.lowerBound
        var runStart = position
        while position < range.upperBound {
            guard bytes[position] == UInt8(ascii: "&") else {
                position += 1
                continue
            }
            try appendText(bytes[runStart..<position])
            guard let semicolon = bytes[position..<min(range.upperBound, position + 12)].firstIndex(of: UInt8(ascii: ";")) else {
                throw .entityRefused
            }
            let reference = String(decoding: bytes[(position + 1)..<semicolon], as: UTF8.self)
            let replacement: String
            switch reference {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                guard reference.hasPrefix("#"),
                    let value = reference.hasPrefix("#x") ? UInt32(reference.dropFirst(2), radix: 16) : UInt32(reference.dropFirst()),
                    let scalar = Unicode.Scalar(value), value >= 0x20 || value == 0x9 || value == 0xA || value == 0xD
                else { throw .entityRefused }
                replacement = String(Character(scalar))
            }
            try appendText(ArraySlice(Array(replacement.utf8)))
            position = semicolon + 1
            runStart = position
        }
        try appendText(bytes[runStart..<range.upperBound])
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
