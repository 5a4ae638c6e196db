import Foundation

/// An attribute path: `userName`, `name.givenName`, `urn:…:enterprise:2.0:User:employeeNumber`.
public struct SCIMPath: Sendable, Equatable {
    /// The extension schema URN when the path names one (the core schemas' URNs are dropped).
    public var schema: String?
    public var attribute: String
    public var subAttribute: String?

    /// Parses `[URN ":"] ATTRNAME ["." subAttr]`.
    public init(_ text: String) throws(SCIMError) {
        var rest = Substring(text)
        if text.lowercased().hasPrefix("urn:") {
            // The attribute is after the URN's last colon.
            guard let colon = text.lastIndex(of: ":") else { throw SCIMError(400, .invalidPath, "Bad attribute path.") }
            let urn = String(text[..<colon])
            rest = text[text.index(after: colon)...]
            let core = [SCIMSchema.user, SCIMSchema.group]
            schema = core.contains { $0.caseInsensitiveCompare(urn) == .orderedSame } ? nil : urn
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, Self.isName(first), parts.count == 1 || Self.isName(parts[1]) else {
            throw SCIMError(400, .invalidPath, "Bad attribute path \"\(text.prefix(80))\".")
        }
        attribute = String(first)
        subAttribute = parts.count == 2 ? String(parts[1]) : nil
    }

    public init(attribute: String, subAttribute: String? = nil, schema: String? = nil) {
        self.schema = schema
        self.attribute = attribute
        self.subAttribute = subAttribute
    }

    static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "$" else { return false }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "$" } && text.count <= 64
    }

    /// The container the attribute lives in: the resource, or its extension's object.
    func container(in resource: SCIMValue) -> SCIMValue? {
        guard let schema else { return resource }
        return resource[schema]
    }

    /// Every value the path reaches: a multi-valued attribute gives each element (or each
    /// element's sub-attribute), so comparisons mean "any of".
    func values(in resource: SCIMValue) -> [SCIMValue] {
        guard let value = container(in: resource)?[attribute] else { return [] }
        let elements = value.array ?? [value]
        guard let subAttribute else {
            // A multi-valued complex attribute compares by its `value` (RFC 7644 §3.4.2.2).
            return elements.map { element in
                if case .object = element { return element["value"] ?? .null }
                return element
            }
        }
        return elements.compactMap { $0[subAttribute] }
    }

    /// `id` and `externalId` compare exactly; every other string ignores case (RFC 7643 §2.1:
    /// the attributes Steward maps are `caseExact: false`).
    var caseExact: Bool {
        subAttribute == nil && schema == nil && ["id", "externalid"].contains(attribute.lowercased())
    }
}

/// A SCIM filter (RFC 7644 §3.4.2.2): `and`/`or`/`not`, grouping, the nine comparisons, `pr`,
/// and value paths (`emails[type eq "work"]`). Bounded: 1,000 characters, 16 levels.
public indirect enum SCIMFilter: Sendable, Equatable {
    public enum Operator: String, Sendable { case eq, ne, co, sw, ew, gt, lt, ge, le }

    case present(SCIMPath)
    case compare(SCIMPath, Operator, SCIMValue)
    case valuePath(SCIMPath, SCIMFilter)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)
    case not(SCIMFilter)

    public static let maxLength = 1_000
    static let maxDepth = 16

    public init(_ text: String) throws(SCIMError) {
        guard text.count <= Self.maxLength else { throw SCIMError(400, .invalidFilter, "The filter is longer than 1,000 characters.") }
        var parser = Parser(tokens: try Lexer.tokens(text))
        self = try parser.filter(depth: 0)
        guard parser.atEnd else { throw SCIMError(400, .invalidFilter, "Unexpected text after the filter.") }
    }

    public func matches(_ resource: SCIMValue) -> Bool {
        switch self {
        case .present(let path):
            return path.values(in: resource).contains { value in
                switch value {
                case .null: false
                case .string(let text): !text.isEmpty
                case .array(let items): !items.isEmpty
                default: true
                }
            }
        case .compare(let path, let op, let operand):
            return path.values(in: resource).contains { Self.compare($0, op, operand, caseExact: path.caseExact) }
        case .valuePath(let path, let inner):
            guard let value = path.container(in: resource)?[path.attribute] else { return false }
            return (value.array ?? [value]).contains { inner.matches($0) }
        case .and(let left, let right): return left.matches(resource) && right.matches(resource)
        case .or(let left, let right): return left.matches(resource) || right.matches(resource)
        case .not(let inner): return !inner.matches(resource)
        }
    }

    /// Values an indexed lookup can use: `attribute eq "value"` at the top, or in every branch
    /// of an `and` (nil when the filter needs a scan).
    public func equality(on attribute: String) -> String? {
        switch self {
        case .compare(let path, .eq, .string(let value))
        where path.schema == nil && path.subAttribute == nil && path.attribute.caseInsensitiveCompare(attribute) == .orderedSame:
            return value
        case .and(let left, let right): return left.equality(on: attribute) ?? right.equality(on: attribute)
        default: return nil
        }
    }

    /// Whether the filter reads the attribute (so the resource it is run on must carry it).
    public func mentions(_ attribute: String) -> Bool {
        switch self {
        case .present(let path), .compare(let path, _, _): path.attribute.caseInsensitiveCompare(attribute) == .orderedSame
        case .valuePath(let path, _): path.attribute.caseInsensitiveCompare(attribute) == .orderedSame
        case .and(let left, let right), .or(let left, let right): left.mentions(attribute) || right.mentions(attribute)
        case .not(let inner): inner.mentions(attribute)
        }
    }

    static func compare(_ value: SCIMValue, _ op: Operator, _ operand: SCIMValue, caseExact: Bool) -> Bool {
        switch (value, operand) {
        case (.string(let a), .string(let b)):
            let (left, right) = caseExact ? (a, b) : (a.lowercased(), b.lowercased())
            switch op {
            case .eq: return left == right
            case .ne: return left != right
            case .co: return left.contains(right)
            case .sw: return left.hasPrefix(right)
            case .ew: return left.hasSuffix(right)
            case .gt: return left > right
            case .lt: return left < right
            case .ge: return left >= right
            case .le: return left <= right
            }
        case (.number(let a), .number(let b)):
            switch op {
            case .eq: return a == b
            case .ne: return a != b
            case .gt: return a > b
            case .lt: return a < b
            case .ge: return a >= b
            case .le: return a <= b
            case .co, .sw, .ew: return false
            }
        case (.bool(let a), .bool(let b)):
            return op == .eq ? a == b : op == .ne ? a != b : false
        case (.null, .null): return op == .eq
        case (_, .null): return op == .ne
        default: return op == .ne
        }
    }

    enum Token: Equatable {
        case word(String)
        case value(SCIMValue)
        case open, close, openBracket, closeBracket
    }

    enum Lexer {
        static func tokens(_ text: String) throws(SCIMError) -> [Token] {
            var tokens: [Token] = []
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                switch character {
                case " ", "\t": index = text.index(after: index)
                case "(": tokens.append(.open); index = text.index(after: index)
                case ")": tokens.append(.close); index = text.index(after: index)
                case "[": tokens.append(.openBracket); index = text.index(after: index)
                case "]": tokens.append(.closeBracket); index = text.index(after: index)
                case "\"":
                    // A JSON string, escapes included.
                    var end = text.index(after: index)
                    var escaped = false
                    while end < text.endIndex, escaped || text[end] != "\"" {
                        escaped = !escaped && text[end] == "\\"
                        end = text.index(after: end)
                    }
                    guard end < text.endIndex else { throw SCIMError(400, .invalidFilter, "A string in the filter is not closed.") }
                    let literal = String(text[index...end])
                    guard let decoded = try? JSONDecoder().decode(String.self, from: Data(literal.utf8)) else {
                        throw SCIMError(400, .invalidFilter, "A string in the filter is not valid.")
                    }
                    tokens.append(.value(.string(decoded)))
                    index = text.index(after: end)
                default:
                    var end = index
                    while end < text.endIndex, !" \t()[]\"".contains(text[end]) { end = text.index(after: end) }
                    let word = String(text[index..<end])
                    switch word.lowercased() {
                    case "true": tokens.append(.value(.bool(true)))
                    case "false": tokens.append(.value(.bool(false)))
                    case "null": tokens.append(.value(.null))
                    default:
                        if let number = Double(word), word.first.map({ $0.isNumber || $0 == "-" }) == true {
                            tokens.append(.value(.number(number)))
                        } else {
                            tokens.append(.word(word))
                        }
                    }
                    index = end
                }
            }
            return tokens
        }
    }

    struct Parser {
        var tokens: [Token]
        var position = 0

        var atEnd: Bool { position == tokens.count }

        mutating func next() -> Token? {
            guard position < tokens.count else { return nil }
            defer { position += 1 }
            return tokens[position]
        }

        func peekWord(_ word: String) -> Bool {
            guard position < tokens.count, case .word(let text) = tokens[position] else { return false }
            return text.lowercased() == word
        }

        mutating func filter(depth: Int) throws(SCIMError) -> SCIMFilter {
            guard depth < SCIMFilter.maxDepth else { throw SCIMError(400, .invalidFilter, "The filter is nested too deeply.") }
            var result = try conjunction(depth: depth)
            while peekWord("or") {
                position += 1
                result = .or(result, try conjunction(depth: depth))
            }
            return result
        }

        mutating func conjunction(depth: Int) throws(SCIMError) -> SCIMFilter {
            var result = try term(depth: depth)
            while peekWord("and") {
                position += 1
                result = .and(result, try term(depth: depth))
            }
            return result
        }

        mutating func term(depth: Int) throws(SCIMError) -> SCIMFilter {
            if peekWord("not") {
                position += 1
                guard next() == .open else { throw SCIMError(400, .invalidFilter, "\"not\" takes a filter in parentheses.") }
                let inner = try filter(depth: depth + 1)
                guard next() == .close else { throw SCIMError(400, .invalidFilter, "A parenthesis is not closed.") }
                return .not(inner)
            }
            switch next() {
            case .open:
                let inner = try filter(depth: depth + 1)
                guard next() == .close else { throw SCIMError(400, .invalidFilter, "A parenthesis is not closed.") }
                return inner
            case .word(let name):
                let path: SCIMPath
                do { path = try SCIMPath(name) } catch { throw SCIMError(400, .invalidFilter, error.detail) }
                if position < tokens.count, tokens[position] == .openBracket {
                    position += 1
                    let inner = try filter(depth: depth + 1)
                    guard next() == .closeBracket else { throw SCIMError(400, .invalidFilter, "A bracket is not closed.") }
                    return .valuePath(path, inner)
                }
                guard case .word(let opText)? = next() else { throw SCIMError(400, .invalidFilter, "Expected an operator after \(name).") }
                if opText.lowercased() == "pr" { return .present(path) }
                guard let op = Operator(rawValue: opText.lowercased()) else {
                    throw SCIMError(400, .invalidFilter, "Unknown operator \"\(opText.prefix(20))\".")
                }
                guard case .value(let operand)? = next() else {
                    throw SCIMError(400, .invalidFilter, "Expected a value after \(opText).")
                }
                return .compare(path, op, operand)
            default:
                throw SCIMError(400, .invalidFilter, "Expected an attribute, \"not\" or a parenthesis.")
            }
        }
    }
}
