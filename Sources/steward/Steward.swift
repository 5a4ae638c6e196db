import ArgumentParser
import Foundation
import Hummingbird
import Logging
import StewardAgent
import StewardModel
import StewardPostgres
import StewardSQLite
import StewardServer
import StewardStore
import StewardTLS

@main
struct Steward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward",
        abstract: "Steward: a self-hosted, privacy-first device management data service.",
        version: AgentVersion.current,
        subcommands: [
            Quickstart.self, Initialise.self, Serve.self, TenantCommand.self, AdminCommand.self, AuditCommand.self,
            PrivacyCommand.self, SupportCommand.self, AppProtectionCommand.self, ReportCommand.self, Migrate.self, BackupCommand.self, RestoreCommand.self,
        ])
}

/// Options every command that opens the database shares; layered flags > env > file > defaults.
struct StoreOptions: ParsableArguments {
    @Option(help: "Data directory holding the SQLite database (default ./steward-data; env STEWARD_DATA_DIR).")
    var dataDir: String?

    @Option(help: "PostgreSQL URL (postgres://user@host:5432/db?sslmode=disable); default: SQLite in the data directory (env STEWARD_DATABASE_URL).")
    var database: String?

    @Option(help: "JSON configuration file (env STEWARD_CONFIG).")
    var config: String?

    @Option(help: "The deployment's master key file (default: master.key in the data directory; env STEWARD_MASTER_KEY_FILE).")
    var masterKeyFile: String?

    func layers(_ flags: [ConfigurationLayers.Key: String?] = [:]) throws -> ConfigurationLayers {
        var all = flags
        all[ConfigurationLayers.dataDir] = dataDir
        all[ConfigurationLayers.database] = database
        all[ConfigurationLayers.masterKeyFile] = masterKeyFile
        return try ConfigurationLayers(flags: all, environment: ProcessInfo.processInfo.environment, configFile: config)
    }

    /// Opens the store the layers name, without migrating. `create` makes the SQLite data
    /// directory; without it a missing SQLite database is an error (run `steward init`).
    func openUnmigrated(_ layers: ConfigurationLayers, create: Bool) throws -> any Storage {
        let url = layers.value(ConfigurationLayers.database)
        if !url.isEmpty {
            return try PostgresStorage(url: url, leaseTimeout: try layers.databaseWait(), logger: makeLogger(layers))
        }
        let directory = layers.value(ConfigurationLayers.dataDir)
        let path = (directory as NSString).appendingPathComponent("steward.sqlite")
        if create {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if !FileManager.default.fileExists(atPath: path) {
            throw CommandFailure("no Steward database in \(directory): run `steward init` first")
        }
        return try SQLiteStorage(path: path, busyTimeout: try layers.databaseWait())
    }

    /// Opens and migrates the store.
    func openStorage(_ layers: ConfigurationLayers, create: Bool) async throws -> any Storage {
        let storage = try openUnmigrated(layers, create: create)
        do {
            try await storage.migrate()
        } catch {
            await storage.close()
            throw error
        }
        return storage
    }

    /// The deployment's master key, checked against the one the database was first used with.
    func masterKey(_ layers: ConfigurationLayers, for storage: any Storage, create: Bool) async throws -> MasterKey {
        do {
            let key = try layers.masterKey(create: create)
            try await key.ensureMatches(storage, describing: layers.masterKeyPath)
            return key
        } catch {
            await storage.close()
            throw error
        }
    }

    /// The flags naming this store again, for the commands a message suggests (the database
    /// URL only as the environment variable, never its password on a screen).
    func flags(_ layers: ConfigurationLayers) -> String {
        if !layers.value(ConfigurationLayers.database).isEmpty { return "(with STEWARD_DATABASE_URL set as now)" }
        return "--data-dir \(layers.value(ConfigurationLayers.dataDir))"
    }

    /// Where the data lives, for messages (never the password of a database URL).
    func describe(_ layers: ConfigurationLayers) -> String {
        let url = layers.value(ConfigurationLayers.database)
        guard !url.isEmpty, var components = URLComponents(string: url) else { return layers.value(ConfigurationLayers.dataDir) }
        components.password = nil
        components.query = nil
        return components.string ?? "PostgreSQL"
    }
}

func makeLogger(_ layers: ConfigurationLayers) -> Logger {
    StewardLogHandler.bootstrap()
    var logger = Logger(label: "steward")
    logger.logLevel = Logger.Level(rawValue: layers.value(ConfigurationLayers.logLevel)) ?? .info
    return logger
}

/// Runs a server, turning a taken port into advice instead of a socket error.
func serving(host: String, port: Int, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch where String(describing: error).contains("Address already in use") {
        throw CommandFailure("\(host):\(port) is already in use: choose another --port (0 picks a free one)")
    }
}

/// How to run this binary again: `swift run steward` from a package build (its binary is not
/// on PATH), else `steward`.
func stewardCommand() -> String {
    CommandLine.arguments.first?.contains("/.build") == true ? "swift run steward" : "steward"
}

/// Sizes in binary units with their binary names (GiB, not "GB").
func binaryBytes(_ value: Int64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var size = Double(value)
    var unit = 0
    while size >= 1024 && unit < units.count - 1 {
        size /= 1024
        unit += 1
    }
    return unit == 0 ? "\(value) bytes" : String(format: "%.1f %@", size, units[unit])
}

/// A failure explained in one line (no usage text, unlike `ValidationError`).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
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
    @Option(help: ArgumentHelp(
        "Also make a self-signed TLS certificate for this host name (or address), and its key, in the data directory.",
        discussion: "Serve with `steward serve --tls-cert DIR/tls.crt --tls-key DIR/tls.key`; agents trust it by the pin printed."))
    var selfSigned: String?

    func run() async throws {
        let layers = try store.layers()
        let tlsNote = try selfSigned.map { try Self.makeCertificate(for: $0, in: layers.value(ConfigurationLayers.dataDir)) }
        let storage = try await store.openStorage(layers, create: true)
        if try await !storage.tenants().isEmpty {
            await storage.close()
            throw CommandFailure("\(store.describe(layers)) is already initialised; use `steward tenant create NAME` to add a tenant")
        }
        let masterKey = try await store.masterKey(layers, for: storage, create: true)
        let created = try await TenantProvisioning(store: storage, masterKey: masterKey).createTenant(name: name)
        await storage.close()
        if let tlsNote {
            // With --json, stdout is the JSON alone.
            if json { FileHandle.standardError.write(Data((tlsNote + "\n").utf8)) } else { print(tlsNote) }
        }
        if json { return try printJSON(created) }
        print("""
            Initialised \(store.describe(layers)) with tenant '\(name)' (\(created.tenantId)).
            Admin API token (shown once; keep it safe):
              \(created.adminToken)
            The master key is in \(layers.masterKeyPath): back it up, and give every replica the same file.
            Next: \(stewardCommand()) admin reset-password admin \(store.flags(layers))  (a console password)
                  \(stewardCommand()) serve \(store.flags(layers))
            """)
    }
}

extension Initialise {
    /// Writes tls.crt and tls.key (0600) into the data directory; returns what to tell the user.
    static func makeCertificate(for name: String, in directory: String) throws -> String {
        guard !name.isEmpty, name.utf8.count <= 253, !name.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            throw ValidationError("--self-signed takes a host name or an IP address")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let certificate = (directory as NSString).appendingPathComponent("tls.crt")
        let key = (directory as NSString).appendingPathComponent("tls.key")
        // The name asked for, and loopback, so the machine itself can connect by either.
        let names = [name] + ["localhost", "127.0.0.1", "::1"].filter { $0 != name }
        let pin: String
        do {
            pin = try SelfSignedCertificate.write(names: names, certificatePath: certificate, keyPath: key, now: Date())
        } catch {
            throw CommandFailure("cannot make the certificate: \(error)")
        }
        return """
            TLS certificate for \(names.joined(separator: ", ")) (self-signed, 825 days): \(certificate)
            Its key (keep it private): \(key)
            Serve HTTPS with: --tls-cert \(certificate) --tls-key \(key)
            Agents trust it with: --pin-sha256 \(pin)
            """
    }
}

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants (organisations) of this Steward.",
        subcommands: [Create.self, List.self, Subscription.self])

    /// The operator sets what a tenant's subscription covers; enrollment and user creation
    /// refuse past it (`license_limit_reached`).
    struct Subscription: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a tenant's plan and licensed device and user counts (audited).")
        @OptionGroup var target: AdminCommand.Target
        @Option(help: "trial, standard or enterprise.") var plan: String?
        @Option(help: "Licensed devices (0: unlimited).") var devices: Int?
        @Option(help: "Licensed users (0: unlimited).") var users: Int?

        func run() async throws {
            let plan = try self.plan.map { text in
                guard let plan = SubscriptionPlan(rawValue: text) else { throw ValidationError("--plan is trial, standard or enterprise") }
                return plan
            }
            for count in [devices, users].compactMap({ $0 }) where count < 0 || count > 10_000_000 {
                throw ValidationError("counts are from 0 (unlimited) to 10,000,000")
            }
            let (storage, tenantID, _, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let (devices, users) = (self.devices, self.users)
            let account = try await storage.updateAccount(tenantID) { old in
                var new = old
                new.plan = plan ?? old.plan
                if let devices { new.licensedDevices = devices == 0 ? nil : devices }
                if let users { new.licensedUsers = users == 0 ? nil : users }
                let changes = [
                    ModifiedProperty(name: "plan", oldValue: old.plan.rawValue, newValue: new.plan.rawValue),
                    ModifiedProperty(name: "licensedDevices", oldValue: old.licensedDevices.map(String.init), newValue: new.licensedDevices.map(String.init)),
                    ModifiedProperty(name: "licensedUsers", oldValue: old.licensedUsers.map(String.init), newValue: new.licensedUsers.map(String.init)),
                ].filter { $0.oldValue != $0.newValue }
                return (new, auditor.cliEvent(
                    tenantID: tenantID, activity: "TenantAccount", operation: .update, targetID: tenantID.rawValue, targetName: nil,
                    changes: changes))
            }
            print("Tenant \(tenantID): plan \(account.plan.rawValue), devices \(account.licensedDevices.map(String.init) ?? "unlimited"), users \(account.licensedUsers.map(String.init) ?? "unlimited").")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tenant with its own first admin and API token.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The tenant's name.") var name: String
        @Flag(help: "Print {\"tenantId\":…,\"adminToken\":…} only.") var json = false

        func run() async throws {
            guard !name.isEmpty, name.count <= 200 else { throw ValidationError("the name must have 1 to 200 characters") }
            let layers = try store.layers()
            let storage = try await store.openStorage(layers, create: false)
            let masterKey = try await store.masterKey(layers, for: storage, create: false)
            let created = try await TenantProvisioning(store: storage, masterKey: masterKey).createTenant(name: name)
            await storage.close()
            if json { return try printJSON(created) }
            print("Created tenant '\(name)' (\(created.tenantId)).\nAdmin API token (shown once):\n  \(created.adminToken)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let storage = try await store.openStorage(try store.layers(), create: false)
            let tenants = try await storage.tenants()
            await storage.close()
            for tenant in tenants {
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
        let storage = try store.openUnmigrated(try store.layers(), create: false)
        let pending = try await storage.pendingMigrations()
        if !dryRun { try await storage.migrate() }
        await storage.close()
        let list = pending.map { "  " + $0 }.joined(separator: "\n")
        print(pending.isEmpty ? "Up to date." : (dryRun ? "Would apply:\n" : "Applied:\n") + list)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the API until SIGINT or SIGTERM.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Address to listen on (default 127.0.0.1; env STEWARD_HOST).") var host: String?
    @Option(help: "Port to listen on (default 8080; 0 picks a free one; env STEWARD_PORT).") var port: Int?
    @Option(help: "PEM certificate (chain) to serve HTTPS with, HTTP/2 and HTTP/1.1; read again on SIGHUP (env STEWARD_TLS_CERT).")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert (env STEWARD_TLS_KEY).") var tlsKey: String?

    func run() async throws {
        let layers = try store.layers([
            ConfigurationLayers.host: host, ConfigurationLayers.port: port.map(String.init),
            ConfigurationLayers.tlsCertificate: tlsCert, ConfigurationLayers.tlsKey: tlsKey,
        ])
        let logger = makeLogger(layers)
        let tls = try Self.identity(layers)
        // SQLite: a data directory from before the master key gets one; PostgreSQL: replicas must
        // share a key, so a missing one is an error rather than a new key per replica.
        let storage = try await store.openStorage(layers, create: false)
        let masterKey = try await store.masterKey(layers, for: storage, create: layers.value(ConfigurationLayers.database).isEmpty)
        let app = try buildApplication(
            configuration: try layers.server(),
            dependencies: ServerDependencies(storage: storage, masterKey: masterKey, logger: logger, tls: tls),
            onServerRunning: { port in
                var metadata: Logger.Metadata = ["component": "server", "port": "\(port)", "scheme": tls == nil ? "http" : "https"]
                if let pin = try? tls?.pin { metadata["pin"] = "\(pin)" }
                logger.notice("steward is serving", metadata: metadata)
            })
        let server = try layers.server()
        try await serving(host: server.host, port: server.port) { try await app.runService() }
        logger.notice("steward stopped", metadata: ["component": "server"])
        await storage.close()
    }

    /// The certificate and key to serve HTTPS with: both or neither.
    static func identity(_ layers: ConfigurationLayers) throws -> ServerIdentity? {
        let certificate = layers.value(ConfigurationLayers.tlsCertificate)
        let key = layers.value(ConfigurationLayers.tlsKey)
        switch (certificate.isEmpty, key.isEmpty) {
        case (true, true): return nil
        case (false, false):
            do {
                return try ServerIdentity(certificatePath: certificate, keyPath: key)
            } catch {
                throw CommandFailure("cannot serve HTTPS: \(error)")
            }
        default: throw CommandFailure("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
        }
    }
}
