import Foundation
import StewardModel

/// A property list value: what Apple's devices send and take, in XML or binary form.
public indirect enum PropertyList: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case real(Double)
    case bool(Bool)
    case date(Date)
    case data(Data)
    case array([PropertyList])
    case dictionary([String: PropertyList])

    public subscript(key: String) -> PropertyList? {
        if case .dictionary(let values) = self { return values[key] }
        return nil
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var data: Data? { if case .data(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var array: [PropertyList]? { if case .array(let value) = self { value } else { nil } }
    public var dictionary: [String: PropertyList]? { if case .dictionary(let value) = self { value } else { nil } }
    /// An integer, or a real with no fraction (devices send capacities as reals).
    public var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .real(let value): value
        default: nil
        }
    }

    /// The name of the value's type, as the XML form spells it (for error messages).
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .real: "real"
        case .bool: "boolean"
        case .date: "date"
        case .data: "data"
        case .array: "array"
        case .dictionary: "dict"
        }
    }
}

public enum PropertyListError: Error, Equatable, Sendable {
    case tooLarge
    case tooDeep
    case tooManyObjects
    case malformed(String)
    /// XML that its reader refused (a DTD with declarations, an unknown entity, …).
    case xml(XMLError)
    /// A key the protocol defines, with a value of another type.
    case wrongType(key: String, expected: String)
    case missingKey(String)
}

/// Reads and writes property lists, bounded: a size, a depth and an object count, whatever the form.
public enum PropertyListCoding {
    public struct Limits: Sendable {
        public var maxBytes: Int
        public var maxDepth: Int
        public var maxObjects: Int

        public init(maxBytes: Int = 4 * 1024 * 1024, maxDepth: Int = 24, maxObjects: Int = 200_000) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
            self.maxObjects = maxObjects
        }
    }

    /// XML (`<?xml …><plist>`) or binary (`bplist00`), told apart by their first bytes.
    public static func decode(_ bytes: [UInt8], limits: Limits = Limits()) throws(PropertyListError) -> PropertyList {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge }
        if bytes.starts(with: Array("bplist00".utf8)) {
            var reader = BinaryPropertyListReader(bytes: bytes, limits: limits)
            return try reader.read()
        }
        let root: XMLElement
        do {
            root = try BoundedXML.parse(
                bytes,
                limits: XMLLimits(
                    maxDepth: limits.maxDepth + 1, maxElements: limits.maxObjects, maxTextBytes: 256 * 1024, allowsExternalDoctype: true))
        } catch {
            throw .xml(error)
        }
        guard root.isNamed("plist") else { throw .malformed("the root element is <\(root.name)>, not <plist>") }
        var elements = root.children.makeIterator()
        guard let value = elements.next(), elements.next() == nil else { throw .malformed("<plist> holds one value") }
        return try xmlValue(value)
    }

    private static func xmlValue(_ element: XMLElement) throws(PropertyListError) -> PropertyList {
        switch element.name {
        case "string": return .string(element.text)
        case "integer":
            guard let value = Int64(element.text.trimmingWhitespace) else { throw .malformed("<integer> \(element.text.prefix(32))") }
            return .integer(value)
        case "real":
            guard let value = Double(element.text.trimmingWhitespace), value.isFinite else { throw .malformed("<real>") }
            return .real(value)
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "date":
            guard let value = ISO8601DateFormatter().date(from: element.text.trimmingWhitespace) else { throw .malformed("<date>") }
            return .date(value)
        case "data":
            let text = element.text.filter { !$0.isWhitespace }
            guard let value = Data(base64Encoded: text) else { throw .malformed("<data> is not base64") }
            return .data(value)
        case "array":
            var values: [PropertyList] = []
            for child in element.children { values.append(try xmlValue(child)) }
            return .array(values)
        case "dict":
            var values: [String: PropertyList] = [:]
            var children = element.children.makeIterator()
            while let key = children.next() {
                guard key.isNamed("key") else { throw .malformed("<dict> holds <\(key.name)> where a <key> belongs") }
                guard let value = children.next() else { throw .malformed("<key> \(key.text.prefix(64)) has no value") }
                guard values[key.text] == nil else { throw .malformed("<dict> repeats the key \(key.text.prefix(64))") }
                values[key.text] = try xmlValue(value)
            }
            return .dictionary(values)
        default:
            throw .malformed("<\(element.name)> is not a property list value")
        }
    }

    /// The XML form, keys sorted (so the same value always makes the same bytes).
    public static func encodeXML(_ value: PropertyList) -> Data {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
            <plist version="1.0">

            """
        write(value, to: &out, indent: "")
        out += "</plist>\n"
        return Data(out.utf8)
    }

    private static func write(_ value: PropertyList, to out: inout String, indent: String) {
        switch value {
        case .string(let text): out += "\(indent)<string>\(escaped(text))</string>\n"
        case .integer(let number): out += "\(indent)<integer>\(number)</integer>\n"
        case .real(let number): out += "\(indent)<real>\(number)</real>\n"
        case .bool(let flag): out += "\(indent)<\(flag)/>\n"
        case .date(let date): out += "\(indent)<date>\(ISO8601DateFormatter().string(from: date))</date>\n"
        case .data(let bytes): out += "\(indent)<data>\(bytes.base64EncodedString())</data>\n"
        case .array(let values):
            out += "\(indent)<array>\n"
            for element in values { write(element, to: &out, indent: indent + "\t") }
            out += "\(indent)</array>\n"
        case .dictionary(let values):
            out += "\(indent)<dict>\n"
            for key in values.keys.sorted() {
                out += "\(indent)\t<key>\(escaped(key))</key>\n"
                write(values[key]!, to: &out, indent: indent + "\t")
            }
            out += "\(indent)</dict>\n"
        }
    }

    private static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// `bplist00`: a header, objects, an offset table and a 32-byte trailer. Every offset and count
/// is checked against the bytes read, so a hostile file cannot point outside them, and a
/// reference cycle is cut by the depth limit.
struct BinaryPropertyListReader {
    let bytes: [UInt8]
    let limits: PropertyListCoding.Limits
    var offsets: [Int] = []
    var referenceSize = 0
    var objectsRead = 0

    init(bytes: [UInt8], limits: PropertyListCoding.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func read() throws(PropertyListError) -> PropertyList {
        guard bytes.count >= 8 + 32 else { throw .malformed("binary property list shorter than its trailer") }
        let trailer = bytes.count - 32
        let offsetSize = Int(bytes[trailer + 6])
        referenceSize = Int(bytes[trailer + 7])
        let count = try unsigned(at: trailer + 8, size: 8)
        let top = try unsigned(at: trailer + 16, size: 8)
        let table = try unsigned(at: trailer + 24, size: 8)
        guard (1...8).contains(offsetSize), (1...8).contains(referenceSize) else { throw .malformed("bad trailer sizes") }
        guard count > 0, count <= limits.maxObjects else { throw .tooManyObjects }
        guard top < count, table >= 8, table + count * offsetSize <= trailer else { throw .malformed("bad offset table") }
        offsets.reserveCapacity(count)
        for index in 0..<count {
            let offset = try unsigned(at: table + index * offsetSize, size: offsetSize)
            guard offset >= 8, offset < table else { throw .malformed("object offset out of range") }
            offsets.append(offset)
        }
        return try object(top, depth: 0)
    }

    func unsigned(at position: Int, size: Int) throws(PropertyListError) -> Int {
        guard position >= 0, size <= 8, position + size <= bytes.count else { throw .malformed("read past the end") }
        var value: UInt64 = 0
        for index in position..<(position + size) { value = value << 8 | UInt64(bytes[index]) }
        guard value <= UInt64(Int.max / 2) else { throw .malformed("number out of range") }
        return Int(value)
    }

    mutating func object(_ reference: Int, depth: Int) throws(PropertyListError) -> PropertyList {
        guard depth <= limits.maxDepth else { throw .tooDeep }
        guard reference < offsets.count else { throw .malformed("reference out of range") }
        objectsRead += 1
        guard objectsRead <= limits.maxObjects else { throw .tooManyObjects }
        let start = offsets[reference]
        let marker = bytes[start]
        let kind = marker >> 4
        let info = Int(marker & 0x0F)
        switch kind {
        case 0x0:
            switch marker {
            case 0x08: return .bool(false)
            case 0x09: return .bool(true)
            default: throw .malformed("unsupported marker \(marker)")
            }
        case 0x1:
            let size = 1 << info
            guard size <= 8, start + 1 + size <= bytes.count else { throw .malformed("bad integer") }
            var value: UInt64 = 0
            for index in (start + 1)...(start + size) { value = value << 8 | UInt64(bytes[index]) }
            return .integer(size == 8 ? Int64(bitPattern: value) : Int64(value))
        case 0x2:
            let size = 1 << info
            guard size == 4 || size == 8, start + 1 + size <= bytes.count else { throw .malformed("bad real") }
            var value: UInt64 = 0
            for index in (start + 1)...(start + size) { value = value << 8 | UInt64(bytes[index]) }
            let real = size == 4 ? Double(Float(bitPattern: UInt32(value))) : Double(bitPattern: value)
            guard real.isFinite else { throw .malformed("bad real") }
            return .real(real)
        case 0x3:
            guard marker == 0x33, start + 9 <= bytes.count else { throw .malformed("bad date") }
            var value: UInt64 = 0
            for index in (start + 1)...(start + 8) { value = value << 8 | UInt64(bytes[index]) }
            let seconds = Double(bitPattern: value)
            guard seconds.isFinite else { throw .malformed("bad date") }
            return .date(Date(timeIntervalSinceReferenceDate: seconds))
        case 0x4:
            let (length, first) = try length(info, at: start)
            guard first + length <= bytes.count else { throw .malformed("data past the end") }
            return .data(Data(bytes[first..<(first + length)]))
        case 0x5:
            let (length, first) = try length(info, at: start)
            guard first + length <= bytes.count else { throw .malformed("string past the end") }
            return .string(String(decoding: bytes[first..<(first + length)], as: UTF8.self))
        case 0x6:
            let (length, first) = try length(info, at: start)
            guard first + 2 * length <= bytes.count else { throw .malformed("string past the end") }
            var units: [UInt16] = []
            units.reserveCapacity(length)
            for index in 0..<length { units.append(UInt16(bytes[first + 2 * index]) << 8 | UInt16(bytes[first + 2 * index + 1])) }
            return .string(String(decoding: units, as: UTF16.self))
        case 0xA:
            let (count, first) = try length(info, at: start)
            guard first + count * referenceSize <= bytes.count else { throw .malformed("array past the end") }
            var values: [PropertyList] = []
            values.reserveCapacity(min(count, 1_024))
            for index in 0..<count {
                values.append(try object(try unsigned(at: first + index * referenceSize, size: referenceSize), depth: depth + 1))
            }
            return .array(values)
        case 0xD:
            let (count, first) = try length(info, at: start)
            guard first + 2 * count * referenceSize <= bytes.count else { throw .malformed("dictionary past the end") }
            var values: [String: PropertyList] = [:]
            for index in 0..<count {
                guard case .string(let key) = try object(try unsigned(at: first + index * referenceSize, size: referenceSize), depth: depth + 1)
                else { throw .malformed("a dictionary key that is not a string") }
                let value = try object(try unsigned(at: first + (count + index) * referenceSize, size: referenceSize), depth: depth + 1)
                guard values.updateValue(value, forKey: key) == nil else { throw .malformed("a dictionary repeats a key") }
            }
            return .dictionary(values)
        default:
            throw .malformed("unsupported object type \(kind)")
        }
    }

    /// A count in the marker's low nibble, or (0xF) in the integer object after it.
    func length(_ info: Int, at start: Int) throws(PropertyListError) -> (Int, Int) {
        guard info == 0x0F else { return (info, start + 1) }
        guard start + 2 <= bytes.count, bytes[start + 1] >> 4 == 0x1 else { throw .malformed("bad length") }
        let size = 1 << Int(bytes[start + 1] & 0x0F)
        let length = try unsigned(at: start + 2, size: size)
        guard length <= limits.maxBytes else { throw .tooLarge }
        return (length, start + 2 + size)
    }
}
