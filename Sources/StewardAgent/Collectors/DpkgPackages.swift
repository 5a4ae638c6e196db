import Foundation
import StewardModel

/// The installed Debian packages, read from dpkg's status database — what `dpkg-query -W` lists
/// as installed — without running a process. Parsing works on UTF-8 bytes: splitting these files
/// by `Character` cost more than everything else in a check-in.
struct DpkgPackages: Sendable {
    let root: URL

    /// `known` apps with the same ID, version and size keep their install location: reading
    /// every package's file list is most of the cost of a check-in.
    func installed(known: [AppRecord] = []) throws -> [AppRecord] {
        let previous = Dictionary(known.map { ($0.appId, $0) }, uniquingKeysWith: { first, _ in first })
        let statusPath = root.appendingPathComponent("var/lib/dpkg/status").path
        guard let data = FileManager.default.contents(atPath: statusPath) else { return [] }
        var apps: [AppRecord] = []
        for paragraph in Self.paragraphs(String(decoding: data, as: UTF8.self)) {
            // "install ok installed", "hold ok installed": the last word is the state.
            guard let status = paragraph.status, status.hasSuffix(" installed"), let name = paragraph.package else { continue }
            let architecture = paragraph.architecture ?? "all"
            let appId = "\(name):\(architecture)"
            var app = AppRecord(
                appId: appId, name: name, version: paragraph.version,
                sizeBytes: paragraph.installedSize.flatMap { Int64($0) }.map { $0 * 1024 }, installLocation: nil)
            if let old = previous[appId], old.name == app.name, old.version == app.version, old.sizeBytes == app.sizeBytes {
                app.installLocation = old.installLocation
            } else {
                app.installLocation = installLocation(name: name, architecture: architecture)
            }
            apps.append(app)
        }
        return apps.sorted { $0.appId < $1.appId }
    }

    /// The fields of one status paragraph that Steward reads.
    struct Paragraph {
        var package: String?
        var status: String?
        var architecture: String?
        var version: String?
        var installedSize: String?
        var isEmpty: Bool { package == nil && status == nil }
    }

    /// Paragraphs of `Field: value` lines. Continuation lines (starting with a space) belong to
    /// multi-line fields such as Description, which are not read.
    static func paragraphs(_ text: String) -> [Paragraph] {
        var result: [Paragraph] = []
        var current = Paragraph()
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard let first = line.first else {
                if !current.isEmpty { result.append(current) }
                current = Paragraph()
                continue
            }
            guard first != UInt8(ascii: " "), first != UInt8(ascii: "\t"),
                let colon = line.firstIndex(of: UInt8(ascii: ":"))
            else { continue }
            let key = Substring(line[..<colon])
            let value = { String(Substring(line[line.index(after: colon)...])).trimmingCharacters(in: .whitespaces) }
            switch key {
            case "Package": current.package = value()
            case "Status": current.status = value()
            case "Architecture": current.architecture = value()
            case "Version": current.version = value()
            case "Installed-Size": current.installedSize = value()
            default: break
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    static let ignoredTrees: [Substring] = [
        "/usr/share/doc/", "/usr/share/man/", "/usr/share/locale/", "/usr/share/lintian/", "/usr/share/bug/",
        "/usr/share/info/",
    ]

    /// Where a package's files live: the deepest directory that holds all of its files, leaving
    /// out documentation, manuals and translations. "/" when they are spread over the tree.
    func installLocation(name: String, architecture: String) -> String? {
        let info = root.appendingPathComponent("var/lib/dpkg/info")
        guard let data = FileManager.default.contents(atPath: info.appendingPathComponent("\(name):\(architecture).list").path)
                ?? FileManager.default.contents(atPath: info.appendingPathComponent("\(name).list").path)
        else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // Listed directories are parents of listed files; only files (leaves) decide the location.
        var paths = Set<Substring>()
        var parents = Set<Substring>()
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let path = Substring(line)
            guard path != "/." else { continue }
            paths.insert(path)
            parents.insert(Self.directory(of: path))
        }
        let allLeaves = paths.subtracting(parents)
        let leaves = allLeaves.filter { leaf in !Self.ignoredTrees.contains { leaf.utf8.starts(with: $0.utf8) } }
        // A package of documentation only is located by its documentation.
        guard var common = (leaves.first ?? allLeaves.first).map(Self.directory(of:)) else { return nil }
        for leaf in leaves.isEmpty ? allLeaves : leaves where common != "/" {
            while common != "/" && !Self.isInside(leaf, common) { common = Self.directory(of: common) }
        }
        return String(common)
    }

    /// Byte-wise `path` starts with `directory + "/"` (no Unicode processing needed for paths).
    static func isInside(_ path: Substring, _ directory: Substring) -> Bool {
        path.utf8.starts(with: directory.utf8) && path.utf8.dropFirst(directory.utf8.count).first == UInt8(ascii: "/")
    }

    static func directory(of path: Substring) -> Substring {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.startIndex else { return "/" }
        return path[..<slash]
    }
}
