import Foundation
import StewardModel

/// The installed Debian packages, read from dpkg's status database — what `dpkg-query -W` lists
/// as installed — without running a process.
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
            guard let status = paragraph["Status"], status.split(separator: " ").last == "installed",
                let name = paragraph["Package"]
            else { continue }
            let architecture = paragraph["Architecture"] ?? "all"
            let appId = "\(name):\(architecture)"
            var app = AppRecord(
                appId: appId, name: name, version: paragraph["Version"],
                sizeBytes: paragraph["Installed-Size"].flatMap { Int64($0) }.map { $0 * 1024 }, installLocation: nil)
            if let old = previous[appId], old.name == app.name, old.version == app.version, old.sizeBytes == app.sizeBytes {
                app.installLocation = old.installLocation
            } else {
                app.installLocation = installLocation(name: name, architecture: architecture)
            }
            apps.append(app)
        }
        return apps.sorted { $0.appId < $1.appId }
    }

    /// Paragraphs of `Field: value` lines; continuation lines (starting with a space) are skipped,
    /// since none of the fields read here span lines.
    static func paragraphs(_ text: String) -> [[String: String]] {
        var result: [[String: String]] = []
        var current: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                if !current.isEmpty { result.append(current) }
                current = [:]
            } else if line.first != " " && line.first != "\t", let colon = line.firstIndex(of: ":") {
                current[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Where a package's files live: the deepest directory that holds all of its files, leaving
    /// out documentation, manuals and translations. "/" when they are spread over the tree.
    func installLocation(name: String, architecture: String) -> String? {
        let info = root.appendingPathComponent("var/lib/dpkg/info")
        guard let data = FileManager.default.contents(atPath: info.appendingPathComponent("\(name):\(architecture).list").path)
                ?? FileManager.default.contents(atPath: info.appendingPathComponent("\(name).list").path)
        else { return nil }
        let ignored = ["/usr/share/doc", "/usr/share/man", "/usr/share/locale", "/usr/share/lintian", "/usr/share/bug", "/usr/share/info"]
        let paths = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { $0 != "/." }.sorted()
        // Listed directories are parents of listed files; only files (leaves) decide the location.
        let leaves = paths.enumerated().filter { index, path in
            index + 1 >= paths.count || !paths[index + 1].hasPrefix(path + "/")
        }.map(\.element).filter { path in !ignored.contains { path.hasPrefix($0 + "/") } }
        guard var common = leaves.first.map({ ($0 as NSString).deletingLastPathComponent }) else { return nil }
        for leaf in leaves.dropFirst() {
            while common != "/" && !(leaf.hasPrefix(common + "/")) {
                common = (common as NSString).deletingLastPathComponent
            }
        }
        return common.isEmpty ? "/" : common
    }
}
