import Foundation
import StewardModel

/// The agent's state directory: its identity (`device.json`, mode 0600: it holds the device
/// secret) and what the server last acknowledged (`acknowledged.json`), written atomically.
public struct AgentState: Sendable {
    public struct Identity: Codable, Sendable, Equatable {
        public var server: String
        public var deviceId: DeviceID
        public var deviceSecret: String
        /// The one certificate the server is trusted by (PEM), from `--ca-file` or found by its
        /// pin at enrollment; nil: the system's roots.
        public var trustedCertificate: String?
    }

    /// The inventory the server holds, as far as the agent knows.
    public struct Acknowledged: Codable, Sendable, Equatable {
        public var hashes: SectionHashes
        /// The acknowledged app inventory, kept to send the next change as a delta.
        public var apps: [AppRecord]?
        public var policy: CollectionPolicy
        public var lastCheckInAt: Date?
        /// The apps this device manages, and their states as last reported.
        public var managedApps: ManagedAppsPolicy?
        public var appStates: [AppStateReport]?

        public init(hashes: SectionHashes, apps: [AppRecord]?, policy: CollectionPolicy, lastCheckInAt: Date?) {
            self.hashes = hashes
            self.apps = apps
            self.policy = policy
            self.lastCheckInAt = lastCheckInAt
        }
    }

    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    var identityURL: URL { directory.appendingPathComponent("device.json") }
    var acknowledgedURL: URL { directory.appendingPathComponent("acknowledged.json") }
    var diagnosticsURL: URL { directory.appendingPathComponent("diagnostics.json") }
    /// The owner's configuration (what the agent may change on this machine).
    public var configurationURL: URL { directory.appendingPathComponent("agent.json") }
    var tasksURL: URL { directory.appendingPathComponent("tasks.json") }

    /// What the agent did with a task it was handed: `acknowledged` while it runs, then its
    /// outcome. A task handed out again (its acknowledgement never reached the server) is
    /// reported from here, never run twice.
    public struct PerformedTaskRecord: Codable, Sendable, Equatable {
        public var id: RemoteTaskID
        public var state: RemoteTaskState
        public var code: String?
    }

    public func performedTasks() -> [PerformedTaskRecord] {
        guard let data = FileManager.default.contents(atPath: tasksURL.path) else { return [] }
        return (try? WireCoding.decoder().decode([PerformedTaskRecord].self, from: data)) ?? []
    }

    /// Records a task's state, keeping the newest `limit` tasks.
    public func recordPerformed(_ record: PerformedTaskRecord, limit: Int = 200) throws {
        var records = performedTasks().filter { $0.id != record.id }
        records.append(record)
        try write(Array(records.suffix(limit)), to: tasksURL)
    }

    /// The agent's own diagnostics not yet delivered (a failed check-in's error, say).
    public func pendingDiagnostics() -> [DiagnosticEvent] {
        guard let data = FileManager.default.contents(atPath: diagnosticsURL.path) else { return [] }
        return (try? WireCoding.decoder().decode([DiagnosticEvent].self, from: data)) ?? []
    }

    /// Keeps at most the newest `limit` events.
    public func savePendingDiagnostics(_ events: [DiagnosticEvent], limit: Int = 200) throws {
        try write(Array(events.suffix(limit)), to: diagnosticsURL)
    }

    public func identity() throws -> Identity? {
        guard let data = FileManager.default.contents(atPath: identityURL.path) else { return nil }
        return try WireCoding.decoder().decode(Identity.self, from: data)
    }

    public func acknowledged() -> Acknowledged? {
        guard let data = FileManager.default.contents(atPath: acknowledgedURL.path) else { return nil }
        return try? WireCoding.decoder().decode(Acknowledged.self, from: data)
    }

    public func save(_ identity: Identity) throws {
        try write(identity, to: identityURL)
    }

    public func save(_ acknowledged: Acknowledged) throws {
        try write(acknowledged, to: acknowledgedURL)
    }

    /// Forgets everything (after the server says the device no longer exists).
    public func erase() throws {
        for url in [identityURL, acknowledgedURL, diagnosticsURL, tasksURL] where FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
    }

    /// Writes to a temporary file created with mode 0600 and renames it into place, so a crash
    /// never leaves a half-written file and the secret is never readable by others.
    private func write(_ value: some Encodable, to url: URL) throws {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = try WireCoding.encoder().encode(value)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        if rename(temporary.path, url.path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
