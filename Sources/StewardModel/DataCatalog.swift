/// The data catalog: every stored column (and every key of stored JSON) declared once, with its
/// privacy category. A test reads the live schema and fails on any column the catalog does not
/// know and on any entry with no column; the privacy statement is generated from it.
public enum DataCategory: String, Sendable, Codable, CaseIterable {
    /// Tied to a user, device or app; needed to manage it.
    case identified
    /// Keyed by a system-made identifier that alone identifies nobody.
    case pseudonymized
    /// Counts with no individual in them.
    case aggregated
    /// Keys, timestamps, hashes and verifiers with no personal content.
    case technical
}

public enum DataSource: String, Sendable, Codable {
    case admin, device, thirdParty, diagnostics, system
}

/// What a view of a personal device shows of a field.
public enum PersonalDeviceDisplay: String, Sendable, Codable {
    case full, masked, hidden
}

/// A store whose schema alone holds a column (each store may keep its own bookkeeping).
public enum StoreDialect: String, Sendable, Codable {
    case sqlite, postgresql
}

public struct CatalogEntry: Sendable, Hashable, Codable {
    public let table: String
    /// The column, or `column.key` for a key of JSON stored in a column.
    public let column: String
    public let category: DataCategory
    public let source: DataSource
    public let purpose: String
    public let personalDevice: PersonalDeviceDisplay
    /// Set when only that store's schema has the column; nil for both.
    public let onlyIn: StoreDialect?

    public init(
        _ table: String, _ column: String, _ category: DataCategory, _ source: DataSource, _ purpose: String,
        personalDevice: PersonalDeviceDisplay = .full, onlyIn: StoreDialect? = nil
    ) {
        self.table = table
        self.column = column
        self.category = category
        self.source = source
        self.purpose = purpose
        self.personalDevice = personalDevice
        self.onlyIn = onlyIn
    }
}

public enum DataCatalog {
    public static let entries: [CatalogEntry] =
        schema + tenants + admins + credentials + corporateIdentifiers + devices + apps + counts + directory + roles + audit
        + diagnostics + usage + managedApps + remoteTasks + support + appProtection + connectors + appleMDM

    static let schema: [CatalogEntry] = [
        .init("schema_migrations", "id", .technical, .system, "Applied schema migration."),
        .init("schema_migrations", "applied_at", .technical, .system, "When it was applied."),
        .init("job_runs", "job", .technical, .system, "A once-per-deployment job."),
        .init("job_runs", "holder", .technical, .system, "The Steward replica that last ran it."),
        .init("job_runs", "ran_at", .technical, .system, "When it last ran."),
        .init("job_runs", "result", .technical, .system, "What it did (counts only)."),
        .init("key_checks", "purpose", .technical, .system, "Which key the digest checks."),
        .init("key_checks", "digest", .technical, .system, "HMAC of a fixed text under the master key: refuses a replica with another key."),
    ]

    static let tenants: [CatalogEntry] = [
        .init("tenants", "id", .pseudonymized, .system, "Identifies the organisation (tenant ID)."),
        .init("tenants", "name", .identified, .admin, "Names the organisation for its operator."),
        .init("tenants", "compliant_app_feature", .technical, .admin, "Setting: collect app inventory from personal devices."),
        .init("tenants", "created_at", .technical, .system, "When the tenant was created."),
        .init("tenants", "stale_device_days", .technical, .admin, "Setting: remove devices that have not checked in for this many days."),
        .init("tenants", "audit_retention_days", .technical, .admin, "Setting: how long audit entries are kept."),
        .init("tenants", "apps_version", .technical, .system, "Changes whenever what a device should manage may have changed."),
        .init("tenants", "directory_deprovisioning", .technical, .admin, "Setting: what a user the directory deprovisions becomes (disabled, or erased)."),
        .init("tenants", "directory_erase_after_days", .technical, .admin, "Setting: days from deprovisioning to erasure."),
        .init("tenants", "owner_email", .identified, .admin, "Account: the account owner's e-mail address."),
        .init("tenants", "plan", .technical, .system, "Subscription: the plan."),
        .init("tenants", "licensed_devices", .technical, .system, "Subscription: how many devices it covers (enforced at enrollment)."),
        .init("tenants", "licensed_users", .technical, .system, "Subscription: how many users it covers."),
        .init("tenants", "subscription_key", .technical, .admin, "Subscription key, sealed with AES-GCM under the master key."),
        .init("tenants", "billing_reference", .pseudonymized, .thirdParty, "The payment processor's reference for the account (never card data)."),
        .init("tenants", "closure_requested_at", .technical, .admin, "When an admin closed the tenant."),
        .init("tenants", "closes_at", .technical, .system, "When every row the tenant owns is deleted (180 days after closing)."),
        .init("tenants", "closing", .technical, .system, "Set while a closed tenant's rows are being deleted (lets its audit log go)."),
    ]

    static let admins: [CatalogEntry] = [
        .init("admins", "tenant_id", .pseudonymized, .system, "The admin's tenant."),
        .init("admins", "id", .pseudonymized, .system, "Identifies the admin account."),
        .init("admins", "display_name", .identified, .admin, "Admin name, shown in the audit log."),
        .init("admins", "created_at", .technical, .system, "When the account was created."),
        .init("admins", "user_name", .identified, .admin, "User name the admin signs in with."),
        .init("admins", "first_name", .identified, .admin, "Admin's first name."),
        .init("admins", "last_name", .identified, .admin, "Admin's last name."),
        .init("admins", "email", .identified, .admin, "Admin's e-mail address (UPN)."),
        .init("admins", "phone", .identified, .admin, "Admin's phone number."),
        .init("admins", "directory_id", .pseudonymized, .thirdParty, "The admin's ID in the organisation's directory."),
        .init("admins", "password_verifier", .technical, .system, "bcrypt verifier of the password; the password is never stored."),
        .init("admins", "totp_secret", .technical, .system, "Second-factor secret, sealed with AES-GCM under the master key."),
        .init("admins", "totp_enabled", .technical, .admin, "Whether sign-in needs the second factor."),
        .init("admins", "disabled_at", .technical, .admin, "When the account was disabled."),
        .init("admins", "failed_sign_ins", .aggregated, .system, "Failed sign-ins in a row (lockout)."),
        .init("admins", "locked_until", .technical, .system, "Until when the account is locked after failed sign-ins."),
        .init("admins", "last_sign_in_at", .technical, .system, "When the admin last signed in."),
        .init("admin_tokens", "tenant_id", .pseudonymized, .system, "The token's tenant."),
        .init("admin_tokens", "id", .technical, .system, "Identifies the API token."),
        .init("admin_tokens", "admin_id", .pseudonymized, .system, "The admin the token acts for."),
        .init("admin_tokens", "name", .technical, .admin, "Label of the token."),
        .init("admin_tokens", "verifier", .technical, .system, "SHA-256 verifier of the token; the token is never stored."),
        .init("admin_tokens", "created_at", .technical, .system, "When the token was issued."),
        .init("admin_tokens", "revoked_at", .technical, .admin, "When the token was revoked."),
        .init("admin_tokens", "kind", .technical, .system, "API token or console session."),
        .init("admin_tokens", "expires_at", .technical, .admin, "After this the token or session is refused."),
    ]

    static let credentials: [CatalogEntry] = [
        .init("enrollment_tokens", "tenant_id", .pseudonymized, .system, "The token's tenant."),
        .init("enrollment_tokens", "id", .technical, .system, "Identifies the enrollment token."),
        .init("enrollment_tokens", "verifier", .technical, .system, "SHA-256 verifier; the token is never stored."),
        .init("enrollment_tokens", "ownership", .technical, .admin, "Ownership given to devices enrolled with it."),
        .init("enrollment_tokens", "description", .technical, .admin, "Admin's label for the token."),
        .init("enrollment_tokens", "created_at", .technical, .system, "When the token was created."),
        .init("enrollment_tokens", "expires_at", .technical, .admin, "After this the token enrolls nothing."),
        .init("enrollment_tokens", "max_uses", .technical, .admin, "How many devices it may enroll."),
        .init("enrollment_tokens", "use_count", .aggregated, .system, "How many devices it enrolled."),
        .init("enrollment_tokens", "revoked_at", .technical, .admin, "When an admin revoked it."),
        .init("enrollment_tokens", "user_id", .pseudonymized, .admin, "The user devices enrolled with it will belong to."),
    ]

    static let devices: [CatalogEntry] = [
        .init("devices", "tenant_id", .pseudonymized, .system, "The device's tenant."),
        .init("devices", "id", .pseudonymized, .system, "Device ID, made by Steward."),
        .init("devices", "secret_verifier", .technical, .system, "SHA-256 verifier of the device secret."),
        .init("devices", "ownership", .technical, .admin, "Corporate or personal: decides what is collected and shown."),
        .init("devices", "platform", .identified, .device, "Operating system family, for management and reports."),
        .init("devices", "platform_id", .pseudonymized, .device, "Platform identifier (machine-id), to recognise a re-enrolled device."),
        .init("devices", "enrolled_at", .technical, .system, "When the device enrolled."),
        .init("devices", "last_check_in_at", .technical, .system, "When the device last checked in; drives stale-device retention."),
        .init("devices", "agent_version", .technical, .device, "Version of the agent, for support."),
        .init("devices", "device_name", .identified, .device, "Device name."),
        .init("devices", "manufacturer", .identified, .device, "Hardware inventory: manufacturer."),
        .init("devices", "model", .identified, .device, "Hardware inventory: model."),
        .init("devices", "serial_number", .identified, .device, "Hardware inventory: serial number."),
        .init("devices", "os_name", .identified, .device, "Operating system."),
        .init("devices", "os_version", .identified, .device, "Operating system version."),
        .init("devices", "kernel_version", .identified, .device, "Kernel version."),
        .init("devices", "cpu_model", .identified, .device, "Hardware inventory: processor."),
        .init("devices", "cpu_cores", .identified, .device, "Hardware inventory: processor cores."),
        .init("devices", "memory_bytes", .identified, .device, "Hardware inventory: memory size."),
        .init("devices", "disk_bytes", .identified, .device, "Hardware inventory: disk size."),
        .init("devices", "imei", .identified, .device, "IMEI number of a mobile device."),
        .init("devices", "meid", .identified, .device, "MEID of a mobile device."),
        .init("devices", "iccid", .identified, .device, "ICCID of the SIM."),
        .init("devices", "phone_number", .identified, .device, "Phone number; on personal devices only the last four digits are kept.", personalDevice: .masked),
        .init("devices", "wifi_mac_address", .identified, .device, "Wi-Fi MAC address."),
        .init("devices", "network_interfaces", .identified, .device, "Network interfaces (JSON, keys below)."),
        .init("devices", "network_interfaces.name", .technical, .device, "Interface name."),
        .init("devices", "network_interfaces.macAddress", .identified, .device, "MAC address of the interface."),
        .init("devices", "network_interfaces.ipAddresses", .identified, .device, "IP addresses of the interface."),
        .init("devices", "network_interfaces.wireless", .technical, .device, "Whether the interface is Wi-Fi."),
        .init("devices", "app_count", .aggregated, .system, "How many apps the stored inventory holds."),
        .init("devices", "refused_app_reports", .aggregated, .system, "How many forbidden app inventories the server refused."),
        .init("devices", "hardware_hash", .technical, .system, "Hash of the acknowledged hardware section (change detection)."),
        .init("devices", "os_hash", .technical, .system, "Hash of the acknowledged OS section."),
        .init("devices", "network_hash", .technical, .system, "Hash of the acknowledged network section."),
        .init("devices", "apps_hash", .technical, .system, "Hash of the acknowledged app inventory."),
        .init("devices", "device_key", .pseudonymized, .system, "Compact device key within the tenant, for the app inventory's rows."),
        .init("devices", "user_id", .pseudonymized, .admin, "The user the device belongs to."),
        .init("devices", "pending_tasks", .technical, .system, "How many remote tasks wait for the device (or its acknowledgement)."),
        .init("devices", "re_enrollment_until", .technical, .admin, "Until when an admin lets the machine enroll again without its device secret."),
        .init("devices", "retired_at", .technical, .system, "When a retire task ended the device's management."),
        .init("devices", "management_id", .pseudonymized, .system, "Steward's management ID for the device, distinct from its device ID."),
        .init("devices", "directory_device_id", .pseudonymized, .device, "The device's ID in the organisation's directory."),
        .init("devices", "eas_device_id", .pseudonymized, .device, "The Exchange ActiveSync device ID."),
        .init("devices", "windows_device_id", .pseudonymized, .device, "Windows' own device ID."),
        .init("device_macs", "tenant_id", .pseudonymized, .system, "The device's tenant."),
        .init("device_macs", "mac", .identified, .device, "A physical MAC address of the device, to recognise a machine whose agent has no device secret."),
        .init("device_macs", "device_id", .pseudonymized, .system, "The device the address belongs to."),
    ]

    static let apps: [CatalogEntry] = [
        .init("software", "tenant_id", .pseudonymized, .system, "The tenant whose devices reported the app."),
        .init("software", "id", .technical, .system, "App key within the tenant, made by Steward."),
        .init("software", "fingerprint", .technical, .device, "Every field below, length-prefixed: finds the app's row."),
        .init("software", "app_id", .technical, .device, "App catalog: app ID (package identifier); a device's inventory links to it.", personalDevice: .hidden),
        .init("software", "name", .technical, .device, "App catalog: name.", personalDevice: .hidden),
        .init("software", "version", .technical, .device, "App catalog: version.", personalDevice: .hidden),
        .init("software", "size_bytes", .technical, .device, "App catalog: size.", personalDevice: .hidden),
        .init("software", "install_location", .identified, .device, "App catalog: install location (may name a user's folder).", personalDevice: .hidden),
        .init("software", "holders", .aggregated, .system, "SQLite store: how many devices hold the app; the row goes when none does.", onlyIn: .sqlite),
        .init("device_software", "tenant_id", .pseudonymized, .system, "The device's tenant."),
        .init("device_software", "device_key", .identified, .system, "App inventory: the device (its key) the app is installed on.", personalDevice: .hidden),
        .init("device_software", "software_id", .identified, .device, "App inventory: the installed app.", personalDevice: .hidden),
    ]

    static let counts: [CatalogEntry] = [
        .init("device_counts", "tenant_id", .pseudonymized, .system, "The tenant counted."),
        .init("device_counts", "dimension", .technical, .system, "What is counted: devices by ownership, platform or os, or users."),
        .init("device_counts", "value", .aggregated, .system, "The counted value (an OS name and version)."),
        .init("device_counts", "devices", .aggregated, .system, "How many of the tenant's devices have it (or how many users it has)."),
    ]

    static let corporateIdentifiers: [CatalogEntry] = [
        .init("corporate_identifiers", "tenant_id", .pseudonymized, .system, "The tenant that registered it."),
        .init("corporate_identifiers", "kind", .technical, .admin, "Serial number or IMEI."),
        .init("corporate_identifiers", "value", .identified, .admin, "A serial number or IMEI registered as corporate: such a device enrolls as corporate."),
        .init("corporate_identifiers", "created_at", .technical, .system, "When it was registered."),
    ]

    static let directory: [CatalogEntry] = [
        .init("users", "tenant_id", .pseudonymized, .system, "The user's tenant."),
        .init("users", "id", .pseudonymized, .system, "User ID, made by Steward."),
        .init("users", "display_name", .identified, .admin, "The user's name."),
        .init("users", "upn", .identified, .admin, "The user's principal name (sign-in e-mail)."),
        .init("users", "email", .identified, .admin, "The user's e-mail address."),
        .init("users", "phone", .identified, .admin, "The user's phone number."),
        .init("users", "external_ids", .identified, .thirdParty, "The user's IDs at third parties (JSON, keys below)."),
        .init("users", "external_ids.appleId", .identified, .thirdParty, "Apple ID (for Apple's device programmes)."),
        .init("users", "external_ids.googleId", .identified, .thirdParty, "Google account ID."),
        .init("users", "external_ids.microsoftId", .identified, .thirdParty, "Microsoft account ID."),
        .init("users", "external_ids.employeeId", .identified, .admin, "Employee number."),
        .init("users", "created_at", .technical, .system, "When the user was added."),
        .init("users", "given_name", .identified, .thirdParty, "The user's given name, from the directory."),
        .init("users", "family_name", .identified, .thirdParty, "The user's family name, from the directory."),
        .init("users", "origin", .technical, .system, "Made by an admin or provisioned by the directory (SCIM)."),
        .init("users", "directory_id", .pseudonymized, .thirdParty, "The user's ID in the organisation's directory (SCIM externalId, such as Entra ID's object ID)."),
        .init("users", "deactivated_at", .technical, .thirdParty, "When the directory deprovisioned the user."),
        .init("users", "erase_at", .technical, .system, "When the user will be erased, by the tenant's deprovisioning setting."),
        .init("users", "directory_deleted_at", .technical, .thirdParty, "When the directory deleted the user (SCIM shows them no more)."),
        .init("users", "updated_at", .technical, .system, "When the user last changed."),
        .init("groups", "tenant_id", .pseudonymized, .system, "The group's tenant."),
        .init("groups", "id", .technical, .system, "Group ID, made by Steward."),
        .init("groups", "name", .technical, .admin, "Group name."),
        .init("groups", "kind", .technical, .admin, "A group of users or of devices."),
        .init("groups", "description", .technical, .admin, "Admin's description."),
        .init("groups", "created_at", .technical, .system, "When the group was made."),
        .init("groups", "origin", .technical, .system, "Made by an admin or provisioned by the directory (SCIM)."),
        .init("groups", "directory_id", .technical, .thirdParty, "The group's ID in the organisation's directory."),
        .init("groups", "updated_at", .technical, .system, "When the group last changed."),
        .init("scim_tokens", "tenant_id", .pseudonymized, .system, "The token's tenant."),
        .init("scim_tokens", "id", .technical, .system, "Identifies the SCIM token."),
        .init("scim_tokens", "name", .technical, .admin, "Label of the token (the directory it is for)."),
        .init("scim_tokens", "verifier", .technical, .system, "SHA-256 verifier of the token; the token is never stored."),
        .init("scim_tokens", "created_by", .pseudonymized, .admin, "The admin who made it."),
        .init("scim_tokens", "created_at", .technical, .system, "When it was made."),
        .init("scim_tokens", "expires_at", .technical, .admin, "After this the directory is refused."),
        .init("scim_tokens", "revoked_at", .technical, .admin, "When an admin revoked it."),
        .init("group_members", "tenant_id", .pseudonymized, .system, "The group's tenant."),
        .init("group_members", "group_id", .technical, .system, "The group."),
        .init("group_members", "member_id", .pseudonymized, .admin, "A member: user or device ID."),
        .init("group_members", "added_at", .technical, .system, "When it was added."),
    ]

    static let roles: [CatalogEntry] = [
        .init("roles", "tenant_id", .pseudonymized, .system, "The role's tenant."),
        .init("roles", "id", .technical, .system, "Role ID, made by Steward."),
        .init("roles", "name", .technical, .admin, "Role name."),
        .init("roles", "description", .technical, .admin, "Admin's description."),
        .init("roles", "permissions", .technical, .admin, "The role's permissions (JSON array)."),
        .init("roles", "created_at", .technical, .system, "When the role was made."),
        .init("role_assignments", "tenant_id", .pseudonymized, .system, "The assignment's tenant."),
        .init("role_assignments", "id", .technical, .system, "Assignment ID, made by Steward."),
        .init("role_assignments", "role_id", .technical, .admin, "The role given."),
        .init("role_assignments", "admin_id", .pseudonymized, .admin, "The admin it is given to."),
        .init("role_assignments", "scope_group_ids", .technical, .admin, "The device groups it reaches (JSON array); none for all."),
        .init("role_assignments", "created_at", .technical, .system, "When it was given."),
    ]

    static let audit: [CatalogEntry] = [
        .init("audit_entries", "tenant_id", .pseudonymized, .system, "The tenant whose log it is."),
        .init("audit_entries", "sequence", .technical, .system, "Position in the tenant's hash chain."),
        .init("audit_entries", "id", .technical, .system, "Entry ID."),
        .init("audit_entries", "at", .technical, .system, "When the action happened."),
        .init("audit_entries", "actor_type", .technical, .system, "Admin session, API token, CLI or unknown."),
        .init("audit_entries", "actor_id", .pseudonymized, .system, "The acting admin's ID."),
        .init("audit_entries", "activity", .technical, .system, "What kind of resource was acted on."),
        .init("audit_entries", "operation", .technical, .system, "Create, update, delete, assign, action or manage."),
        .init("audit_entries", "target_type", .technical, .system, "The target's kind."),
        .init("audit_entries", "target_id", .pseudonymized, .system, "The target's ID."),
        .init("audit_entries", "modified_properties", .technical, .system, "Names of the changed properties (JSON array)."),
        .init("audit_entries", "result", .technical, .system, "Success or failure."),
        .init("audit_entries", "request_id", .technical, .system, "The API request, to find it in the logs."),
        .init("audit_entries", "personal", .identified, .admin, "Personal fields (JSON, keys below); an erasure blanks them."),
        .init("audit_entries", "personal.actorName", .identified, .admin, "The acting admin's name."),
        .init("audit_entries", "personal.targetName", .identified, .admin, "The target's name."),
        .init("audit_entries", "personal.clientAddress", .identified, .system, "The client's IP address."),
        .init("audit_entries", "personal.changes", .identified, .admin, "Old and new values of the changed properties."),
        .init("audit_entries", "personal_digest", .technical, .system, "Keyed digest of the personal fields; the chain commits to it."),
        .init("audit_entries", "chain_hash", .technical, .system, "Keyed hash linking the entry to the previous one."),
    ]

    static let diagnostics: [CatalogEntry] = [
        .init("audit_anchors", "tenant_id", .pseudonymized, .system, "The tenant whose log was purged."),
        .init("audit_anchors", "sequence", .technical, .system, "The last purged entry: the chain goes on from here."),
        .init("audit_anchors", "chain_hash", .technical, .system, "That entry's chain hash."),
        .init("audit_anchors", "at", .technical, .system, "When the purge ran."),
        .init("audit_anchors", "seal", .technical, .system, "Keyed hash of the anchor: only Steward can make one."),
        .init("pseudonym_keys", "tenant_id", .pseudonymized, .system, "The tenant the key pseudonymizes for."),
        .init("pseudonym_keys", "version", .technical, .system, "Key version; a rotation adds one."),
        .init("pseudonym_keys", "sealed_key", .technical, .system, "The HMAC key, sealed under the master key; destroyed when rotated out."),
        .init("pseudonym_keys", "created_at", .technical, .system, "When the key was made."),
        .init("pseudonym_keys", "retired_at", .technical, .system, "When a rotation retired it."),
        .init("pseudonyms", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("pseudonyms", "pseudonym", .pseudonymized, .system, "HMAC-SHA256 of the device or user and a random salt under the tenant's key."),
        .init("pseudonyms", "subject_type", .technical, .system, "Device or user."),
        .init("pseudonyms", "subject_id", .pseudonymized, .system, "The device or user the pseudonym stands for: the only link, cut by an erasure."),
        .init("pseudonyms", "key_version", .technical, .system, "The key version that made it."),
        .init("pseudonyms", "salt", .technical, .system, "Random salt; deleted with the link, so the pseudonym cannot be recomputed."),
        .init("pseudonyms", "created_at", .technical, .system, "When it was first used."),
        .init("diagnostic_events", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("diagnostic_events", "id", .technical, .system, "Event ID."),
        .init("diagnostic_events", "at", .technical, .diagnostics, "When it happened."),
        .init("diagnostic_events", "kind", .pseudonymized, .diagnostics, "Diagnostics: feature used, command, response time, install outcome or agent error."),
        .init("diagnostic_events", "name", .pseudonymized, .diagnostics, "Diagnostics: which feature, command or package (a short token, no free text)."),
        .init("diagnostic_events", "duration_ms", .pseudonymized, .diagnostics, "Performance: how long it took."),
        .init("diagnostic_events", "success", .pseudonymized, .diagnostics, "Whether it succeeded."),
        .init("diagnostic_events", "code", .pseudonymized, .diagnostics, "Error code (a short token)."),
        .init("diagnostic_events", "device_pseudonym", .pseudonymized, .system, "The device, as its pseudonym (never its ID)."),
        .init("diagnostic_events", "user_pseudonym", .pseudonymized, .system, "The device's user, as their pseudonym (never their ID)."),
        .init("diagnostics_daily", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("diagnostics_daily", "day", .technical, .system, "The day (UTC)."),
        .init("diagnostics_daily", "kind", .technical, .diagnostics, "Kind of event."),
        .init("diagnostics_daily", "name", .technical, .diagnostics, "Feature, command or package."),
        .init("diagnostics_daily", "events", .aggregated, .diagnostics, "How many events that day."),
        .init("diagnostics_daily", "succeeded", .aggregated, .diagnostics, "How many succeeded."),
        .init("diagnostics_daily", "failed", .aggregated, .diagnostics, "How many failed."),
        .init("diagnostics_latency", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("diagnostics_latency", "day", .technical, .system, "The day (UTC)."),
        .init("diagnostics_latency", "kind", .technical, .diagnostics, "Kind of event."),
        .init("diagnostics_latency", "name", .technical, .diagnostics, "Feature, command or package."),
        .init("diagnostics_latency", "bucket", .technical, .system, "A latency range (four to a doubling)."),
        .init("diagnostics_latency", "events", .aggregated, .diagnostics, "How many events took that long: the day's percentiles."),
    ]

    static let usage: [CatalogEntry] = [
        .init("feature_usage_daily", "tenant_id", .pseudonymized, .system, "The tenant whose admins used the feature (or whose devices checked in)."),
        .init("feature_usage_daily", "day", .technical, .system, "The day (UTC)."),
        .init("feature_usage_daily", "feature", .technical, .system, "The API route (its template, never a concrete path)."),
        .init("feature_usage_daily", "calls", .aggregated, .system, "How many requests; reported to the operator only across tenants, cells under 5 suppressed; a tenant sees its own devices' check-ins per day."),
    ]

    static let managedApps: [CatalogEntry] = [
        .init("managed_apps", "tenant_id", .pseudonymized, .system, "The tenant managing the app."),
        .init("managed_apps", "id", .technical, .system, "App ID, made by Steward."),
        .init("managed_apps", "name", .technical, .admin, "Managed app: name."),
        .init("managed_apps", "publisher", .technical, .admin, "Managed app: publisher."),
        .init("managed_apps", "version", .technical, .admin, "Managed app: version."),
        .init("managed_apps", "platform", .technical, .admin, "Managed app: platform."),
        .init("managed_apps", "package_id", .technical, .admin, "Managed app: package identifier."),
        .init("managed_apps", "size_bytes", .technical, .admin, "Managed app: size."),
        .init("managed_apps", "detection", .technical, .admin, "How agents detect it (JSON, keys below)."),
        .init("managed_apps", "detection.debianPackage", .technical, .admin, "Detection: the Debian package."),
        .init("managed_apps", "detection.minimumVersion", .technical, .admin, "Detection: the lowest version that counts."),
        .init("managed_apps", "created_at", .technical, .system, "When the app was added."),
        .init("app_assignments", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("app_assignments", "id", .technical, .system, "Assignment ID, made by Steward."),
        .init("app_assignments", "app_id", .technical, .admin, "The assigned app."),
        .init("app_assignments", "group_id", .technical, .admin, "The user or device group it is assigned to."),
        .init("app_assignments", "intent", .technical, .admin, "Required, available or uninstall."),
        .init("app_assignments", "created_at", .technical, .system, "When it was assigned."),
        .init("app_install_states", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("app_install_states", "app_id", .technical, .system, "The managed app."),
        .init("app_install_states", "device_id", .pseudonymized, .system, "The device that reported it."),
        .init("app_install_states", "user_id", .pseudonymized, .system, "The device's user, for the per-user status."),
        .init("app_install_states", "state", .identified, .device, "Install state of a managed app on the device."),
        .init("app_install_states", "error_code", .identified, .device, "Why it failed or is not installed (a short code)."),
        .init("app_install_states", "updated_at", .technical, .system, "When the state last changed."),
        .init("app_user_states", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("app_user_states", "app_id", .technical, .system, "The managed app."),
        .init("app_user_states", "user_id", .pseudonymized, .system, "The user."),
        .init("app_user_states", "state", .technical, .system, "An install state."),
        .init("app_user_states", "devices", .aggregated, .system, "How many of the user's devices are in it."),
        .init("app_install_counts", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("app_install_counts", "app_id", .technical, .system, "The managed app."),
        .init("app_install_counts", "state", .technical, .system, "An install state."),
        .init("app_install_counts", "devices", .aggregated, .system, "Devices in the state."),
        .init("app_install_counts", "users", .aggregated, .system, "Users with one or more devices in the state."),
    ]

    static let remoteTasks: [CatalogEntry] = [
        .init("remote_tasks", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("remote_tasks", "id", .technical, .system, "Task ID, made by Steward."),
        .init("remote_tasks", "device_id", .pseudonymized, .system, "The device the task is for."),
        .init("remote_tasks", "kind", .technical, .admin, "Sync, restart, shutdown, lock, collect diagnostics, retire or wipe."),
        .init("remote_tasks", "state", .technical, .system, "Where the task is in its life."),
        .init("remote_tasks", "created_at", .technical, .system, "When it was issued."),
        .init("remote_tasks", "created_by", .pseudonymized, .admin, "The admin who issued it."),
        .init("remote_tasks", "sent_at", .technical, .system, "When the device received it."),
        .init("remote_tasks", "acknowledged_at", .technical, .system, "When the agent acknowledged it."),
        .init("remote_tasks", "completed_at", .technical, .system, "When it ended."),
        .init("remote_tasks", "expires_at", .technical, .system, "Until when it waits for the device."),
        .init("remote_tasks", "result_code", .technical, .device, "The agent's outcome code."),
        .init("remote_tasks", "result_message", .identified, .device, "The agent's outcome message."),
        .init("remote_tasks", "bundle", .identified, .device, "A collect-diagnostics bundle: the agent's own state and diagnostics; deleted 30 days after its task ended, exported and erased with its device."),
    ]

    static let support: [CatalogEntry] = [
        .init("support_cases", "tenant_id", .pseudonymized, .system, "The tenant that opened the case."),
        .init("support_cases", "id", .technical, .system, "Case ID, made by Steward."),
        .init("support_cases", "subject", .identified, .admin, "Support case: its subject."),
        .init("support_cases", "contact_name", .identified, .admin, "Support case: whom the operator answers."),
        .init("support_cases", "contact_email", .identified, .admin, "Support case: the contact's e-mail address."),
        .init("support_cases", "contact_phone", .identified, .admin, "Support case: the contact's phone number."),
        .init("support_cases", "user_id", .pseudonymized, .admin, "The end user the case concerns, if any."),
        .init("support_cases", "status", .technical, .system, "Open, answered or closed."),
        .init("support_cases", "created_by", .pseudonymized, .system, "The admin who opened it."),
        .init("support_cases", "created_at", .technical, .system, "When it was opened."),
        .init("support_cases", "updated_at", .technical, .system, "When it last changed."),
        .init("support_cases", "closed_at", .technical, .system, "When it closed: deleted a year later."),
        .init("support_messages", "tenant_id", .pseudonymized, .system, "The case's tenant."),
        .init("support_messages", "id", .technical, .system, "Message ID, made by Steward."),
        .init("support_messages", "case_id", .technical, .system, "The case."),
        .init("support_messages", "author", .technical, .system, "The tenant or the operator."),
        .init("support_messages", "author_name", .identified, .admin, "Who wrote it."),
        .init("support_messages", "body", .identified, .admin, "Support case: the message."),
        .init("support_messages", "attachment_name", .identified, .admin, "Support case: an attachment's file name."),
        .init("support_messages", "attachment", .identified, .admin, "Support case: an attachment (at most 1 MiB)."),
        .init("support_messages", "created_at", .technical, .system, "When it was written."),
    ]

    static let appProtection: [CatalogEntry] = [
        .init("app_protection_instances", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("app_protection_instances", "id", .pseudonymized, .system, "App instance ID, made by Steward."),
        .init("app_protection_instances", "app_id", .pseudonymized, .device, "App protection: the app's identifier."),
        .init("app_protection_instances", "app_version", .pseudonymized, .device, "App protection: the app's version."),
        .init("app_protection_instances", "sdk_version", .pseudonymized, .device, "App protection: the SDK's version."),
        .init("app_protection_instances", "device_tag", .pseudonymized, .device, "App protection: the SDK's random tag for the device (no hardware identifier)."),
        .init("app_protection_instances", "platform", .pseudonymized, .device, "App protection: the device's platform."),
        .init("app_protection_instances", "user_id", .pseudonymized, .system, "The user the app instance belongs to."),
        .init("app_protection_instances", "status", .pseudonymized, .system, "Enrolled, wipe pending or wiped."),
        .init("app_protection_instances", "health_status", .pseudonymized, .device, "App protection: the SDK's health check (healthy, compromised)."),
        .init("app_protection_instances", "secret_verifier", .technical, .system, "SHA-256 verifier of the instance's secret."),
        .init("app_protection_instances", "sealed_key", .technical, .system, "The app's data encryption key, sealed under the master key; destroyed at a wipe."),
        .init("app_protection_instances", "enrolled_at", .pseudonymized, .system, "When the instance registered."),
        .init("app_protection_instances", "last_check_in_at", .pseudonymized, .system, "When it last checked in; drives its retention."),
        .init("app_protection_instances", "wipe_requested_at", .technical, .admin, "When an admin asked for the app's data to be wiped."),
        .init("app_protection_instances", "wiped_at", .technical, .device, "When the app confirmed the wipe."),
    ]

    static let appleMDM: [CatalogEntry] = [
        .init("apple_mdm_certificates", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("apple_mdm_certificates", "id", .technical, .system, "Which certificate: the enrollment CA, or the push certificate."),
        .init("apple_mdm_certificates", "certificate", .technical, .admin, "The public certificate (PEM)."),
        .init("apple_mdm_certificates", "private_key", .technical, .system, "Its private key, sealed under the master key."),
        .init("apple_mdm_certificates", "topic", .pseudonymized, .thirdParty, "The push topic Apple assigned (com.apple.mgmt.External.…)."),
        .init("apple_mdm_certificates", "connector_id", .technical, .system, "The connector of Apple's push service the push certificate belongs to."),
        .init("apple_mdm_certificates", "not_after", .technical, .admin, "When the certificate expires."),
        .init("apple_mdm_certificates", "created_at", .technical, .system, "When it was made or uploaded."),
        .init("apple_mdm_enrollments", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("apple_mdm_enrollments", "id", .technical, .system, "Enrollment ID, made by Steward (the device identity's name)."),
        .init("apple_mdm_enrollments", "device_id", .pseudonymized, .system, "The device the enrollment became."),
        .init("apple_mdm_enrollments", "token_id", .technical, .system, "The enrollment token its profile was served for."),
        .init("apple_mdm_enrollments", "ownership", .technical, .admin, "Corporate or personal, from the token."),
        .init("apple_mdm_enrollments", "user_id", .pseudonymized, .admin, "The user the token was made for."),
        .init("apple_mdm_enrollments", "enrollment_type", .technical, .system, "Device enrollment, or User Enrollment (personal)."),
        .init(
            "apple_mdm_enrollments", "protocol_id", .pseudonymized, .device,
            "The UDID of a device enrollment; a User Enrollment's EnrollmentID (Apple's per-enrollment ID, no hardware identifier).",
            personalDevice: .hidden),
        .init("apple_mdm_enrollments", "certificate_fingerprint", .technical, .system, "SHA-256 of the device identity the enrollment is pinned to."),
        .init("apple_mdm_enrollments", "issued_at", .technical, .system, "When the identity was issued."),
        .init("apple_mdm_enrollments", "certificate_expires_at", .technical, .system, "When the identity expires."),
        .init("apple_mdm_enrollments", "authenticated_at", .technical, .device, "When the device enrolled."),
        .init("apple_mdm_enrollments", "push_token", .pseudonymized, .device, "Push token, sealed; sent to Apple only, never shown or exported.", personalDevice: .hidden),
        .init("apple_mdm_enrollments", "push_magic", .pseudonymized, .device, "PushMagic, sealed; sent to Apple only, never shown or exported.", personalDevice: .hidden),
        .init("apple_mdm_enrollments", "unlock_token", .pseudonymized, .device, "UnlockToken (clears a passcode), sealed; never shown or exported.", personalDevice: .hidden),
        .init("apple_mdm_enrollments", "token_updated_at", .technical, .device, "When the device last sent its push token."),
        .init("apple_mdm_enrollments", "push_token_refused_at", .technical, .thirdParty, "When Apple refused the push token (until the next one)."),
        .init("apple_mdm_enrollments", "last_push_at", .technical, .system, "When Steward last woke the device through Apple."),
        .init("apple_mdm_enrollments", "user_channel", .technical, .device, "Whether the device opened its user channel (macOS)."),
        .init("apple_mdm_enrollments", "last_seen_at", .technical, .device, "When the device last polled."),
        .init("apple_mdm_enrollments", "last_inventory_at", .technical, .system, "When inventory commands were last queued."),
        .init("apple_mdm_enrollments", "checked_out_at", .technical, .device, "When the device removed its enrollment."),
        .init("apple_mdm_commands", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("apple_mdm_commands", "id", .technical, .system, "CommandUUID, made by Steward."),
        .init("apple_mdm_commands", "device_id", .pseudonymized, .system, "The device the command is for."),
        .init("apple_mdm_commands", "request_type", .technical, .system, "The MDM command (DeviceInformation, DeviceLock, …)."),
        .init("apple_mdm_commands", "task_id", .pseudonymized, .system, "The remote task it carries out, if any."),
        .init("apple_mdm_commands", "state", .technical, .device, "Queued, sent, NotNow, acknowledged, error, format error."),
        .init("apple_mdm_commands", "queued_at", .technical, .system, "When it was queued."),
        .init("apple_mdm_commands", "sent_at", .technical, .system, "When the device last received it."),
        .init("apple_mdm_commands", "answered_at", .technical, .device, "When the device answered."),
        .init("apple_mdm_commands", "error_codes", .technical, .device, "The error chain's domains and codes (no text)."),
    ]

    static let connectors: [CatalogEntry] = [
        .init("connectors", "tenant_id", .pseudonymized, .system, "The tenant."),
        .init("connectors", "id", .technical, .system, "Connector ID, made by Steward."),
        .init("connectors", "kind", .technical, .admin, "The third party: the directory, or Apple's push service."),
        .init("connectors", "name", .technical, .admin, "Admin's label."),
        .init("connectors", "third_party_tenant_id", .pseudonymized, .thirdParty, "The tenant's ID at the third party (the directory's tenant ID, the push topic)."),
        .init("connectors", "account_id", .identified, .thirdParty, "The account the connection was made with (the Apple ID that created the push certificate)."),
        .init("connectors", "created_by", .pseudonymized, .system, "The admin who configured it."),
        .init("connectors", "created_at", .technical, .system, "When it was configured."),
        .init("connectors", "updated_at", .technical, .system, "When it last changed."),
    ]

    /// Columns of a table, without JSON keys.
    /// What agents send that the catalog does not name, said in the privacy statement: dropped
    /// before storage and counted (the OCS protocol's mapping keeps only catalog fields).
    public static let droppedOnArrival = [
        "Local user accounts and groups of the machine (names, logins, home folders)",
        "Environment variables",
        "Running processes and their command lines",
        "The last logged-on user, Windows product keys and registry values",
        "Peripherals, controllers, memory modules, ports, printers and monitors",
        "Software on personal devices, unless the compliant-app feature is on",
        "Any other element the catalog does not name",
    ]

    /// The columns of `table` in that store's schema.
    public static func columns(of table: String, in store: StoreDialect) -> Set<String> {
        Set(entries.filter { $0.table == table && !$0.column.contains(".") && ($0.onlyIn ?? store) == store }.map(\.column))
    }

    public static var tables: Set<String> { Set(entries.map(\.table)) }
}
