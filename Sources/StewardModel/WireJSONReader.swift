import Foundation

/// JSON read by hand, front to back, into the caller's own types: for the few shapes read on hot
/// paths (a stored device's network interfaces), where the generic decoder's boxing cost more
/// than the read. Strict RFC 8259: one value, no trailing commas or comments, strings must be
/// valid UTF-8; nesting is bounded; members the caller does not know are skipped.
public struct WireJSONReader {
    public struct Malformed: Error, Equatable {
        public let offset: Int
    }

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    private let maxDepth: Int

    public init(_ bytes: [UInt8], maxDepth: Int = 32) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    public init(_ text: String, maxDepth: Int = 32) { self.init(Array(text.utf8), maxDepth: maxDepth) }

    /// The members of one object read so far, one bit each: a member named twice is refused.
    public struct Members {
        private var bits: UInt8 = 0
        public init() {}

        /// Throws when the member of this bit was read before.
        public mutating func first(_ bit: UInt8) throws {
            guard bits & bit == 0 else { throw Malformed(offset: -1) }
            bits |= bit
        }
    }

    /// Reads the one value with `body` and checks nothing follows it.
    public static func read<T>(_ text: String, _ body: (inout WireJSONReader) throws -> T) throws -> T {
        var reader = WireJSONReader(text)
        let value = try body(&reader)
        try reader.end()
        return value
    }

    private func malformed() -> Malformed { Malformed(offset: position) }

    /// Where the next value starts (after any whitespace).
    public mutating func nextValueOffset() throws -> Int {
        _ = try peek()
        return position
    }

    /// Where the reader is: past the last value read.
    public var offset: Int { position }

    /// Throws unless only whitespace is left.
    public mutating func end() throws {
        skipWhitespace()
        guard position == bytes.count else { throw malformed() }
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw malformed() }
        return bytes[position]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try peek() == byte else { throw malformed() }
        position += 1
    }

    private mutating func literal(_ word: StaticString) throws {
        let length = word.utf8CodeUnitCount
        guard position + length <= bytes.count else { throw malformed() }
        let matches = word.withUTF8Buffer { $0.elementsEqual(bytes[position..<(position + length)]) }
        guard matches else { throw malformed() }
        position += length
    }

    /// Consumes a `null` if one is next.
    public mutating func null() throws -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    public mutating func bool() throws -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw malformed()
        }
    }

    /// An integer that fits in 64 bits (no fraction or exponent).
    public mutating func int64() throws -> Int64 {
        _ = try peek()
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let start = position
        var magnitude: UInt64 = 0
        while position < bytes.count, case let digit = bytes[position] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { throw malformed() }
            magnitude = sum
            position += 1
        }
        // At least one digit, no leading zero, and nothing a wider number would continue with.
        guard position > start, bytes[start] != UInt8(ascii: "0") || position == start + 1 else { throw malformed() }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) {
            throw malformed()
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw malformed() }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw malformed() }
        return Int64(magnitude)
    }

    public mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = position
        // The common case, no escape: the bytes as they are, checked as UTF-8 — and ASCII (most
        // of what agents send) needs no check: the generic validation cost more than the read.
        var ascii = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                if ascii {
                    return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<position]), as: UTF8.self) }
                }
                guard let text = String(validating: bytes[start..<position], as: UTF8.self) else { throw malformed() }
                return text
            }
            ascii = ascii && byte < 0x80
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw malformed() }
            position += 1
        }
        var unescaped = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: unescaped, as: UTF8.self) else { throw malformed() }
                return text
            case UInt8(ascii: "\\"):
                try unescape(into: &unescaped)
            case 0..<0x20:
                throw malformed()
            default:
                unescaped.append(byte)
            }
        }
        throw malformed()
    }

    private mutating func unescape(into text: inout [UInt8]) throws {
        guard position < bytes.count else { throw malformed() }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                else { throw malformed() }
                position += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw malformed() }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw malformed() }
            text.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw malformed()
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count, let value = Hex.value4(bytes[position..<(position + 4)]) else { throw malformed() }
        position += 4
        return value
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= maxDepth else { throw malformed() }
    }

    /// An array, `element` called for each element.
    public mutating func array(_ element: (inout WireJSONReader) throws -> Void) throws {
        try sequence(opening: UInt8(ascii: "["), closing: UInt8(ascii: "]"), element)
    }

    /// An object, `member` called with each key to read its value (or `skip()` it).
    public mutating func object(_ member: (inout WireJSONReader, String) throws -> Void) throws {
        try sequence(opening: UInt8(ascii: "{"), closing: UInt8(ascii: "}")) { reader in
            let key = try reader.string()
            try reader.expect(UInt8(ascii: ":"))
            try member(&reader, key)
        }
    }

    /// Comma-separated items between two brackets, one nesting level deeper.
    private mutating func sequence(opening: UInt8, closing: UInt8, _ item: (inout WireJSONReader) throws -> Void) throws {
        try expect(opening)
        try enter()
        defer { depth -= 1 }
        if try peek() == closing {
            position += 1
            return
        }
        while true {
            try item(&self)
            switch try peek() {
            case UInt8(ascii: ","): position += 1
            case closing: position += 1; return
            default: throw malformed()
            }
        }
    }

    /// Reads past any one value.
    public mutating func skip() throws {
        switch try peek() {
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skip() }
        case UInt8(ascii: "["): try array { reader in try reader.skip() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): try literal("null")
        default: try number()
        }
    }

    /// Any JSON number, read past.
    private mutating func number() throws {
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() throws {
            let start = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            guard position > start else { throw malformed() }
        }
        let integerStart = position
        try digits()
        guard bytes[integerStart] != UInt8(ascii: "0") || position == integerStart + 1 else { throw malformed() }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            try digits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            try digits()
        }
    }
}

extension NetworkInterface {
    /// The stored interfaces (`devices.network_interfaces`), read without the generic decoder.
    public static func stored(_ json: String) throws -> [NetworkInterface] {
        try WireJSONReader.read(json) { reader in
            var interfaces: [NetworkInterface] = []
            try reader.array { reader in
                var name: String?
                var ipAddresses: [String]?
                var interface = NetworkInterface(name: "", macAddress: nil, ipAddresses: [])
                try reader.object { reader, key in
                    switch key {
                    case "name": name = try reader.string()
                    case "macAddress": interface.macAddress = try reader.null() ? nil : try reader.string()
                    case "wireless": interface.wireless = try reader.null() ? nil : try reader.bool()
                    case "ipAddresses":
                        var addresses: [String] = []
                        try reader.array { reader in addresses.append(try reader.string()) }
                        ipAddresses = addresses
                    default: try reader.skip()
                    }
                }
                // Both required, as the generic decoder requires them.
                guard let name, let ipAddresses else { throw WireJSONReader.Malformed(offset: 0) }
                interface.name = name
                interface.ipAddresses = ipAddresses
                interfaces.append(interface)
            }
            return interfaces
        }
    }
}

extension AppRecord {
    /// One app object as the generic decoder reads it: `appId` and `name` required, the rest
    /// optional or null, unknown members skipped; a member named twice is refused.
    static func read(_ reader: inout WireJSONReader) throws -> AppRecord {
        var appId: String?, name: String?, version: String?, sizeBytes: Int64?, installLocation: String?
        var seen = WireJSONReader.Members()
        try reader.object { reader, key in
            switch key {
            case "appId": try seen.first(1); appId = try reader.string()
            case "name": try seen.first(2); name = try reader.string()
            case "version": try seen.first(4); version = try reader.null() ? nil : try reader.string()
            case "sizeBytes": try seen.first(8); sizeBytes = try reader.null() ? nil : try reader.int64()
            case "installLocation": try seen.first(16); installLocation = try reader.null() ? nil : try reader.string()
            default: try reader.skip()
            }
        }
        guard let appId, let name else { throw WireJSONReader.Malformed(offset: reader.offset) }
        return AppRecord(appId: appId, name: name, version: version, sizeBytes: sizeBytes, installLocation: installLocation)
    }
}

extension SectionHashes {
    /// The hashes object as the generic decoder reads it (each a string or null, unknown
    /// members skipped); a member named twice is refused.
    static func read(_ reader: inout WireJSONReader) throws -> SectionHashes {
        var hashes = SectionHashes()
        var seen = WireJSONReader.Members()
        try reader.object { reader, key in
            let bit: UInt8
            switch key {
            case "hardware": bit = 1
            case "operatingSystem": bit = 2
            case "network": bit = 4
            case "apps": bit = 8
            default: return try reader.skip()
            }
            try seen.first(bit)
            let value = try reader.null() ? nil : try reader.string()
            switch bit {
            case 1: hashes.hardware = value
            case 2: hashes.operatingSystem = value
            case 4: hashes.network = value
            default: hashes.apps = value
            }
        }
        return hashes
    }
}

extension AppsDelta {
    /// The delta object as the generic decoder reads it: all three members required.
    static func read(_ reader: inout WireJSONReader) throws -> AppsDelta {
        var baseHash: String?, upserted: [AppRecord]?, removed: [String]?
        try reader.object { reader, key in
            switch key {
            case "baseHash":
                guard baseHash == nil else { throw WireJSONReader.Malformed(offset: -1) }
                baseHash = try reader.string()
            case "upserted":
                guard upserted == nil else { throw WireJSONReader.Malformed(offset: -1) }
                var list: [AppRecord] = []
                try reader.array { reader in list.append(try AppRecord.read(&reader)) }
                upserted = list
            case "removed":
                guard removed == nil else { throw WireJSONReader.Malformed(offset: -1) }
                var list: [String] = []
                try reader.array { reader in list.append(try reader.string()) }
                removed = list
            default: try reader.skip()
            }
        }
        guard let baseHash, let upserted, let removed else { throw WireJSONReader.Malformed(offset: -1) }
        return AppsDelta(baseHash: baseHash, upserted: upserted, removed: removed)
    }
}

/// A request body with a hand-read path for its common shapes: `WireCoding.decode` asks it first
/// and falls back to the generic decoder (and its error answers) whenever it returns nil.
public protocol WireQuicklyDecodable: Decodable {
    static func quicklyDecoded(_ bytes: [UInt8]) -> Self?
}

extension CheckInRequest: WireQuicklyDecodable {
    /// The commonest check-ins read by hand: a heartbeat or an app delta (hashes, agent version,
    /// managed-apps version, the delta, nothing else) whole, and a full inventory's app list, its few other sections
    /// left to the generic decoder (the list was most of its decoding). Nil whenever the body is
    /// anything else — a member named twice, another section without an app list, anything the
    /// hand reader does not take — and the generic decoder then reads the whole body and gives
    /// its errors. Whatever this returns, the generic decoder returns too
    /// (`CheckInQuickDecodeTests` holds it on bent bodies).
    public static func quicklyDecoded(_ bytes: [UInt8]) -> CheckInRequest? {
        var reader = WireJSONReader(bytes)
        var apps: [AppRecord]?
        var appsRange: Range<Int>?
        var hashes: SectionHashes?
        var agentVersion: String?
        var managedAppsVersion: Int64?
        var appsDelta: AppsDelta?
        var otherMembers = false
        do {
            // A known member named twice is refused (then the generic decoder answers); an unknown
            // one goes to the generic decoder anyway.
            var seen = WireJSONReader.Members()
            try reader.object { reader, key in
                switch key {
                case "apps":
                    try seen.first(1)
                    let start = try reader.nextValueOffset()
                    var list: [AppRecord] = []
                    try reader.array { reader in list.append(try AppRecord.read(&reader)) }
                    (apps, appsRange) = (list, start..<reader.offset)
                case "hashes": try seen.first(2); hashes = try SectionHashes.read(&reader)
                case "agentVersion": try seen.first(4); agentVersion = try reader.null() ? nil : try reader.string()
                case "managedAppsVersion": try seen.first(8); managedAppsVersion = try reader.null() ? nil : try reader.int64()
                case "appsDelta": try seen.first(16); appsDelta = try reader.null() ? nil : try AppsDelta.read(&reader)
                default:
                    otherMembers = true
                    try reader.skip()
                }
            }
            try reader.end()
        } catch {
            return nil
        }
        guard let hashes else { return nil }
        guard let apps, let appsRange else {
            return otherMembers
                ? nil
                : CheckInRequest(agentVersion: agentVersion, hashes: hashes, appsDelta: appsDelta, managedAppsVersion: managedAppsVersion)
        }
        guard otherMembers else {
            return CheckInRequest(
                agentVersion: agentVersion, hashes: hashes, apps: apps, appsDelta: appsDelta, managedAppsVersion: managedAppsVersion)
        }
        var rest = bytes
        rest.replaceSubrange(appsRange, with: "null".utf8)
        guard var request = try? WireCoding.decoder().decode(CheckInRequest.self, from: Data(rest)) else { return nil }
        request.apps = apps
        return request
    }
}
