/// The PostgreSQL schema: the same migration IDs as `SQLiteMigrations`, in this dialect.
/// Numbered and append-only: never edit an applied one, add the next.
enum PostgresMigrations {
    static let all: [(id: String, sql: String)] = [
        ("0001_tenants_and_admins", """
        CREATE TABLE tenants (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            compliant_app_feature BOOLEAN NOT NULL DEFAULT FALSE,
            created_at BIGINT NOT NULL
        );
        CREATE TABLE admins (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, id)
        );
        CREATE TABLE admin_tokens (
            tenant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            admin_id TEXT NOT NULL,
            name TEXT NOT NULL,
            verifier BYTEA NOT NULL,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, admin_id) REFERENCES admins(tenant_id, id) ON DELETE CASCADE
        );
        CREATE INDEX admin_tokens_admin ON admin_tokens(tenant_id, admin_id);
        """),
        ("0002_enrollment_and_devices", """
        CREATE TABLE enrollment_tokens (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            verifier BYTEA NOT NULL,
            ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'personal')),
            description TEXT,
            created_at BIGINT NOT NULL,
            expires_at BIGINT,
            max_uses BIGINT CHECK (max_uses IS NULL OR max_uses > 0),
            use_count BIGINT NOT NULL DEFAULT 0,
            revoked_at BIGINT,
            PRIMARY KEY (tenant_id, id)
        );
        CREATE TABLE devices (
            tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id TEXT COLLATE "C" NOT NULL,
            secret_verifier BYTEA NOT NULL,
            ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'personal')),
            platform TEXT NOT NULL,
            platform_id TEXT,
            enrolled_at BIGINT NOT NULL,
            last_check_in_at BIGINT,
            agent_version TEXT,
            device_name TEXT COLLATE "C",
            manufacturer TEXT,
            model TEXT,
            serial_number TEXT,
            os_name TEXT,
            os_version TEXT,
            kernel_version TEXT,
            cpu_model TEXT,
            cpu_cores BIGINT,
            memory_bytes BIGINT,
            disk_bytes BIGINT,
            imei TEXT,
            meid TEXT,
            iccid TEXT,
            phone_number TEXT,
            wifi_mac_address TEXT,
            network_interfaces TEXT NOT NULL DEFAULT '[]',
            app_count BIGINT NOT NULL DEFAULT 0,
            refused_app_reports BIGINT NOT NULL DEFAULT 0,
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
            app_id TEXT COLLATE "C" NOT NULL,
            name TEXT NOT NULL,
            version TEXT,
            size_bytes BIGINT,
            install_location TEXT,
            PRIMARY KEY (tenant_id, device_id, app_id),
            FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
        );
        """),
        ("0003_job_runs", """
        CREATE TABLE job_runs (
            job TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            ran_at BIGINT NOT NULL,
            result TEXT NOT NULL
        );
        """),
    ]
}
