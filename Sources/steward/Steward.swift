import ArgumentParser
import Foundation
import Hummingbird
import Logging
import StewardAgent
import StewardModel
import StewardSQLite
import StewardServer
import StewardStore

@main
struct Steward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward",
        abstract: "Steward: a self-hosted, privacy-first device management data service.",
        subcommands: [Quickstart.self, Initialise.self, Serve.self, TenantCommand.self, Migrate.self])
}

/// Options every command that opens the database shares; layered flags > env > file > defaults.
struct StoreOptions: ParsableArguments {
    @Option(help: "Data directory holding the database (default ./steward-data; env STEWARD_DATA_DIR).")
    var dataDir: String?

    @Option(help: "JSON configuration file (env STEWARD_CONFIG).")
    var config: String?

    func layers(_ flags: [ConfigurationLayers.Key: String?] = [:]) throws -> ConfigurationLayers {
        var all = flags
        all[ConfigurationLayers.dataDir] = dataDir
        return try ConfigurationLayers(flags: all, environment: ProcessInfo.processInfo.environment, configFile: config)
    }

    /// Opens (creating the directory when `create`) and migrates the store.
    func openStorage(_ layers: ConfigurationLayers, create: Bool) async throws -> SQLiteStorage {
        let directory = layers.value(ConfigurationLayers.dataDir)
        let path = (directory as NSString).appendingPathComponent("steward.sqlite")
        if create {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no Steward database in \(directory): run `steward init` first")
        }
        let storage = try SQLiteStorage(path: path)
        try await storage.migrate()
        return storage
    }
}

func makeLogger(_ layers: ConfigurationLayers) -> Logger {
    var logger = Logger(label: "steward")
    logger.logLevel = Logger.Level(rawValue: layers.value(ConfigurationLayers.logLevel)) ?? .info
    return logger
}

func printJSON(_ value: some Encodable) throws {
    let encoder = WireCoding.encoder()
    encoder.outputFormatting.insert(.prettyPrinted)
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct Initialise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the data directory, the database, the first tenant and its first admin.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Name of the first tenant.") var name = "Default"
    @Flag(help: "Print {\"tenantId\":…,\"adminToken\":…} only.") var json = false

    func run() async throws {
        let layers = try store.layers()
        let storage = try await store.openStorage(layers, create: true)
        if try await !storage.tenants().isEmpty {
            throw ValidationError(
                "\(layers.value(ConfigurationLayers.dataDir)) is already initialised; use `steward tenant create NAME` to add a tenant")
        }
        let created = try await TenantProvisioning(store: storage).createTenant(name: name)
        if json { return try printJSON(created) }
        print("""
            Initialised \(layers.value(ConfigurationLayers.dataDir)) with tenant '\(name)' (\(created.tenantId)).
            Admin API token (shown once; keep it safe):
              \(created.adminToken)
            Next: steward serve --data-dir \(layers.value(ConfigurationLayers.dataDir))
            """)
    }
}

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants (organisations) of this Steward.",
        subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tenant with its own first admin and API token.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The tenant's name.") var name: String
        @Flag(help: "Print {\"tenantId\":…,\"adminToken\":…} only.") var json = false

        func run() async throws {
            guard !name.isEmpty, name.count <= 200 else { throw ValidationError("the name must have 1 to 200 characters") }
            let storage = try await store.openStorage(try store.layers(), create: false)
            let created = try await TenantProvisioning(store: storage).createTenant(name: name)
            if json { return try printJSON(created) }
            print("Created tenant '\(name)' (\(created.tenantId)).\nAdmin API token (shown once):\n  \(created.adminToken)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let storage = try await store.openStorage(try store.layers(), create: false)
            for tenant in try await storage.tenants() {
                print("\(tenant.id)  \(tenant.name)  compliantAppFeature=\(tenant.compliantAppFeature)")
            }
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Only list the migrations that would be applied.") var dryRun = false

    func run() async throws {
        let layers = try store.layers()
        let path = (layers.value(ConfigurationLayers.dataDir) as NSString).appendingPathComponent("steward.sqlite")
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
        let storage = try SQLiteStorage(path: path)
        let pending = try await storage.pendingMigrations()
        if dryRun {
            print(pending.isEmpty ? "Up to date." : "Would apply:\n" + pending.map { "  " + $0 }.joined(separator: "\n"))
            return
        }
        try await storage.migrate()
        print(pending.isEmpty ? "Up to date." : "Applied:\n" + pending.map { "  " + $0 }.joined(separator: "\n"))
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the API until SIGINT or SIGTERM.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Address to listen on (default 127.0.0.1; env STEWARD_HOST).") var host: String?
    @Option(help: "Port to listen on (default 8080; 0 picks a free one; env STEWARD_PORT).") var port: Int?

    func run() async throws {
        let layers = try store.layers([ConfigurationLayers.host: host, ConfigurationLayers.port: port.map(String.init)])
        let logger = makeLogger(layers)
        let storage = try await store.openStorage(layers, create: false)
        let app = buildApplication(
            configuration: try layers.server(), dependencies: ServerDependencies(storage: storage, logger: logger),
            onServerRunning: { port in
                logger.notice("steward is serving", metadata: ["component": "server", "port": "\(port)"])
            })
        try await app.runService()
    }
}
