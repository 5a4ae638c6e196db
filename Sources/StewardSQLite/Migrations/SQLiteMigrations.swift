/// The SQLite schema as numbered, append-only migrations. Never edit an applied one: add the next.
/// The PostgreSQL list carries the same IDs.
enum SQLiteMigrations {
    static let all: [(id: String, sql: String)] = [
        ("0001_tenants_and_admins", """
        CREATE TABLE tenants (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            compliant_app_feature INTEGER NOT NULL DEFAULT 0 CHECK (compliant_app_feature IN (0, 1)),
            created_at INTEGER NOT NULL
        );
        CREATE TABLE admins (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE TABLE admin_tokens (
            tenant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            admin_id TEXT NOT NULL,
            name TEXT NOT NULL,
            verifier BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, admin_id) REFERENCES admins(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX admin_tokens_admin ON admin_tokens(tenant_id, admin_id);
        """),
        ("0002_enrollment_and_devices", """
        CREATE TABLE enrollment_tokens (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            verifier BLOB NOT NULL,
            ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'personal')),
            description TEXT,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            max_uses INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
            use_count INTEGER NOT NULL DEFAULT 0,
            revoked_at INTEGER,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE TABLE devices (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            secret_verifier BLOB NOT NULL,
            ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'personal')),
            platform TEXT NOT NULL,
            platform_id TEXT,
            enrolled_at INTEGER NOT NULL,
            last_check_in_at INTEGER,
            agent_version TEXT,
            device_name TEXT,
            manufacturer TEXT,
            model TEXT,
            serial_number TEXT,
            os_name TEXT,
            os_version TEXT,
            kernel_version TEXT,
            cpu_model TEXT,
            cpu_cores INTEGER,
            memory_bytes INTEGER,
            disk_bytes INTEGER,
            imei TEXT,
            meid TEXT,
            iccid TEXT,
            phone_number TEXT,
            wifi_mac_address TEXT,
            network_interfaces TEXT NOT NULL DEFAULT '[]',
            app_count INTEGER NOT NULL DEFAULT 0,
            refused_app_reports INTEGER NOT NULL DEFAULT 0,
            hardware_hash TEXT,
            os_hash TEXT,
            network_hash TEXT,
            apps_hash TEXT,
            PRIMARY KEY (tenant_id, id)
        );
        CREATE INDEX devices_platform_id ON devices(tenant_id, platform_id);
        CREATE INDEX devices_os ON devices(tenant_id, os_name, id);
        CREATE INDEX devices_name ON devices(tenant_id, device_name);
        CREATE INDEX devices_last_check_in ON devices(tenant_id, last_check_in_at);
        CREATE TABLE device_apps (
            tenant_id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            app_id TEXT NOT NULL,
            name TEXT NOT NULL,
            version TEXT,
            size_bytes INTEGER,
            install_location TEXT,
            PRIMARY KEY (tenant_id, device_id, app_id),
            FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        """),
        ("0003_job_runs", """
        CREATE TABLE job_runs (
            job TEXT PRIMARY KEY NOT NULL,
            holder TEXT NOT NULL,
            ran_at INTEGER NOT NULL,
            result TEXT NOT NULL
        );
        """),
        // App inventories as integer pairs: each distinct app (ID, name, version, size, location)
        // is stored once per tenant in `software`; a device's inventory is (device key, software
        // ID) rows, a few dozen bytes each instead of two repeated 36-character IDs and the text.
        ("0004_compact_app_inventory", """
        ALTER TABLE devices ADD COLUMN device_key INTEGER;
        UPDATE devices SET device_key = rowid;
        CREATE UNIQUE INDEX devices_key ON devices(tenant_id, device_key);
        CREATE TABLE software (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            app_id TEXT NOT NULL,
            name TEXT NOT NULL,
            version TEXT,
            size_bytes INTEGER,
            install_location TEXT,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX software_fingerprint ON software(tenant_id, fingerprint);
        CREATE INDEX software_app ON software(tenant_id, app_id);
        CREATE TABLE device_software (
            tenant_id TEXT NOT NULL,
            device_key INTEGER NOT NULL,
            software_id INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, device_key, software_id),
            FOREIGN KEY (tenant_id, device_key) REFERENCES devices(tenant_id, device_key) ON DELETE CASCADE,
            FOREIGN KEY (tenant_id, software_id) REFERENCES software(tenant_id, id)
        ) WITHOUT ROWID;
        INSERT INTO software (tenant_id, id, fingerprint, app_id, name, version, size_bytes, install_location)
        SELECT tenant_id, row_number() OVER (PARTITION BY tenant_id ORDER BY fingerprint), fingerprint,
            app_id, name, version, size_bytes, install_location
        FROM (SELECT DISTINCT tenant_id, app_id, name, version, size_bytes, install_location,
                length(app_id) || ':' || app_id || length(name) || ':' || name
                || coalesce(length(version) || ':' || version, '~')
                || coalesce(length(CAST(size_bytes AS TEXT)) || ':' || CAST(size_bytes AS TEXT), '~')
                || coalesce(length(install_location) || ':' || install_location, '~') AS fingerprint
            FROM device_apps);
        INSERT INTO device_software (tenant_id, device_key, software_id)
        SELECT DISTINCT a.tenant_id, d.device_key, s.id FROM device_apps a
        JOIN devices d ON d.tenant_id = a.tenant_id AND d.id = a.device_id
        JOIN software s ON s.tenant_id = a.tenant_id AND s.app_id = a.app_id AND s.name = a.name
            AND s.version IS a.version AND s.size_bytes IS a.size_bytes AND s.install_location IS a.install_location;
        DROP TABLE device_apps;
        """),
        // Device counts per tenant, kept by triggers in the same transaction as the change, so
        // reports never recount (and a bulk load counts too). OS values join name and version
        // with U+001F.
        ("0005_device_counts", """
        CREATE TABLE device_counts (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            dimension TEXT NOT NULL,
            value TEXT NOT NULL,
            devices INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, dimension, value)
        ) WITHOUT ROWID;
        INSERT INTO device_counts (tenant_id, dimension, value, devices)
        SELECT tenant_id, 'ownership', ownership, count(*) FROM devices GROUP BY tenant_id, ownership
        UNION ALL SELECT tenant_id, 'platform', platform, count(*) FROM devices GROUP BY tenant_id, platform
        UNION ALL SELECT tenant_id, 'os', coalesce(os_name, '') || char(31) || coalesce(os_version, ''), count(*)
            FROM devices GROUP BY 1, 3;
        CREATE TRIGGER devices_counted AFTER INSERT ON devices BEGIN
            INSERT INTO device_counts (tenant_id, dimension, value, devices) VALUES
                (NEW.tenant_id, 'ownership', NEW.ownership, 1), (NEW.tenant_id, 'platform', NEW.platform, 1),
                (NEW.tenant_id, 'os', coalesce(NEW.os_name, '') || char(31) || coalesce(NEW.os_version, ''), 1)
            ON CONFLICT (tenant_id, dimension, value) DO UPDATE SET devices = devices + 1;
        END;
        CREATE TRIGGER devices_uncounted AFTER DELETE ON devices BEGIN
            UPDATE device_counts SET devices = devices - 1 WHERE tenant_id = OLD.tenant_id AND (
                (dimension = 'ownership' AND value = OLD.ownership) OR (dimension = 'platform' AND value = OLD.platform)
                OR (dimension = 'os' AND value = coalesce(OLD.os_name, '') || char(31) || coalesce(OLD.os_version, '')));
            DELETE FROM device_counts WHERE tenant_id = OLD.tenant_id AND devices = 0;
        END;
        CREATE TRIGGER devices_recounted AFTER UPDATE OF ownership, platform, os_name, os_version ON devices
        WHEN OLD.ownership IS NOT NEW.ownership OR OLD.platform IS NOT NEW.platform
            OR OLD.os_name IS NOT NEW.os_name OR OLD.os_version IS NOT NEW.os_version
        BEGIN
            UPDATE device_counts SET devices = devices - 1 WHERE tenant_id = OLD.tenant_id AND (
                (dimension = 'ownership' AND value = OLD.ownership) OR (dimension = 'platform' AND value = OLD.platform)
                OR (dimension = 'os' AND value = coalesce(OLD.os_name, '') || char(31) || coalesce(OLD.os_version, '')));
            INSERT INTO device_counts (tenant_id, dimension, value, devices) VALUES
                (NEW.tenant_id, 'ownership', NEW.ownership, 1), (NEW.tenant_id, 'platform', NEW.platform, 1),
                (NEW.tenant_id, 'os', coalesce(NEW.os_name, '') || char(31) || coalesce(NEW.os_version, ''), 1)
            ON CONFLICT (tenant_id, dimension, value) DO UPDATE SET devices = devices + 1;
            DELETE FROM device_counts WHERE tenant_id = OLD.tenant_id AND devices = 0;
        END;
        """),
        // The admin plane: admin accounts with passwords, sessions and expiring tokens;
        // end users and groups; custom roles and scoped role assignments (existing admins become
        // Administrators over all devices); and the append-only, hash-chained audit log.
        ("0006_admin_plane", """
        CREATE TABLE key_checks (
            purpose TEXT PRIMARY KEY NOT NULL,
            digest BLOB NOT NULL
        );
        ALTER TABLE admins ADD COLUMN user_name TEXT;
        ALTER TABLE admins ADD COLUMN first_name TEXT;
        ALTER TABLE admins ADD COLUMN last_name TEXT;
        ALTER TABLE admins ADD COLUMN email TEXT;
        ALTER TABLE admins ADD COLUMN phone TEXT;
        ALTER TABLE admins ADD COLUMN directory_id TEXT;
        ALTER TABLE admins ADD COLUMN password_verifier TEXT;
        ALTER TABLE admins ADD COLUMN totp_secret BLOB;
        ALTER TABLE admins ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE admins ADD COLUMN disabled_at INTEGER;
        ALTER TABLE admins ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE admins ADD COLUMN locked_until INTEGER;
        ALTER TABLE admins ADD COLUMN last_sign_in_at INTEGER;
        UPDATE admins SET user_name = 'admin';
        CREATE UNIQUE INDEX admins_user_name ON admins(tenant_id, user_name);
        ALTER TABLE admin_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'apiToken' CHECK (kind IN ('apiToken', 'session'));
        ALTER TABLE admin_tokens ADD COLUMN expires_at INTEGER;
        ALTER TABLE devices ADD COLUMN user_id TEXT;
        CREATE INDEX devices_user ON devices(tenant_id, user_id);
        ALTER TABLE enrollment_tokens ADD COLUMN user_id TEXT;
        CREATE TABLE users (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            upn TEXT NOT NULL,
            email TEXT,
            phone TEXT,
            external_ids TEXT NOT NULL DEFAULT '{}',
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX users_upn ON users(tenant_id, upn);
        CREATE TABLE groups (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('user', 'device')),
            description TEXT,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX groups_name ON groups(tenant_id, name);
        CREATE TABLE group_members (
            tenant_id TEXT NOT NULL,
            group_id TEXT NOT NULL,
            member_id TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, group_id, member_id),
            FOREIGN KEY (tenant_id, group_id) REFERENCES groups(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX group_members_member ON group_members(tenant_id, member_id);
        CREATE TABLE roles (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT,
            permissions TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX roles_name ON roles(tenant_id, name);
        CREATE TABLE role_assignments (
            tenant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            role_id TEXT NOT NULL,
            admin_id TEXT NOT NULL,
            scope_group_ids TEXT,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, admin_id) REFERENCES admins(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX role_assignments_admin ON role_assignments(tenant_id, admin_id);
        CREATE INDEX role_assignments_role ON role_assignments(tenant_id, role_id);
        INSERT INTO role_assignments (tenant_id, id, role_id, admin_id, scope_group_ids, created_at)
        SELECT tenant_id, id, '00000000-0000-0000-0000-000000000001', id, NULL, created_at FROM admins;
        CREATE TABLE audit_entries (
            tenant_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            id TEXT NOT NULL,
            at INTEGER NOT NULL,
            actor_type TEXT NOT NULL,
            actor_id TEXT,
            activity TEXT NOT NULL,
            operation TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT,
            modified_properties TEXT NOT NULL,
            result TEXT NOT NULL,
            request_id TEXT,
            personal TEXT,
            personal_digest BLOB NOT NULL,
            chain_hash BLOB NOT NULL,
            PRIMARY KEY (tenant_id, sequence)
        ) WITHOUT ROWID;
        CREATE INDEX audit_entries_at ON audit_entries(tenant_id, at);
        CREATE INDEX audit_entries_actor ON audit_entries(tenant_id, actor_id, sequence);
        CREATE INDEX audit_entries_target ON audit_entries(tenant_id, target_id, sequence);
        CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
        CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
        """),
        // Retention settings of each tenant: devices that have not checked in for
        // stale_device_days are removed; audit entries are kept audit_retention_days.
        ("0007_retention_settings", """
        ALTER TABLE tenants ADD COLUMN stale_device_days INTEGER NOT NULL DEFAULT 90
            CHECK (stale_device_days BETWEEN 30 AND 270);
        ALTER TABLE tenants ADD COLUMN audit_retention_days INTEGER NOT NULL DEFAULT 730
            CHECK (audit_retention_days BETWEEN 180 AND 3650);
        """),
        // An erasure blanks the personal fields of audit entries: the database now
        // allows exactly that update — personal set to NULL, every other column unchanged.
        ("0008_erasable_audit_personal_fields", """
        DROP TRIGGER audit_entries_no_update;
        CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        WHEN NOT (NEW.personal IS NULL AND NEW.tenant_id IS OLD.tenant_id AND NEW.sequence IS OLD.sequence AND NEW.id IS OLD.id
            AND NEW.at IS OLD.at AND NEW.actor_type IS OLD.actor_type AND NEW.actor_id IS OLD.actor_id
            AND NEW.activity IS OLD.activity AND NEW.operation IS OLD.operation
            AND NEW.target_type IS OLD.target_type AND NEW.target_id IS OLD.target_id
            AND NEW.modified_properties IS OLD.modified_properties AND NEW.result IS OLD.result
            AND NEW.request_id IS OLD.request_id AND NEW.personal_digest IS OLD.personal_digest
            AND NEW.chain_hash IS OLD.chain_hash)
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only; only their personal fields can be erased'); END;
        """),
        // Serial numbers and IMEIs a tenant registered as corporate.
        ("0009_corporate_identifiers", """
        CREATE TABLE corporate_identifiers (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('serialNumber', 'imei')),
            value TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, kind, value)
        ) WITHOUT ROWID;
        """),
        // Users enrolled, kept like the device counts: by triggers, in the same transaction.
        ("0010_user_counts", """
        INSERT INTO device_counts (tenant_id, dimension, value, devices)
        SELECT tenant_id, 'users', '', count(*) FROM users GROUP BY tenant_id;
        CREATE TRIGGER users_counted AFTER INSERT ON users BEGIN
            INSERT INTO device_counts (tenant_id, dimension, value, devices) VALUES (NEW.tenant_id, 'users', '', 1)
            ON CONFLICT (tenant_id, dimension, value) DO UPDATE SET devices = devices + 1;
        END;
        CREATE TRIGGER users_uncounted AFTER DELETE ON users BEGIN
            UPDATE device_counts SET devices = devices - 1 WHERE tenant_id = OLD.tenant_id AND dimension = 'users';
            DELETE FROM device_counts WHERE tenant_id = OLD.tenant_id AND dimension = 'users' AND devices = 0;
        END;
        """),
        // Pseudonymized diagnostics: per-tenant pseudonym keys (sealed under the
        // master key), the links from pseudonyms to devices and users, events holding pseudonyms
        // only, and their daily roll-ups (counts and latency buckets).
        ("0011_pseudonymized_diagnostics", """
        CREATE TABLE pseudonym_keys (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            sealed_key BLOB,
            created_at INTEGER NOT NULL,
            retired_at INTEGER,
            PRIMARY KEY (tenant_id, version)
        ) WITHOUT ROWID;
        CREATE TABLE pseudonyms (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            pseudonym TEXT NOT NULL,
            subject_type TEXT NOT NULL CHECK (subject_type IN ('device', 'user')),
            subject_id TEXT NOT NULL,
            key_version INTEGER NOT NULL,
            salt BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, pseudonym)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX pseudonyms_subject ON pseudonyms(tenant_id, subject_type, subject_id, key_version);
        CREATE TABLE diagnostic_events (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            duration_ms REAL,
            success INTEGER,
            code TEXT,
            device_pseudonym TEXT,
            user_pseudonym TEXT,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE INDEX diagnostic_events_at ON diagnostic_events(tenant_id, at);
        CREATE INDEX diagnostic_events_device ON diagnostic_events(tenant_id, device_pseudonym);
        CREATE INDEX diagnostic_events_user ON diagnostic_events(tenant_id, user_pseudonym);
        CREATE TABLE diagnostics_daily (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            events INTEGER NOT NULL,
            succeeded INTEGER NOT NULL,
            failed INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, day, kind, name)
        ) WITHOUT ROWID;
        CREATE TABLE diagnostics_latency (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            bucket INTEGER NOT NULL,
            events INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, day, kind, name, bucket)
        ) WITHOUT ROWID;
        """),
        // Audit retention: a purge leaves a sealed anchor where the chain now starts,
        // and the database deletes only entries behind an anchor.
        ("0012_audit_anchors", """
        CREATE TABLE audit_anchors (
            tenant_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            chain_hash BLOB NOT NULL,
            at INTEGER NOT NULL,
            seal BLOB NOT NULL,
            PRIMARY KEY (tenant_id, sequence)
        ) WITHOUT ROWID;
        CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors
        BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;
        CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
        BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;
        DROP TRIGGER audit_entries_no_delete;
        CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        WHEN NOT EXISTS (SELECT 1 FROM audit_anchors a WHERE a.tenant_id = OLD.tenant_id AND a.sequence >= OLD.sequence)
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only; only entries behind a retention anchor can be purged'); END;
        """),
        // Admin feature usage per tenant and day, read only across tenants.
        ("0013_feature_usage", """
        CREATE TABLE feature_usage_daily (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            feature TEXT NOT NULL,
            calls INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, day, feature)
        ) WITHOUT ROWID;
        """),
        // Managed apps: the tenant's app catalog, assignments to groups, the install
        // states agents report, and counts per app and state kept by triggers — devices, and
        // users with one or more devices in the state. tenants.apps_version changes whenever what
        // a device should manage may have changed, so a check-in asks for the list only then.
        ("0014_managed_apps", """
        ALTER TABLE tenants ADD COLUMN apps_version INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE managed_apps (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            publisher TEXT,
            version TEXT,
            platform TEXT NOT NULL,
            package_id TEXT NOT NULL,
            size_bytes INTEGER,
            detection TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX managed_apps_package ON managed_apps(tenant_id, platform, package_id);
        CREATE TABLE app_assignments (
            tenant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            app_id TEXT NOT NULL,
            group_id TEXT NOT NULL,
            intent TEXT NOT NULL CHECK (intent IN ('required', 'available', 'uninstall')),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, app_id) REFERENCES managed_apps(tenant_id, id) ON DELETE CASCADE,
            FOREIGN KEY (tenant_id, group_id) REFERENCES groups(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX app_assignments_group ON app_assignments(tenant_id, group_id, app_id);
        CREATE INDEX app_assignments_app ON app_assignments(tenant_id, app_id);
        CREATE TABLE app_install_states (
            tenant_id TEXT NOT NULL,
            app_id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            user_id TEXT,
            state TEXT NOT NULL,
            error_code TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, app_id, device_id),
            FOREIGN KEY (tenant_id, app_id) REFERENCES managed_apps(tenant_id, id) ON DELETE CASCADE,
            FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX app_install_states_device ON app_install_states(tenant_id, device_id);
        CREATE TABLE app_user_states (
            tenant_id TEXT NOT NULL,
            app_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            state TEXT NOT NULL,
            devices INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, app_id, user_id, state),
            FOREIGN KEY (tenant_id, app_id) REFERENCES managed_apps(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE TABLE app_install_counts (
            tenant_id TEXT NOT NULL,
            app_id TEXT NOT NULL,
            state TEXT NOT NULL,
            devices INTEGER NOT NULL,
            users INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, app_id, state),
            FOREIGN KEY (tenant_id, app_id) REFERENCES managed_apps(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE TRIGGER app_state_added AFTER INSERT ON app_install_states BEGIN
            INSERT INTO app_install_counts (tenant_id, app_id, state, devices, users) VALUES (NEW.tenant_id, NEW.app_id, NEW.state, 1, 0)
            ON CONFLICT (tenant_id, app_id, state) DO UPDATE SET devices = devices + 1;
            INSERT INTO app_user_states (tenant_id, app_id, user_id, state, devices)
            SELECT NEW.tenant_id, NEW.app_id, NEW.user_id, NEW.state, 1 WHERE NEW.user_id IS NOT NULL
            ON CONFLICT (tenant_id, app_id, user_id, state) DO UPDATE SET devices = devices + 1;
        END;
        CREATE TRIGGER app_state_removed AFTER DELETE ON app_install_states BEGIN
            UPDATE app_install_counts SET devices = devices - 1
            WHERE tenant_id = OLD.tenant_id AND app_id = OLD.app_id AND state = OLD.state;
            UPDATE app_user_states SET devices = devices - 1
            WHERE tenant_id = OLD.tenant_id AND app_id = OLD.app_id AND user_id = OLD.user_id AND state = OLD.state;
            DELETE FROM app_user_states
            WHERE tenant_id = OLD.tenant_id AND app_id = OLD.app_id AND user_id = OLD.user_id AND state = OLD.state AND devices = 0;
        END;
        CREATE TRIGGER app_state_changed AFTER UPDATE OF state, user_id ON app_install_states
        WHEN OLD.state IS NOT NEW.state OR OLD.user_id IS NOT NEW.user_id BEGIN
            UPDATE app_install_counts SET devices = devices - 1
            WHERE tenant_id = OLD.tenant_id AND app_id = OLD.app_id AND state = OLD.state;
            UPDATE app_user_states SET devices = devices - 1
            WHERE tenant_id = OLD.tenant_id AND app_id = OLD.app_id AND user_id = OLD.user_id AND state = OLD.state;
            DELETE FROM app_user_states
            WHERE tenant_id = OLD.tenant_id AND app_id = OLD.app_id AND user_id = OLD.user_id AND state = OLD.state AND devices = 0;
            INSERT INTO app_install_counts (tenant_id, app_id, state, devices, users) VALUES (NEW.tenant_id, NEW.app_id, NEW.state, 1, 0)
            ON CONFLICT (tenant_id, app_id, state) DO UPDATE SET devices = devices + 1;
            INSERT INTO app_user_states (tenant_id, app_id, user_id, state, devices)
            SELECT NEW.tenant_id, NEW.app_id, NEW.user_id, NEW.state, 1 WHERE NEW.user_id IS NOT NULL
            ON CONFLICT (tenant_id, app_id, user_id, state) DO UPDATE SET devices = devices + 1;
        END;
        CREATE TRIGGER app_user_counted AFTER INSERT ON app_user_states BEGIN
            UPDATE app_install_counts SET users = users + 1
            WHERE tenant_id = NEW.tenant_id AND app_id = NEW.app_id AND state = NEW.state;
        END;
        CREATE TRIGGER app_user_uncounted AFTER DELETE ON app_user_states BEGIN
            UPDATE app_install_counts SET users = users - 1
            WHERE tenant_id = OLD.tenant_id AND app_id = OLD.app_id AND state = OLD.state;
        END;
        CREATE TRIGGER device_user_moves_app_states AFTER UPDATE OF user_id ON devices
        WHEN OLD.user_id IS NOT NEW.user_id BEGIN
            UPDATE app_install_states SET user_id = NEW.user_id WHERE tenant_id = NEW.tenant_id AND device_id = NEW.id;
            UPDATE tenants SET apps_version = apps_version + 1 WHERE id = NEW.tenant_id;
        END;
        CREATE TRIGGER managed_app_changed AFTER UPDATE ON managed_apps BEGIN
            UPDATE tenants SET apps_version = apps_version + 1 WHERE id = NEW.tenant_id;
        END;
        CREATE TRIGGER app_assigned AFTER INSERT ON app_assignments BEGIN
            UPDATE tenants SET apps_version = apps_version + 1 WHERE id = NEW.tenant_id;
        END;
        CREATE TRIGGER app_unassigned AFTER DELETE ON app_assignments BEGIN
            UPDATE tenants SET apps_version = apps_version + 1 WHERE id = OLD.tenant_id;
        END;
        CREATE TRIGGER group_member_added_apps AFTER INSERT ON group_members BEGIN
            UPDATE tenants SET apps_version = apps_version + 1 WHERE id = NEW.tenant_id;
        END;
        CREATE TRIGGER group_member_removed_apps AFTER DELETE ON group_members BEGIN
            UPDATE tenants SET apps_version = apps_version + 1 WHERE id = OLD.tenant_id;
        END;
        """),
        // Remote tasks: one row per task and device with its life's times; devices
        // count their pending tasks (kept by triggers) so a heartbeat learns of them without a
        // query of its own; a retired device keeps its record but can no longer check in.
        ("0015_remote_tasks", """
        ALTER TABLE devices ADD COLUMN pending_tasks INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE devices ADD COLUMN retired_at INTEGER;
        CREATE TABLE remote_tasks (
            tenant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT,
            sent_at INTEGER,
            acknowledged_at INTEGER,
            completed_at INTEGER,
            expires_at INTEGER NOT NULL,
            result_code TEXT,
            result_message TEXT,
            bundle TEXT,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX remote_tasks_device ON remote_tasks(tenant_id, device_id, id);
        CREATE INDEX remote_tasks_open ON remote_tasks(tenant_id, state, expires_at);
        CREATE TRIGGER remote_task_pending AFTER INSERT ON remote_tasks WHEN NEW.state = 'pending' BEGIN
            UPDATE devices SET pending_tasks = pending_tasks + 1 WHERE tenant_id = NEW.tenant_id AND id = NEW.device_id;
        END;
        CREATE TRIGGER remote_task_taken AFTER UPDATE OF state ON remote_tasks
        WHEN OLD.state = 'pending' AND NEW.state <> 'pending' BEGIN
            UPDATE devices SET pending_tasks = pending_tasks - 1 WHERE tenant_id = NEW.tenant_id AND id = NEW.device_id;
        END;
        """),
        // A `software` row lives while a device holds it: install locations can name a user's
        // folder, so the last device letting go (inventory change, change to personal, deletion,
        // erasure) removes it in the same transaction. Remote tasks count as waiting until the
        // device acknowledges them: a task handed out but never acknowledged is handed out again.
        ("0016_released_software_and_redelivery", """
        ALTER TABLE devices ADD COLUMN re_enrollment_until INTEGER;
        CREATE INDEX device_software_software ON device_software(tenant_id, software_id);
        DELETE FROM software WHERE NOT EXISTS (
            SELECT 1 FROM device_software ds WHERE ds.tenant_id = software.tenant_id AND ds.software_id = software.id);
        CREATE TRIGGER software_released AFTER DELETE ON device_software
        WHEN NOT EXISTS (SELECT 1 FROM device_software WHERE tenant_id = OLD.tenant_id AND software_id = OLD.software_id)
        BEGIN
            DELETE FROM software WHERE tenant_id = OLD.tenant_id AND id = OLD.software_id;
        END;
        DROP TRIGGER remote_task_taken;
        CREATE TRIGGER remote_task_taken AFTER UPDATE OF state ON remote_tasks
        WHEN OLD.state IN ('pending', 'sent') AND NEW.state NOT IN ('pending', 'sent') BEGIN
            UPDATE devices SET pending_tasks = pending_tasks - 1 WHERE tenant_id = NEW.tenant_id AND id = NEW.device_id;
        END;
        UPDATE devices SET pending_tasks = (
            SELECT count(*) FROM remote_tasks r
            WHERE r.tenant_id = devices.tenant_id AND r.device_id = devices.id AND r.state IN ('pending', 'sent'));
        """),
        // The console sorts the device list by name and by last check-in, keyset-paged (the
        // index ends with the ID, the tie-break), and finds a device by its serial number.
        ("0017_device_list_sorts", """
        DROP INDEX devices_name;
        DROP INDEX devices_last_check_in;
        CREATE INDEX devices_name ON devices(tenant_id, device_name, id);
        CREATE INDEX devices_last_check_in ON devices(tenant_id, last_check_in_at, id);
        CREATE INDEX devices_serial ON devices(tenant_id, serial_number);
        """),
        // The physical MAC addresses an agent without a device secret is recognised by (OCS
        // protocol agents), looked up by address; they go with their device.
        ("0018_device_macs", """
        CREATE TABLE device_macs (
            tenant_id TEXT NOT NULL,
            mac TEXT NOT NULL,
            device_id TEXT NOT NULL,
            PRIMARY KEY (tenant_id, mac, device_id),
            FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX device_macs_device ON device_macs(tenant_id, device_id);
        """),
        // Here only (PostgreSQL keeps its index): a `software` row counts the devices holding
        // it, instead of an index of device_software by software ID. A device's first inventory
        // appended a row to every one of its apps' groups in that index — a few hundred scattered
        // pages rewritten per commit (measured: 20 ms for 857 apps at 600 devices, against 1.5 ms
        // counting). One writer, so no two transactions contend for the counts.
        ("0019_software_holders", """
        ALTER TABLE software ADD COLUMN holders INTEGER NOT NULL DEFAULT 0;
        UPDATE software SET holders = (
            SELECT count(*) FROM device_software ds WHERE ds.tenant_id = software.tenant_id AND ds.software_id = software.id);
        DROP TRIGGER software_released;
        DROP INDEX device_software_software;
        CREATE TRIGGER software_held AFTER INSERT ON device_software BEGIN
            UPDATE software SET holders = holders + 1 WHERE tenant_id = NEW.tenant_id AND id = NEW.software_id;
        END;
        CREATE TRIGGER software_released AFTER DELETE ON device_software BEGIN
            UPDATE software SET holders = holders - 1 WHERE tenant_id = OLD.tenant_id AND id = OLD.software_id;
            DELETE FROM software WHERE tenant_id = OLD.tenant_id AND id = OLD.software_id AND holders = 0;
        END;
        """),
        // The check-in that inserts a device's app rows raises their holder counts itself, in
        // one statement: the trigger ran once per row, and cost more than the rows. Deletions
        // (inventory changes, cascades, erasures) keep their trigger.
        ("0020_software_held_by_the_check_in", """
        DROP TRIGGER software_held;
        """),
        // A device looked up by an identifier — platform ID, serial number, user — in the
        // list's default order: each index ends with the ID, so the lookup is a seek. Without
        // it SQLite walked every device of the tenant in ID order to skip the sort (measured:
        // each OCS inventory's search for its machine grew with the fleet).
        ("0021_device_identifier_lookups", """
        DROP INDEX devices_platform_id;
        DROP INDEX devices_serial;
        DROP INDEX devices_user;
        CREATE INDEX devices_platform_id ON devices(tenant_id, platform_id, id);
        CREATE INDEX devices_serial ON devices(tenant_id, serial_number, id);
        CREATE INDEX devices_user ON devices(tenant_id, user_id, id);
        """),
        // Directory sync (SCIM): users and groups remember their origin and directory ID; a
        // deprovisioned user is deactivated and, by the tenant's setting, erased at `erase_at`;
        // directories authenticate with SCIM tokens (verifiers only).
        ("0022_directory_sync", """
        ALTER TABLE users ADD COLUMN given_name TEXT;
        ALTER TABLE users ADD COLUMN family_name TEXT;
        ALTER TABLE users ADD COLUMN origin TEXT NOT NULL DEFAULT 'admin' CHECK (origin IN ('admin', 'directory'));
        ALTER TABLE users ADD COLUMN directory_id TEXT;
        ALTER TABLE users ADD COLUMN deactivated_at INTEGER;
        ALTER TABLE users ADD COLUMN erase_at INTEGER;
        ALTER TABLE users ADD COLUMN directory_deleted_at INTEGER;
        ALTER TABLE users ADD COLUMN updated_at INTEGER;
        UPDATE users SET updated_at = created_at;
        CREATE INDEX users_directory_id ON users(tenant_id, directory_id);
        CREATE INDEX users_upn_folded ON users(tenant_id, upn COLLATE NOCASE);
        CREATE INDEX users_erase_at ON users(tenant_id, erase_at) WHERE erase_at IS NOT NULL;
        ALTER TABLE groups ADD COLUMN origin TEXT NOT NULL DEFAULT 'admin' CHECK (origin IN ('admin', 'directory'));
        ALTER TABLE groups ADD COLUMN directory_id TEXT;
        ALTER TABLE groups ADD COLUMN updated_at INTEGER;
        UPDATE groups SET updated_at = created_at;
        CREATE INDEX groups_directory_id ON groups(tenant_id, directory_id);
        ALTER TABLE tenants ADD COLUMN directory_deprovisioning TEXT NOT NULL DEFAULT 'disable'
            CHECK (directory_deprovisioning IN ('disable', 'erase'));
        ALTER TABLE tenants ADD COLUMN directory_erase_after_days INTEGER NOT NULL DEFAULT 30;
        CREATE TABLE scim_tokens (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            verifier BLOB NOT NULL,
            created_by TEXT,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            revoked_at INTEGER,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        """),
        // Support cases with the deployment's operator: a thread of messages with bounded
        // attachments; a closed case goes a year later, and with an erasure of its person.
        ("0023_support_cases", """
        CREATE TABLE support_cases (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            subject TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            contact_email TEXT NOT NULL,
            contact_phone TEXT,
            user_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
            created_by TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            closed_at INTEGER,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE INDEX support_cases_user ON support_cases(tenant_id, user_id);
        CREATE TABLE support_messages (
            tenant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            case_id TEXT NOT NULL,
            author TEXT NOT NULL CHECK (author IN ('tenant', 'operator')),
            author_name TEXT NOT NULL,
            body TEXT NOT NULL,
            attachment_name TEXT,
            attachment BLOB,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, case_id) REFERENCES support_cases(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX support_messages_case ON support_messages(tenant_id, case_id, id);
        """),
        // App protection without enrollment: app instances with their sealed data keys; they go
        // with their user, and after the tenant's staleDeviceDays without a check-in.
        ("0024_app_protection", """
        CREATE TABLE app_protection_instances (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            app_id TEXT NOT NULL,
            app_version TEXT NOT NULL,
            sdk_version TEXT NOT NULL,
            device_tag TEXT NOT NULL,
            platform TEXT NOT NULL,
            user_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('enrolled', 'wipePending', 'wiped')),
            health_status TEXT NOT NULL,
            secret_verifier BLOB NOT NULL,
            sealed_key BLOB,
            enrolled_at INTEGER NOT NULL,
            last_check_in_at INTEGER,
            wipe_requested_at INTEGER,
            wiped_at INTEGER,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE INDEX app_protection_instances_user ON app_protection_instances(tenant_id, user_id);
        """),
        // Third-party connectors: what the tenant connected, and so which declared flows are open.
        ("0025_connectors", """
        CREATE TABLE connectors (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('directory', 'applePush')),
            name TEXT NOT NULL,
            third_party_tenant_id TEXT,
            account_id TEXT,
            created_by TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        """),
        // The tenant's account: owner, subscription (licensed counts, a sealed key), billing
        // reference and closure; a closing tenant's audit log may go with it, and nothing else.
        ("0026_tenant_account", """
        ALTER TABLE tenants ADD COLUMN owner_email TEXT;
        ALTER TABLE tenants ADD COLUMN plan TEXT NOT NULL DEFAULT 'standard' CHECK (plan IN ('trial', 'standard', 'enterprise'));
        ALTER TABLE tenants ADD COLUMN licensed_devices INTEGER;
        ALTER TABLE tenants ADD COLUMN licensed_users INTEGER;
        ALTER TABLE tenants ADD COLUMN subscription_key BLOB;
        ALTER TABLE tenants ADD COLUMN billing_reference TEXT;
        ALTER TABLE tenants ADD COLUMN closure_requested_at INTEGER;
        ALTER TABLE tenants ADD COLUMN closes_at INTEGER;
        ALTER TABLE tenants ADD COLUMN closing INTEGER NOT NULL DEFAULT 0;
        DROP TRIGGER audit_entries_no_delete;
        CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        WHEN NOT EXISTS (SELECT 1 FROM audit_anchors a WHERE a.tenant_id = OLD.tenant_id AND a.sequence >= OLD.sequence)
            AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id AND t.closing = 1)
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only; only entries behind a retention anchor can be purged'); END;
        DROP TRIGGER audit_anchors_no_delete;
        CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
        WHEN NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id AND t.closing = 1)
        BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;
        """),
        // Identifiers other systems know a device by: Steward's management ID (made at
        // enrollment, distinct from the device ID), the directory's device ID, Exchange
        // ActiveSync's and Windows' own; each found by an index ending with the ID.
        ("0027_device_identifiers", """
        ALTER TABLE devices ADD COLUMN management_id TEXT;
        ALTER TABLE devices ADD COLUMN directory_device_id TEXT;
        ALTER TABLE devices ADD COLUMN eas_device_id TEXT;
        ALTER TABLE devices ADD COLUMN windows_device_id TEXT;
        UPDATE devices SET management_id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6)));
        CREATE INDEX devices_management_id ON devices(tenant_id, management_id, id);
        CREATE INDEX devices_directory_device_id ON devices(tenant_id, directory_device_id, id);
        CREATE INDEX devices_eas_device_id ON devices(tenant_id, eas_device_id, id);
        CREATE INDEX devices_windows_device_id ON devices(tenant_id, windows_device_id, id);
        """),
        // Apple's MDM protocol: the tenant's enrollment CA and push certificate (keys sealed),
        // each enrollment (pinned to the identity it was issued, push token sealed) and its commands.
        ("0028_apple_mdm", """
        CREATE TABLE apple_mdm_certificates (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL CHECK (id IN ('ca', 'push')),
            certificate TEXT NOT NULL,
            private_key BLOB NOT NULL,
            topic TEXT,
            connector_id TEXT,
            not_after INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ) WITHOUT ROWID;
        CREATE TABLE apple_mdm_enrollments (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            device_id TEXT,
            token_id TEXT NOT NULL,
            ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'personal')),
            user_id TEXT,
            enrollment_type TEXT NOT NULL CHECK (enrollment_type IN ('device', 'user')),
            protocol_id TEXT,
            certificate_fingerprint BLOB NOT NULL,
            issued_at INTEGER NOT NULL,
            certificate_expires_at INTEGER NOT NULL,
            authenticated_at INTEGER,
            push_token BLOB,
            push_magic BLOB,
            unlock_token BLOB,
            token_updated_at INTEGER,
            push_token_refused_at INTEGER,
            last_push_at INTEGER,
            user_channel INTEGER NOT NULL DEFAULT 0,
            last_seen_at INTEGER,
            last_inventory_at INTEGER,
            checked_out_at INTEGER,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX apple_mdm_enrollments_device ON apple_mdm_enrollments(tenant_id, device_id, id);
        CREATE TABLE apple_mdm_commands (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            request_type TEXT NOT NULL,
            task_id TEXT,
            state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'notNow', 'acknowledged', 'error', 'formatError')),
            queued_at INTEGER NOT NULL,
            sent_at INTEGER,
            answered_at INTEGER,
            error_codes TEXT,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX apple_mdm_commands_device ON apple_mdm_commands(tenant_id, device_id, state, id);
        CREATE UNIQUE INDEX apple_mdm_commands_task ON apple_mdm_commands(tenant_id, task_id);
        """),
        // Here only (PostgreSQL indexes device_software by software ID, so its check is a
        // seek): no foreign key from a device's app rows to `software`. Deleting a `software`
        // row — what the trigger does when the last device lets go of an app version, as every
        // upgrade across a fleet does — made SQLite look for referencing rows with no index to
        // use: a scan of the tenant's every app row (measured: 27 ms per released row at 1,000
        // devices of 300 apps, and growing with the fleet). The holder counts the trigger keeps
        // already say when nothing references a row; the writes that add references are the
        // check-in's own, under the one writer.
        ("0029_device_software_unchecked_reference", """
        DROP TRIGGER software_released;
        CREATE TABLE device_software_next (
            tenant_id TEXT NOT NULL,
            device_key INTEGER NOT NULL,
            software_id INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, device_key, software_id),
            FOREIGN KEY (tenant_id, device_key) REFERENCES devices(tenant_id, device_key) ON DELETE CASCADE
        ) WITHOUT ROWID;
        INSERT INTO device_software_next (tenant_id, device_key, software_id)
            SELECT tenant_id, device_key, software_id FROM device_software;
        DROP TABLE device_software;
        ALTER TABLE device_software_next RENAME TO device_software;
        CREATE TRIGGER software_released AFTER DELETE ON device_software BEGIN
            UPDATE software SET holders = holders - 1 WHERE tenant_id = OLD.tenant_id AND id = OLD.software_id;
            DELETE FROM software WHERE tenant_id = OLD.tenant_id AND id = OLD.software_id AND holders = 0;
        END;
        """),
        // PostgreSQL's only (its count rows were locked from a device's OS change to the commit,
        // across concurrent check-ins); here the one writer already serialises every write.
        ("0030_device_counts_at_commit", """
        SELECT 1
        """),
    ]
}
