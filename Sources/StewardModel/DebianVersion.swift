/// Debian version numbers (`[epoch:]upstream[-revision]`), ordered as dpkg orders them.
public struct DebianVersion: Comparable, Sendable {
    public let epoch: Int
    public let upstream: String
    public let revision: String

    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 200, !text.contains(where: \.isWhitespace) else { return nil }
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":") {
            guard let epoch = Int(rest[..<colon]), epoch >= 0 else { return nil }
            self.epoch = epoch
            rest = rest[rest.index(after: colon)...]
        } else {
            epoch = 0
        }
        if let dash = rest.lastIndex(of: "-") {
            upstream = String(rest[..<dash])
            revision = String(rest[rest.index(after: dash)...])
        } else {
            upstream = String(rest)
            revision = ""
        }
        guard let first = upstream.first, first.isNumber else { return nil }
    }

    public static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool {
        if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch }
        let upstream = compare(lhs.upstream, rhs.upstream)
        if upstream != 0 { return upstream < 0 }
        return compare(lhs.revision, rhs.revision) < 0
    }

    public static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool {
        lhs.epoch == rhs.epoch && compare(lhs.upstream, rhs.upstream) == 0 && compare(lhs.revision, rhs.revision) == 0
    }

    /// dpkg's `verrevcmp`: alternating non-digit parts (letters before non-letters, `~` before
    /// everything, even the end) and digit parts compared as numbers.
    static func compare(_ a: String, _ b: String) -> Int {
        func order(_ c: Character?) -> Int {
            guard let c else { return 0 }
            if c == "~" { return -1 }
            if c.isNumber { return 0 }
            if c.isLetter { return Int(c.asciiValue ?? 0) }
            return Int(c.asciiValue ?? 0) + 256
        }
        let x = Array(a), y = Array(b)
        var i = 0, j = 0
        while i < x.count || j < y.count {
            while (i < x.count && !x[i].isNumber) || (j < y.count && !y[j].isNumber) {
                let ox = order(i < x.count ? x[i] : nil), oy = order(j < y.count ? y[j] : nil)
                if ox != oy { return ox < oy ? -1 : 1 }
                i += 1
                j += 1
            }
            while i < x.count && x[i] == "0" { i += 1 }
            while j < y.count && y[j] == "0" { j += 1 }
            var first = 0
            while i < x.count && x[i].isNumber && j < y.count && y[j].isNumber {
                if first == 0 { first = Int(x[i].asciiValue!) - Int(y[j].asciiValue!) }
                i += 1
                j += 1
            }
            if i < x.count && x[i].isNumber { return 1 }
            if j < y.count && y[j].isNumber { return -1 }
            if first != 0 { return first < 0 ? -1 : 1 }
        }
        return 0
    }

    /// Lowercase letters, digits and `+ - .`, starting with a letter or digit, at least two long.
    public static func isPackageName(_ name: String) -> Bool {
        guard name.utf8.count >= 2, name.utf8.count <= 100, let first = name.unicodeScalars.first,
            first.properties.isLowercase || ("0"..."9").contains(first)
        else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0) }
    }
}
