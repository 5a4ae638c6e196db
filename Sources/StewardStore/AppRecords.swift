import Foundation
import StewardModel

/// `managed_apps`: the tenant's catalog of apps it manages.
public struct ManagedAppRecord: StoredRecord, Equatable {
    public static let table = "managed_apps"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("name", .text), ("publisher", .text), ("version", .text), ("platform", .text), ("package_id", .text),
        ("size_bytes", .integer), ("detection", .text), ("created_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: ManagedAppID
    public var name: String
    public var publisher: String?
    public var version: String?
    public var platform: Platform
    public var packageID: String
    public var sizeBytes: Int64?
    public var detection: DetectionRule
    public var createdAt: Date

    public init(
        tenantID: TenantID, id: ManagedAppID, name: String, publisher: String?, version: String?, platform: Platform,
        packageID: String, sizeBytes: Int64?, detection: DetectionRule, createdAt: Date
    ) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.publisher = publisher
        self.version = version
        self.platform = platform
        self.packageID = packageID
        self.sizeBytes = sizeBytes
        self.detection = detection
        self.createdAt = createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(name), .text(publisher), .text(version), .text(platform.rawValue), .text(packageID), .integer(sizeBytes),
         .json(detection), .date(createdAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: ManagedAppID(rawValue: key), name: row.string("name"), publisher: row.text("publisher"),
            version: row.text("version"), platform: Platform(rawValue: row.string("platform")) ?? .linux,
            packageID: row.string("package_id"), sizeBytes: row.integer("size_bytes"),
            detection: row.json("detection") ?? DetectionRule(), createdAt: row.date("created_at") ?? .distantPast)
    }

    public var view: ManagedAppView {
        ManagedAppView(
            id: id, name: name, publisher: publisher, version: version, platform: platform, packageId: packageID,
            sizeBytes: sizeBytes, detection: detection, createdAt: createdAt)
    }
}

/// `app_assignments`: an app assigned to a user or device group with an intent.
public struct AppAssignmentRecord: StoredRecord, Equatable {
    public static let table = "app_assignments"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("app_id", .text), ("group_id", .text), ("intent", .text), ("created_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: AppAssignmentID
    public var appID: ManagedAppID
    public var groupID: GroupID
    public var intent: AssignmentIntent
    public var createdAt: Date

    public init(tenantID: TenantID, id: AppAssignmentID, appID: ManagedAppID, groupID: GroupID, intent: AssignmentIntent, createdAt: Date) {
        self.tenantID = tenantID
        self.id = id
        self.appID = appID
        self.groupID = groupID
        self.intent = intent
        self.createdAt = createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] { [.text(appID.rawValue), .text(groupID.rawValue), .text(intent.rawValue), .date(createdAt)] }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: AppAssignmentID(rawValue: key), appID: ManagedAppID(rawValue: row.string("app_id")),
            groupID: GroupID(rawValue: row.string("group_id")), intent: AssignmentIntent(rawValue: row.string("intent")) ?? .available,
            createdAt: row.date("created_at") ?? .distantPast)
    }

    public var view: AppAssignmentView {
        AppAssignmentView(id: id, appId: appID, groupId: groupID, intent: intent, createdAt: createdAt)
    }
}
