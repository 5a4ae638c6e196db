import ArgumentParser
import Foundation
import StewardModel
import StewardServer
import StewardStore

/// `steward admin create|list|disable|enable|reset-password`: admin accounts from the server's
/// own shell (the way in before anyone can sign in). Every change is audited as the CLI.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Manage admin accounts.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self, ResetPassword.self])

    /// Options of every admin command: where the data is, and which tenant.
    struct Target: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(help: "Tenant ID (needed when there is more than one tenant).") var tenant: String?

        func open() async throws -> (any Storage, TenantID, AdminAccounts, Auditor) {
            let layers = try store.layers()
            let storage = try await store.openStorage(layers, create: false)
            let masterKey = try await store.masterKey(layers, for: storage, create: false)
            let tenants = try await storage.tenants()
            let tenantID: TenantID
            if let tenant {
                guard let match = tenants.first(where: { $0.id.rawValue == tenant }) else {
                    await storage.close()
                    throw CommandFailure("no tenant \(tenant); `steward tenant list` shows them")
                }
                tenantID = match.id
            } else {
                guard tenants.count == 1 else {
                    await storage.close()
                    throw CommandFailure("there are \(tenants.count) tenants: name one with --tenant")
                }
                tenantID = tenants[0].id
            }
            let ids = IdentifierGenerator.timeOrdered(clock: .system)
            let accounts = AdminAccounts(
                store: storage, configuration: try layers.server(), masterKey: masterKey, clock: .system, ids: ids)
            return (storage, tenantID, accounts, Auditor(chain: masterKey.auditChain, clock: .system, ids: ids))
        }
    }

    /// The password from standard input (`--password-stdin`), or a new random one to print once.
    static func password(fromStandardInput: Bool) -> (password: String, generated: Bool) {
        if fromStandardInput, let line = readLine(strippingNewline: true), !line.isEmpty { return (line, false) }
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let groups = (0..<4).map { _ in String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }) }
        return (groups.joined(separator: "-"), true)
    }

    static func admin(named userName: String, in storage: any Storage, tenantID: TenantID) async throws -> AdminRecord {
        guard let admin = try await storage.records(
            AdminRecord.self, tenantID: tenantID, filter: AdminRecord.withUserName(userName), after: nil, limit: 1
        ).first else {
            throw CommandFailure("no admin with user name '\(userName)'")
        }
        return admin
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an admin with a role over all devices.")
        @OptionGroup var target: Target
        @Option(help: "User name to sign in with.") var userName: String
        @Option var firstName: String
        @Option var lastName: String
        @Option(help: "E-mail address (UPN).") var email: String
        @Option var phone: String?
        @Option(help: "Built-in role name (e.g. 'Read Only Operator') or role ID.") var role = "Administrator"
        @Flag(help: "Read the password from standard input instead of generating one.") var passwordStdin = false

        func run() async throws {
            let (storage, tenantID, accounts, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let roleID: RoleID
            if let builtIn = RoleDefinition.builtIn.first(where: { $0.name.lowercased() == role.lowercased() }) {
                roleID = builtIn.id
            } else if RoleID.isWellFormed(role), try await storage.record(RoleRecord.self, tenantID: tenantID, key: role) != nil {
                roleID = RoleID(rawValue: role)
            } else {
                throw CommandFailure("no role '\(role)'; built-in: \(RoleDefinition.builtIn.map(\.name).joined(separator: ", "))")
            }
            let (password, generated) = AdminCommand.password(fromStandardInput: passwordStdin)
            let request = AdminCreateRequest(
                userName: userName, firstName: firstName, lastName: lastName, email: email, phone: phone, password: password)
            do {
                let admin = try await accounts.create(tenantID: tenantID, request, roleID: roleID) { admin, changes in
                    auditor.cliEvent(
                        tenantID: tenantID, activity: "Admin", operation: .create, targetID: admin.id.rawValue,
                        targetName: admin.userName, changes: changes)
                }
                print("Created admin \(userName) (\(admin.id)) in tenant \(tenantID).")
                if generated { print("Password (shown once): \(password)") }
            } catch let error as WireError {
                throw ValidationError(error.message)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's admins.")
        @OptionGroup var target: Target

        func run() async throws {
            let (storage, tenantID, _, _) = try await target.open()
            let admins = try await storage.records(AdminRecord.self, tenantID: tenantID, filter: [:], after: nil, limit: 10_000)
            await storage.close()
            for admin in admins {
                let state = admin.disabledAt != nil ? "disabled" : (admin.lockedUntil.map { $0 > Date() } ?? false) ? "locked" : "active"
                print("\(admin.id)  \(admin.userName ?? "-")  \(admin.displayName)  \(state)\(admin.totpEnabled ? "  totp" : "")")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an admin: every session and token stops working.")
        @OptionGroup var target: Target
        @Argument(help: "User name.") var userName: String

        func run() async throws { try await setDisabled(true, userName: userName, target: target) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled admin again.")
        @OptionGroup var target: Target
        @Argument(help: "User name.") var userName: String

        func run() async throws { try await setDisabled(false, userName: userName, target: target) }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password", abstract: "Set a new password (and unlock the account).")
        @OptionGroup var target: Target
        @Argument(help: "User name.") var userName: String
        @Flag(help: "Read the password from standard input instead of generating one.") var passwordStdin = false

        func run() async throws {
            let (storage, tenantID, accounts, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let (password, generated) = AdminCommand.password(fromStandardInput: passwordStdin)
            try await ResetPassword.set(password, userName: userName, storage: storage, tenantID: tenantID, accounts: accounts, auditor: auditor)
            print("New password set for \(userName) in tenant \(tenantID).")
            if generated { print("Password (shown once): \(password)") }
        }

        /// Sets the admin's password (and unlocks the account), audited as the CLI.
        static func set(
            _ password: String, userName: String, storage: any Storage, tenantID: TenantID, accounts: AdminAccounts, auditor: Auditor
        ) async throws {
            let admin = try await AdminCommand.admin(named: userName, in: storage, tenantID: tenantID)
            do {
                _ = try await accounts.setPassword(tenantID: tenantID, adminID: admin.id, password: password) { admin, changes in
                    auditor.cliEvent(
                        tenantID: tenantID, activity: "Admin", operation: .update, targetID: admin.id.rawValue,
                        targetName: admin.userName, changes: changes)
                }
            } catch let error as WireError {
                throw ValidationError(error.message)
            }
        }
    }
}

private func setDisabled(_ disabled: Bool, userName: String, target: AdminCommand.Target) async throws {
    let (storage, tenantID, _, auditor) = try await target.open()
    defer { Task { await storage.close() } }
    let admin = try await AdminCommand.admin(named: userName, in: storage, tenantID: tenantID)
    let now = Date()
    try await storage.update(AdminRecord.self, tenantID: tenantID, key: admin.id.rawValue) { old in
        var new = old
        new.disabledAt = disabled ? (old.disabledAt ?? now) : nil
        let change = ModifiedProperty(name: "disabled", oldValue: String(old.disabledAt != nil), newValue: String(disabled))
        return (new, auditor.cliEvent(
            tenantID: tenantID, activity: "Admin", operation: .update, targetID: old.id.rawValue, targetName: old.userName,
            changes: [change]))
    }
    print("\(disabled ? "Disabled" : "Enabled") \(userName).")
}
