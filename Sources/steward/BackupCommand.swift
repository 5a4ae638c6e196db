import ArgumentParser
import Foundation
import StewardModel
import StewardSQLite
import StewardServer
import StewardStore

/// `steward backup`: an online copy of the SQLite database while the server serves, and the
/// check of one; `steward restore` puts one in place. PostgreSQL has its own tools (pg_dump,
/// continuous archiving): docs/operations.md.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up the SQLite database while the server runs, or check a backup.",
        subcommands: [Create.self, Verify.self], defaultSubcommand: Create.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Write a consistent copy of the database (the server may keep serving).")
        @OptionGroup var store: StoreOptions
        @Option(help: "The backup file to write (it must not exist).") var to: String

        func run() async throws {
            let layers = try BackupCommand.sqliteLayers(store, postgres: "backed up with pg_dump or continuous archiving")
            guard !FileManager.default.fileExists(atPath: to) else { throw CommandFailure("\(to) exists already: choose a new file") }
            guard let storage = try store.openUnmigrated(layers, create: false) as? SQLiteStorage else {
                throw CommandFailure("not a SQLite data directory")
            }
            do {
                try await storage.backup(to: to)
            } catch {
                await storage.close()
                throw CommandFailure("backup failed: \(error)")
            }
            await storage.close()
            let check = try SQLiteBackup.check(to)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: to)[.size] as? NSNumber)?.int64Value ?? 0
            print("""
                Backed up \(store.describe(layers)) to \(to) (\(binaryBytes(bytes)); \
                \(check.tenants) tenants, \(check.devices) devices; integrity \(check.integrity)).
                The backup does not hold the master key (\(layers.masterKeyPath)): keep a copy of that file apart from it.
                Without the key a restored database's sealed secrets, pseudonyms and audit chain cannot be used.
                """)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a backup: its integrity, its schema version and, with the master key, every tenant's audit chain.")
        @Argument(help: "The backup file.") var file: String
        @Option(help: "The deployment's master key file (default: master.key in the data directory).") var masterKeyFile: String?
        @Option(help: "Data directory whose master.key to use.") var dataDir: String?
        @Flag(help: "Print the check as JSON.") var json = false

        func run() async throws {
            let check = try BackupCommand.checked(file)
            let layers = try ConfigurationLayers(
                flags: [ConfigurationLayers.masterKeyFile: masterKeyFile, ConfigurationLayers.dataDir: dataDir],
                environment: ProcessInfo.processInfo.environment, configFile: nil)
            var broken = !check.restorable
            if json { try printJSON(check) } else { Self.describe(check) }
            if check.restorable {
                // The audit chains, on a copy (opening the file would add a WAL beside it).
                let work = FileManager.default.temporaryDirectory.appendingPathComponent("steward-verify-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                defer { try? FileManager.default.removeItem(at: work) }
                let copy = work.appendingPathComponent("steward.sqlite").path
                try SQLiteBackup.restore(file, to: copy)
                let storage = try SQLiteStorage(path: copy)
                do {
                    let key = try layers.masterKey(create: false)
                    try await key.ensureMatches(storage, describing: layers.masterKeyPath)
                    broken = try await verifyAuditChains(storage, chain: key.auditChain, json: json) || broken
                } catch {
                    await storage.close()
                    throw CommandFailure("audit chains not verified: \(error)")
                }
                await storage.close()
            }
            if broken { throw ExitCode(1) }
        }

        static func describe(_ check: SQLiteBackupCheck) {
            print("integrity: \(check.integrity)")
            print("schema: \(check.migrations) migrations" + (check.pendingMigrations.isEmpty ? ", current" : ", \(check.pendingMigrations.count) to apply on restore")
                + (check.unknownMigrations.isEmpty ? "" : "; from a newer Steward (\(check.unknownMigrations.joined(separator: ", "))): not restorable here"))
            print("holds: \(check.tenants) tenants, \(check.devices) devices")
        }
    }
}

extension BackupCommand {
    /// The layers of a SQLite data directory: PostgreSQL has its own tools.
    static func sqliteLayers(_ store: StoreOptions, postgres how: String) throws -> ConfigurationLayers {
        let layers = try store.layers()
        guard layers.value(ConfigurationLayers.database).isEmpty else {
            throw CommandFailure("PostgreSQL is \(how) (docs/operations.md), not by steward")
        }
        return layers
    }

    /// A backup file's check, or one line saying it is not a database at all.
    static func checked(_ file: String) throws -> SQLiteBackupCheck {
        do {
            return try SQLiteBackup.check(file)
        } catch {
            throw CommandFailure("\(file) is not a readable SQLite database: \(error)")
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Put a checked backup in place as the data directory's database (the server stopped).")
    @OptionGroup var store: StoreOptions
    @Option(help: "The backup file, from `steward backup`.") var from: String

    func run() async throws {
        let layers = try BackupCommand.sqliteLayers(store, postgres: "restored with pg_restore or psql")
        let check = try BackupCommand.checked(from)
        guard check.restorable else {
            BackupCommand.Verify.describe(check)
            throw CommandFailure("\(from) cannot be restored by this Steward")
        }
        let directory = layers.value(ConfigurationLayers.dataDir)
        let path = (directory as NSString).appendingPathComponent("steward.sqlite")
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("\(path) exists: stop the server and move it (with its -wal and -shm files) away first")
        }
        guard FileManager.default.fileExists(atPath: layers.masterKeyPath) || !layers.value(ConfigurationLayers.masterKey).isEmpty else {
            throw CommandFailure("no master key at \(layers.masterKeyPath): copy the deployment's key there first (backups do not hold it)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try SQLiteBackup.restore(from, to: path)
        // Opened as the server will: migrations brought up to date, the key checked, the chains walked.
        let storage = try await store.openStorage(layers, create: false)
        let key = try await store.masterKey(layers, for: storage, create: false)
        let broken = try await verifyAuditChains(storage, chain: key.auditChain, json: false)
        await storage.close()
        print("Restored \(from) into \(path) (\(check.tenants) tenants, \(check.devices) devices). Start the server with the same --data-dir.")
        if broken { throw ExitCode(1) }
    }
}
