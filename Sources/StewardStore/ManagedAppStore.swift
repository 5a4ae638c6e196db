import Foundation
import StewardModel

/// Managed apps: what each device is asked to manage, and the install states agents report.
/// Counts per app and state (devices, and users with one or more devices in the state) are
/// kept by the database as states change.
public protocol ManagedAppStore: Sendable {
    /// The apps assigned to the device, through its device groups and its user's user groups.
    func managedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [ManagedAppInstruction]
    /// Replaces the device's reported states with `reports` (apps not in it lose their state);
    /// reports of apps the tenant does not have are ignored. Returns how many were stored.
    @discardableResult
    func replaceAppStates(tenantID: TenantID, deviceID: DeviceID, _ reports: [AppStateReport], at: Date) async throws -> Int
    /// The device's reported managed apps, by app ID.
    func deviceManagedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [DeviceManagedAppView]
    func installSummary(tenantID: TenantID, appID: ManagedAppID) async throws -> AppInstallSummary
    /// Device states of an app, ordered by device ID, after `after`.
    func appDeviceStatuses(
        tenantID: TenantID, appID: ManagedAppID, state: AppInstallState?, after: String?, limit: Int
    ) async throws -> [AppDeviceStatusView]
    /// Users with devices that reported the app, ordered by user ID, after `after`.
    func appUserStatuses(tenantID: TenantID, appID: ManagedAppID, after: String?, limit: Int) async throws -> [AppUserStatusView]
}
