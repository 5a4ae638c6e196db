/// A small XML reader for agents' and devices' documents, bounded everywhere: no DTD (a
/// `<!DOCTYPE` is refused, so no entity can be declared, expanded or fetched — or, where the
/// caller allows it, only an external identifier with no internal subset, which names a DTD
/// that is never read, as Apple's property lists carry), only the five predefined
/// entities and character references, a depth, an element count and a per-element text limit.
/// Attributes are read past and not kept (the OCS protocol carries everything in elements).
///
/// The document is one flat array of nodes pointing into the bytes read: an element's name and
/// text stay where they are until asked for, so parsing an inventory of thousands of elements
/// allocates a few arrays, not a string per element. Whitespace-only text (indentation between
/// elements) is not kept. Memory is a constant times the input, which the caller bounds.
public final class XMLDocument: Sendable {
    struct Node: Sendable {
        var nameStart: Int32
        var nameEnd: Int32
        /// The one piece of text, raw (references still encoded); or -1 when the element has
        /// none, or `pieced` holds its text.
        var textStart: Int32 = -1
        var textEnd: Int32 = -1
        var firstChild: Int32 = -1
        var nextSibling: Int32 = -1
    }

    let bytes: [UInt8]
    let nodes: [Node]
    /// The decoded text of elements whose text came in several pieces or as CDATA (rare).
    let pieced: [Int32: String]

    init(bytes: [UInt8], nodes: [Node], pieced: [Int32: String]) {
        self.bytes = bytes
        self.nodes = nodes
        self.pieced = pieced
    }

    /// The root element.
    public var root: XMLElement { XMLElement(document: self, index: 0) }
}

/// One element of a parsed document.
public struct XMLElement: Sendable, Equatable, CustomStringConvertible {
    let document: XMLDocument
    let index: Int32

    private var node: XMLDocument.Node { document.nodes[Int(index)] }

    public var name: String {
        let node = node
        return String(decoding: document.bytes[Int(node.nameStart)..<Int(node.nameEnd)], as: UTF8.self)
    }

    /// The element's text, references resolved.
    public var text: String {
        let node = node
        if node.textStart >= 0 {
            return BoundedXML.decoded(document.bytes[Int(node.textStart)..<Int(node.textEnd)])
        }
        return document.pieced[index] ?? ""
    }

    /// The children, in order, walked along the sibling chain: no array is made unless asked.
    public var children: Children { Children(document: document, upcoming: node.firstChild) }

    public struct Children: Sequence, IteratorProtocol {
        let document: XMLDocument
        var upcoming: Int32

        public mutating func next() -> XMLElement? {
            guard upcoming >= 0 else { return nil }
            defer { upcoming = document.nodes[Int(upcoming)].nextSibling }
            return XMLElement(document: document, index: upcoming)
        }
    }

    /// Whether the element is named `name`, compared in place.
    public func isNamed(_ name: String) -> Bool {
        let node = node
        let start = Int(node.nameStart), count = Int(node.nameEnd - node.nameStart)
        var name = name
        return name.withUTF8 { wanted in
            guard wanted.count == count else { return false }
            return document.bytes.withUnsafeBufferPointer { bytes in
                for offset in 0..<count where bytes[start + offset] != wanted[offset] { return false }
                return true
            }
        }
    }

    /// The first child of that name.
    public func child(_ name: String) -> XMLElement? { children.first { $0.isNamed(name) } }

    /// The children of that name.
    public func all(_ name: String) -> [XMLElement] { children.filter { $0.isNamed(name) } }

    /// The trimmed text of the first child of that name; nil when absent or empty.
    public func value(_ name: String) -> String? { child(name)?.value }

    /// The element's trimmed text; nil when empty.
    public var value: String? {
        let text = text.trimmingWhitespace
        return text.isEmpty ? nil : text
    }

    /// Same name, text and children, in order.
    public static func == (lhs: XMLElement, rhs: XMLElement) -> Bool {
        lhs.name == rhs.name && lhs.text == rhs.text && lhs.children.elementsEqual(rhs.children)
    }

    public var description: String { "<\(name)>" }
}

public struct XMLLimits: Sendable {
    public var maxDepth: Int
    public var maxElements: Int
    public var maxTextBytes: Int
    /// Allows one `<!DOCTYPE name PUBLIC "…" "…">` before the root, with no internal subset
    /// (`[`): it declares nothing, and the DTD it names is never read.
    public var allowsExternalDoctype: Bool

    public init(maxDepth: Int = 32, maxElements: Int = 200_000, maxTextBytes: Int = 64 * 1024, allowsExternalDoctype: Bool = false) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxTextBytes = maxTextBytes
        self.allowsExternalDoctype = allowsExternalDoctype
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
        // The reader walks the bytes through a buffer pointer: every index it reads is checked
        // against the count by its own loop, so the array's check per byte is not needed.
        let (nodes, pieced) = try bytes.withUnsafeBufferPointer { buffer throws(XMLError) in
            var reader = Reader(bytes: buffer, limits: limits)
            try reader.document()
            return (reader.nodes, reader.pieced)
        }
        return XMLDocument(bytes: bytes, nodes: nodes, pieced: pieced).root
    }

    /// Raw text with its references resolved. The reader has checked every reference, so an
    /// unknown one cannot occur here; it would be kept as written.
    static func decoded<Bytes: RandomAccessCollection<UInt8>>(_ raw: Bytes) -> String where Bytes.Index == Int {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var position = raw.startIndex
        while position < raw.endIndex {
            if raw[position] == UInt8(ascii: "&"), let (scalar, end) = reference(raw, at: position) {
                out.append(contentsOf: String(scalar).utf8)
                position = end
            } else {
                out.append(raw[position])
                position += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The reference at `&`: the character it stands for and the index past its `;`; nil when it
    /// is not one of the five predefined entities or an allowed character reference.
    static func reference<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at position: Int) -> (Unicode.Scalar, Int)?
    where Bytes.Index == Int, Bytes.SubSequence: RandomAccessCollection<UInt8>, Bytes.SubSequence.Index == Int {
        guard let semicolon = bytes[position..<min(bytes.endIndex, position + 12)].firstIndex(of: UInt8(ascii: ";")) else {
            return nil
        }
        let name = bytes[(position + 1)..<semicolon]
        let scalar: Unicode.Scalar
        if name.elementsEqual("amp".utf8) {
            scalar = "&"
        } else if name.elementsEqual("lt".utf8) {
            scalar = "<"
        } else if name.elementsEqual("gt".utf8) {
            scalar = ">"
        } else if name.elementsEqual("quot".utf8) {
            scalar = "\""
        } else if name.elementsEqual("apos".utf8) {
            scalar = "'"
        } else {
            let text = String(decoding: name, as: UTF8.self)
            guard text.hasPrefix("#"),
                let value = text.hasPrefix("#x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text.dropFirst()),
                let character = Unicode.Scalar(value), value >= 0x20 || value == 0x9 || value == 0xA || value == 0xD
            else { return nil }
            scalar = character
        }
        return (scalar, semicolon + 1)
    }
}

private struct Open {
    var node: Int32
    var lastChild: Int32 = -1
    /// Raw bytes of text pieces kept so far (significant text only).
    var textBytes = 0
    /// Decoded text, once a second piece or a CDATA section makes one range not enough.
    var pieces: [UInt8]?
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: XMLLimits
    var index = 0
    var stack: [Open] = []
    var nodes: [XMLDocument.Node] = []
    var pieced: [Int32: String] = [:]
    var closedRoot = false
    var sawDoctype = false

    init(bytes: UnsafeBufferPointer<UInt8>, limits: XMLLimits) {
        self.bytes = bytes
        self.limits = limits
        nodes.reserveCapacity(bytes.count / 48)
    }

    mutating func document() throws(XMLError) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<") {
                try markup()
            } else {
                let start = index
                // Most of a document is text and indentation.
                var position = start
                var significant = false
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == UInt8(ascii: "<") { break }
                    if !Self.isSpace(byte) { significant = true }
                    position += 1
                }
                index = position
                guard significant else { continue }
                guard !stack.isEmpty else { throw .malformed("text outside the root element") }
                try text(start..<index)
            }
        }
        guard stack.isEmpty else { throw .malformed("unclosed element <\(name(of: stack[stack.count - 1].node))>") }
        guard closedRoot else { throw .malformed("no root element") }
    }

    /// One piece of markup at `<`.
    mutating func markup() throws(XMLError) {
        let next = index + 1 < bytes.count ? bytes[index + 1] : 0
        if next == UInt8(ascii: "?") {
            try skip(past: "?>")
        } else if next == UInt8(ascii: "!") {
            if starts("<!--") {
                try skip(past: "-->")
            } else if starts("<![CDATA[") {
                guard !stack.isEmpty else { throw .malformed("CDATA outside the root element") }
                index += 9
                let start = index
                try skip(past: "]]>")
                try piece(bytes[start..<(index - 3)], raw: false)
            } else if limits.allowsExternalDoctype, starts("<!DOCTYPE"), stack.isEmpty, nodes.isEmpty, !sawDoctype {
                sawDoctype = true
                try externalDoctype()
            } else {
                throw .declarationRefused
            }
        } else if next == UInt8(ascii: "/") {
            index += 2
            let (nameStart, nameEnd) = try readName()
            skipSpaces()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw .malformed("bad end tag") }
            index += 1
            guard let open = stack.popLast() else { throw .malformed("an end tag closes nothing open") }
            let node = nodes[Int(open.node)]
            guard bytes[nameStart..<nameEnd].elementsEqual(bytes[Int(node.nameStart)..<Int(node.nameEnd)]) else {
                throw .malformed("</\(String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self))> closes <\(name(of: open.node))>")
            }
            if let pieces = open.pieces { pieced[open.node] = String(decoding: pieces, as: UTF8.self) }
            if stack.isEmpty { closedRoot = true }
        } else {
            index += 1
            let (nameStart, nameEnd) = try readName()
            let selfClosing = try skipAttributes()
            guard nodes.count < limits.maxElements else { throw .tooManyElements }
            guard stack.count < limits.maxDepth else { throw .tooDeep }
            if stack.isEmpty {
                guard !closedRoot && nodes.isEmpty else { throw .malformed("more than one root element") }
            }
            let node = Int32(nodes.count)
            nodes.append(XMLDocument.Node(nameStart: Int32(nameStart), nameEnd: Int32(nameEnd)))
            if !stack.isEmpty {
                let parent = stack.count - 1
                if stack[parent].lastChild >= 0 {
                    nodes[Int(stack[parent].lastChild)].nextSibling = node
                } else {
                    nodes[Int(stack[parent].node)].firstChild = node
                }
                stack[parent].lastChild = node
            }
            if selfClosing {
                if stack.isEmpty { closedRoot = true }
            } else {
                stack.append(Open(node: node))
            }
        }
    }

    /// Significant raw text: its references are checked now, resolved when read.
    mutating func text(_ range: Range<Int>) throws(XMLError) {
        var position = range.lowerBound
        while let ampersand = bytes[position..<range.upperBound].firstIndex(of: UInt8(ascii: "&")) {
            guard let (_, end) = BoundedXML.reference(bytes[ampersand..<range.upperBound], at: ampersand) else { throw .entityRefused }
            position = end
        }
        try piece(bytes[range], raw: true)
    }

    /// A piece of the open element's text: the first raw one is kept as a range; a second, or
    /// CDATA, turns its text into decoded bytes.
    mutating func piece(_ piece: Slice<UnsafeBufferPointer<UInt8>>, raw: Bool) throws(XMLError) {
        let top = stack.count - 1
        stack[top].textBytes += piece.count
        guard stack[top].textBytes <= limits.maxTextBytes else { throw .textTooLong }
        let node = Int(stack[top].node)
        if raw && stack[top].pieces == nil && nodes[node].textStart < 0 {
            nodes[node].textStart = Int32(piece.startIndex)
            nodes[node].textEnd = Int32(piece.endIndex)
            return
        }
        if stack[top].pieces == nil {
            var pieces: [UInt8] = []
            if nodes[node].textStart >= 0 {
                pieces += BoundedXML.decoded(bytes[Int(nodes[node].textStart)..<Int(nodes[node].textEnd)]).utf8
                nodes[node].textStart = -1
                nodes[node].textEnd = -1
            }
            stack[top].pieces = pieces
        }
        stack[top].pieces! += raw ? Array(BoundedXML.decoded(piece).utf8) : Array(piece)
    }

    /// `<!DOCTYPE name PUBLIC "…" "…">` or `SYSTEM "…"`: read past; an internal subset refused.
    mutating func externalDoctype() throws(XMLError) {
        index += "<!DOCTYPE".utf8.count
        _ = try skipToTagEnd(
            limit: 1_024, forbidden: UInt8(ascii: "["), refused: .declarationRefused, tooLong: .declarationRefused,
            unterminated: .malformed("unterminated DOCTYPE"))
    }

    func name(of node: Int32) -> String {
        String(decoding: bytes[Int(nodes[Int(node)].nameStart)..<Int(nodes[Int(node)].nameEnd)], as: UTF8.self)
    }

    func starts(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return prefix.withUTF8Buffer { prefix in
            for offset in 0..<count where bytes[index + offset] != prefix[offset] { return false }
            return true
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

    mutating func readName() throws(XMLError) -> (Int, Int) {
        let start = index
        while index < bytes.count, Self.isNameByte(bytes[index]) { index += 1 }
        guard index > start, index - start <= 128 else { throw .malformed("bad element name") }
        return (start, index)
    }

    /// Reads past attributes to `>`; true for `/>`.
    mutating func skipAttributes() throws(XMLError) -> Bool {
        try skipToTagEnd(
            limit: limits.maxTextBytes, forbidden: nil, refused: .malformed("< inside a tag"), tooLong: .textTooLong,
            unterminated: .malformed("unterminated tag"))
    }

    /// Reads past quoted values to the `>` that ends a tag or declaration (true for `/>`): a `<`
    /// outside quotes, or `forbidden`, throws `refused`; more than `limit` bytes throw `tooLong`.
    mutating func skipToTagEnd(
        limit: Int, forbidden: UInt8?, refused: XMLError, tooLong: XMLError, unterminated: XMLError
    ) throws(XMLError) -> Bool {
        var quote: UInt8?
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "<") || byte == forbidden {
                throw refused
            } else if byte == UInt8(ascii: ">") {
                return index - 2 >= start && bytes[index - 2] == UInt8(ascii: "/")
            }
            guard index - start <= limit else { throw tooLong }
        }
        throw unterminated
    }

    mutating func skipSpaces() {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }
}

extension String {
    public var trimmingWhitespace: String {
        // Most values start and end with a printable ASCII byte: nothing to trim, no copy.
        if let first = utf8.first, let last = utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) {
            return self
        }
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
