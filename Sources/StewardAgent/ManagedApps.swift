import Foundation
import StewardModel

/// What the device owner lets the agent do, from `agent.json` in the state directory (or
/// `--config`). Everything that changes the machine is off unless turned on here.
public struct AgentConfiguration: Codable, Sendable, Equatable {
    public struct Apps: Codable, Sendable, Equatable {
        /// Install and remove managed apps with apt.
        public var install: Bool
        /// Only these Debian packages, even when `install` is on.
        public var allow: [String]

        public init(install: Bool = false, allow: [String] = []) {
            self.install = install
            self.allow = allow
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            install = try container.decodeIfPresent(Bool.self, forKey: .install) ?? false
            allow = try container.decodeIfPresent([String].self, forKey: .allow) ?? []
        }
    }

    public var apps: Apps
    public var remoteTasks: RemoteTasks

    public init(apps: Apps = Apps(), remoteTasks: RemoteTasks = RemoteTasks()) {
        self.apps = apps
        self.remoteTasks = remoteTasks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apps = try container.decodeIfPresent(Apps.self, forKey: .apps) ?? Apps()
        remoteTasks = try container.decodeIfPresent(RemoteTasks.self, forKey: .remoteTasks) ?? RemoteTasks()
    }

    /// The file's configuration, or everything off when there is none.
    public static func load(_ url: URL) throws -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else { return AgentConfiguration() }
        do {
            return try JSONDecoder().decode(AgentConfiguration.self, from: data)
        } catch {
            throw AgentError.badConfiguration(url.path)
        }
    }
}

/// Installs and removes Debian packages. The real one runs apt-get; nothing else does.
public protocol PackageInstaller: Sendable {
    /// Returns the exit status.
    func install(_ package: String) throws -> Int32
    func remove(_ package: String) throws -> Int32
}

public struct AptInstaller: PackageInstaller {
    public init() {}

    public func install(_ package: String) throws -> Int32 { try run(["install", "-y", "--no-install-recommends", package]) }
    public func remove(_ package: String) throws -> Int32 { try run(["remove", "-y", package]) }

    private func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/apt-get")
        process.arguments = arguments
        process.environment = ["DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Applies managed-app instructions to this machine: detects each app with its rule and, where
/// the owner allowed it, installs or removes it; returns the state of every app, honestly
/// saying when the agent was not allowed to act.
public struct ManagedAppEvaluator: Sendable {
    public let platform: Platform
    public let configuration: AgentConfiguration
    public let installer: any PackageInstaller

    public init(platform: Platform, configuration: AgentConfiguration, installer: any PackageInstaller = AptInstaller()) {
        self.platform = platform
        self.configuration = configuration
        self.installer = installer
    }

    /// `installed` maps Debian package names to their installed version; `redetect` reads it
    /// again after apt ran.
    public func states(
        of apps: [ManagedAppInstruction], installed: [String: String], redetect: () throws -> [String: String]
    ) -> [AppStateReport] {
        var installed = installed
        return apps.map { app in
            guard app.platform == platform else { return AppStateReport(appId: app.appId, state: .notApplicable) }
            guard let package = app.detection.debianPackage else {
                return AppStateReport(appId: app.appId, state: .notApplicable, errorCode: "no_detection_rule")
            }
            func detected() -> Bool {
                guard let version = installed[package] else { return false }
                guard let minimum = app.detection.minimumVersion.flatMap(DebianVersion.init) else { return true }
                return DebianVersion(version).map { $0 >= minimum } ?? false
            }
            let allowed = configuration.apps.install && configuration.apps.allow.contains(package)
            let refusal = configuration.apps.install ? "not_allowed" : "install_disabled"
            switch app.intent {
            case .available:
                return AppStateReport(appId: app.appId, state: detected() ? .installed : .notInstalled)
            case .required:
                if detected() { return AppStateReport(appId: app.appId, state: .installed) }
                guard allowed else {
                    return AppStateReport(
                        appId: app.appId, state: .notInstalled,
                        errorCode: installed[package] != nil ? "below_minimum_version" : refusal)
                }
                let status = (try? installer.install(package)) ?? -1
                installed = (try? redetect()) ?? installed
                return detected()
                    ? AppStateReport(appId: app.appId, state: .installed)
                    : AppStateReport(appId: app.appId, state: .failed, errorCode: "apt_exit_\(status)")
            case .uninstall:
                guard installed[package] != nil else { return AppStateReport(appId: app.appId, state: .notInstalled) }
                guard allowed else { return AppStateReport(appId: app.appId, state: .installed, errorCode: refusal) }
                let status = (try? installer.remove(package)) ?? -1
                installed = (try? redetect()) ?? installed
                return installed[package] == nil
                    ? AppStateReport(appId: app.appId, state: .notInstalled)
                    : AppStateReport(appId: app.appId, state: .uninstallFailed, errorCode: "apt_exit_\(status)")
            }
        }
    }

    /// Package name → version, from an app inventory (`name:architecture` IDs).
    public static func packages(_ apps: [AppRecord]?) -> [String: String] {
        var result: [String: String] = [:]
        for app in apps ?? [] { result[app.name] = app.version ?? "" }
        return result
    }
}
