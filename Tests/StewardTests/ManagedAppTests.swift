import Foundation
import Testing
import StewardAgent
import StewardModel
import StewardServer
import StewardStore

/// Managed apps: assignments reach devices through groups, agents report install states by
/// applying the detection rule to the real machine, and the per-app counts the database keeps
/// always equal a recount.
@Suite struct ManagedAppTests {
    /// The acceptance case: a package installed on this machine and one that is not, assigned
    /// to a group holding this machine, give installed = 1 and not installed = 1 after one
    /// check-in of the real agent.
    @Test(arguments: StoreKind.available) func oneCheckInFillsTheInstallSummary(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withEnrolledAgent(.personal) { enrolled in
            let (agent, deviceID) = (enrolled.agent, enrolled.deviceID)
            try await env.withClient { api in
                let group: GroupView = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "Lab", kind: .device))
                _ = try await api.created(
                    .POST, APIRoute.addGroupMember.path(group.id.rawValue), GroupMemberRequest(deviceId: deviceID)) as GroupMemberView
                for (name, package) in [("Debian package manager", "dpkg"), ("Absent", "steward-absent-package")] {
                    let app: ManagedAppView = try await api.created(
                        .POST, APIRoute.createApp.path, ManagedAppCreateRequest(name: name, platform: .linux, packageId: package))
                    _ = try await api.created(
                        .POST, APIRoute.createAppAssignment.path(app.id.rawValue), AppAssignmentRequest(groupId: group.id, intent: .required))
                        as AppAssignmentView
                }
            }

            let report = try await agent.checkIn()
            #expect(report.managedApps == 2)
            #expect(report.appCount == nil, "a personal device sends no app inventory, yet its managed apps are tracked")
            try await env.withClient { api in
                let apps = try await api.send(.GET, APIRoute.listApps.path, token: api.adminToken).decode(Page<ManagedAppView>.self).items
                let dpkg = try #require(apps.first { $0.packageId == "dpkg" })
                let absent = try #require(apps.first { $0.packageId == "steward-absent-package" })
                let installed = try await api.send(.GET, APIRoute.appInstallSummary.path(dpkg.id.rawValue), token: api.adminToken)
                    .decode(AppInstallSummary.self)
                #expect(installed.installedDeviceCount == 1 && installed.notInstalledDeviceCount == 0)
                let missing = try await api.send(.GET, APIRoute.appInstallSummary.path(absent.id.rawValue), token: api.adminToken)
                    .decode(AppInstallSummary.self)
                #expect(missing.notInstalledDeviceCount == 1 && missing.installedDeviceCount == 0)
                let statuses = try await api.send(.GET, APIRoute.appDeviceStatuses.path(absent.id.rawValue), token: api.adminToken)
                    .decode(Page<AppDeviceStatusView>.self).items
                #expect(statuses.map(\.deviceId) == [deviceID])
                #expect(statuses.first?.errorCode == "install_disabled", "the owner has not let the agent install: it says so")
                let onDevice = try await api.send(.GET, APIRoute.listDeviceManagedApps.path(deviceID.rawValue), token: api.adminToken)
                    .decode([DeviceManagedAppView].self)
                #expect(Set(onDevice.map(\.name)) == ["Debian package manager", "Absent"])
                #expect(try await api.appCount(deviceID) == 0, "its app inventory stays uncollected")

                // A minimum version above the installed one: not installed, and why.
                _ = try await api.send(
                    .PATCH, APIRoute.updateApp.path(dpkg.id.rawValue), token: api.adminToken,
                    json: ManagedAppPatch(detection: DetectionRule(debianPackage: "dpkg", minimumVersion: "99:1.0")))
            }
            let second = try await agent.checkIn()
            #expect(second.appStates.first { $0.errorCode == "below_minimum_version" } != nil)
            // A check-in with nothing new sends no states and fetches no list.
            let quiet = try await agent.checkIn()
            #expect(quiet.sectionsSent.isEmpty && quiet.appStates == second.appStates)
        }
    }

    /// The counts kept by triggers equal a recount after a seeded random walk of reports,
    /// device-user changes, device deletions and an app deletion.
    @Test(arguments: StoreKind.available) func countsMatchARecountAfterRandomStateChanges(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            var random = SeededGenerator(seed: 7)
            var apps: [ManagedAppView] = []
            for index in 0..<4 {
                apps.append(try await api.created(
                    .POST, APIRoute.createApp.path, ManagedAppCreateRequest(name: "App \(index)", platform: .linux, packageId: "pkg\(index)")))
            }
            var users: [UserView] = []
            for index in 0..<3 {
                users.append(try await api.created(
                    .POST, APIRoute.createUser.path, UserCreateRequest(displayName: "U\(index)", upn: "u\(index)@example.test")))
            }
            var devices: [EnrollResponse] = []
            for index in 0..<8 { devices.append(try await api.enroll(index % 2 == 0 ? .corporate : .personal, platformId: "d\(index)")) }
            let hashes = SectionHashes()
            for step in 0..<120 {
                guard let device = devices.randomElement(using: &random) else { break }
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<7:
                    let reports = apps.filter { _ in Bool.random(using: &random) }.map { app in
                        AppStateReport(appId: app.id, state: AppInstallState.allCases.randomElement(using: &random)!, errorCode: nil)
                    }
                    let answer = try await api.checkIn(
                        device.deviceSecret, CheckInRequest(agentVersion: "t", hashes: hashes, managedAppsVersion: 0, appStates: reports))
                    #expect(answer.status == .ok)
                case 7, 8:
                    let user = Bool.random(using: &random) ? users.randomElement(using: &random)!.id : nil
                    _ = try await api.send(.PATCH, APIRoute.updateDevice.path(device.deviceId.rawValue), token: api.adminToken, json: DevicePatch(userId: .some(user)))
                default:
                    if step % 3 == 0 {
                        _ = try await api.send(.DELETE, APIRoute.deleteDevice.path(device.deviceId.rawValue), token: api.adminToken)
                        devices.removeAll { $0.deviceId == device.deviceId }
                    }
                }
                if step == 90, let gone = apps.popLast() {
                    #expect(try await api.send(.DELETE, APIRoute.deleteApp.path(gone.id.rawValue), token: api.adminToken).status == .noContent)
                }
            }
            var checked = 0
            for app in apps {
                let summary = try await api.send(.GET, APIRoute.appInstallSummary.path(app.id.rawValue), token: api.adminToken)
                    .decode(AppInstallSummary.self)
                let statuses = try await api.send(.GET, APIRoute.appDeviceStatuses.path(app.id.rawValue) + "?limit=1000", token: api.adminToken)
                    .decode(Page<AppDeviceStatusView>.self).items
                var rows: [(state: String, devices: Int, users: Int)] = []
                for state in AppInstallState.allCases {
                    let inState = statuses.filter { $0.state == state }
                    rows.append((state.rawValue, inState.count, Set(inState.compactMap(\.userId)).count))
                }
                #expect(summary == AppInstallSummary(appId: app.id, rows: rows), "\(app.name)")
                checked += statuses.count
                let userStatuses = try await api.send(.GET, APIRoute.appUserStatuses.path(app.id.rawValue), token: api.adminToken)
                    .decode(Page<AppUserStatusView>.self).items
                #expect(userStatuses.map { $0.devicesByState.values.reduce(0, +) }.reduce(0, +) == statuses.filter { $0.userId != nil }.count)
            }
            #expect(checked > 0, "the walk left states to count")
        }
    }

    /// A device's list follows its groups and its user's groups; the list travels only when the
    /// tenant's version moved.
    @Test(arguments: StoreKind.available) func theListFollowsAssignmentsAndTravelsOnlyWhenItChanged(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let user: UserView = try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Pat", upn: "pat@example.test"))
            let device = try await api.enroll(.corporate, platformId: "pats")
            _ = try await api.send(.PATCH, APIRoute.updateDevice.path(device.deviceId.rawValue), token: api.adminToken, json: DevicePatch(userId: .some(user.id)))
            func checkIn(_ version: Int64?) async throws -> CheckInResponse {
                try await api.checkIn(device.deviceSecret, CheckInRequest(agentVersion: "t", hashes: SectionHashes(), managedAppsVersion: version))
                    .decode(CheckInResponse.self)
            }
            let first = try #require(try await checkIn(nil).managedApps)
            #expect(first.apps.isEmpty)
            #expect(try await checkIn(first.version).managedApps == nil, "unchanged: nothing sent")

            let people: GroupView = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "People", kind: .user))
            let lab: GroupView = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "Lab", kind: .device))
            _ = try await api.created(.POST, APIRoute.addGroupMember.path(people.id.rawValue), GroupMemberRequest(userId: user.id)) as GroupMemberView
            let editor: ManagedAppView = try await api.created(.POST, APIRoute.createApp.path, ManagedAppCreateRequest(name: "Vim", platform: .linux, packageId: "vim"))
            let office: ManagedAppView = try await api.created(.POST, APIRoute.createApp.path, ManagedAppCreateRequest(name: "Office", platform: .windows, packageId: "Microsoft.Office"))
            for (app, group, intent) in [(editor, people, AssignmentIntent.uninstall), (editor, lab, .required), (office, people, .available)] {
                _ = try await api.created(.POST, APIRoute.createAppAssignment.path(app.id.rawValue), AppAssignmentRequest(groupId: group.id, intent: intent)) as AppAssignmentView
            }
            let byUser = try #require(try await checkIn(first.version).managedApps)
            #expect(byUser.version > first.version)
            #expect(Set(byUser.apps.map(\.appId)) == [editor.id, office.id], "through the user's group")
            #expect(byUser.apps.first { $0.appId == editor.id }?.intent == .uninstall)
            #expect(byUser.apps.first { $0.appId == editor.id }?.detection == DetectionRule(debianPackage: "vim"))

            _ = try await api.created(.POST, APIRoute.addGroupMember.path(lab.id.rawValue), GroupMemberRequest(deviceId: device.deviceId)) as GroupMemberView
            let both = try #require(try await checkIn(byUser.version).managedApps)
            #expect(both.apps.first { $0.appId == editor.id }?.intent == .required, "required wins over uninstall")

            // Duplicates and unknown groups are refused; a bad report changes nothing.
            #expect(try await api.send(
                .POST, APIRoute.createAppAssignment.path(editor.id.rawValue), token: api.adminToken,
                json: AppAssignmentRequest(groupId: lab.id, intent: .available)).errorCode == "already_assigned")
            #expect(try await api.send(
                .POST, APIRoute.createAppAssignment.path(editor.id.rawValue), token: api.adminToken,
                json: AppAssignmentRequest(groupId: GroupID(rawValue: "00000000-0000-7000-8000-00000000ffff"), intent: .available)).status == .notFound)
            #expect(try await api.send(
                .POST, APIRoute.createApp.path, token: api.adminToken,
                json: ManagedAppCreateRequest(name: "Vim again", platform: .linux, packageId: "vim")).errorCode == "already_exists")
            #expect(try await api.send(
                .POST, APIRoute.createApp.path, token: api.adminToken,
                json: ManagedAppCreateRequest(name: "Bad", platform: .linux, packageId: "Not A Package")).errorCode == "invalid_value")
            let duplicate = [AppStateReport(appId: editor.id, state: .installed), AppStateReport(appId: editor.id, state: .failed)]
            #expect(try await api.checkIn(
                device.deviceSecret, CheckInRequest(agentVersion: "t", hashes: SectionHashes(), appStates: duplicate)).errorCode == "invalid_value")
            let summary = try await api.send(.GET, APIRoute.appInstallSummary.path(editor.id.rawValue), token: api.adminToken).decode(AppInstallSummary.self)
            #expect(summary == AppInstallSummary(appId: editor.id, rows: []))

            // Every change is audited.
            let log = try await api.send(.GET, APIRoute.listAuditEntries.path + "?activity=AppAssignment", token: api.adminToken)
                .decode(Page<AuditEntryView>.self).items
            #expect(log.count == 3 && log.allSatisfy { $0.operation == .assign })
        }
    }

    /// The agent's side: detection, the owner's allow-list, and honest states.
    @Test func theAgentActsOnlyWhereTheOwnerAllowed() throws {
        let app = { (package: String, intent: AssignmentIntent, minimum: String?) in
            ManagedAppInstruction(
                appId: ManagedAppID(rawValue: package), name: package, platform: .linux, packageId: package,
                detection: DetectionRule(debianPackage: package, minimumVersion: minimum), intent: intent)
        }
        let installed = ["curl": "7.88.1-10", "nano": "7.2-1"]
        let apps = [
            app("curl", .required, "7.0"), app("htop", .required, nil), app("nano", .uninstall, nil), app("jq", .available, nil),
            app("curl-new", .required, nil),
        ]
        let off = ManagedAppEvaluator(platform: .linux, configuration: AgentConfiguration(), installer: RecordingInstaller(installed: installed))
        let states = off.states(of: apps, installed: installed, redetect: { installed })
        #expect(states.map(\.state) == [.installed, .notInstalled, .installed, .notInstalled, .notInstalled])
        #expect(states.map(\.errorCode) == [nil, "install_disabled", "install_disabled", nil, "install_disabled"])

        let recorder = RecordingInstaller(installed: installed)
        let allowed = ManagedAppEvaluator(
            platform: .linux, configuration: AgentConfiguration(apps: .init(install: true, allow: ["htop", "nano"])), installer: recorder)
        let acted = allowed.states(of: apps, installed: installed, redetect: { recorder.packages })
        #expect(acted.map(\.state) == [.installed, .installed, .notInstalled, .notInstalled, .notInstalled])
        #expect(acted[4].errorCode == "not_allowed", "curl-new is not on the owner's list")
        #expect(recorder.calls == ["install htop", "remove nano"])

        let windows = ManagedAppInstruction(
            appId: ManagedAppID(rawValue: "w"), name: "w", platform: .windows, packageId: "W", detection: DetectionRule(), intent: .required)
        #expect(off.states(of: [windows], installed: [:], redetect: { [:] }).first?.state == .notApplicable)
        #expect(off.states(of: [app("curl", .required, "8.0")], installed: installed, redetect: { installed }).first?.errorCode == "below_minimum_version")
    }

    @Test func debianVersionsCompareAsDpkgDoes() throws {
        let ordered = ["0.9", "1.0~rc1", "1.0", "1.0-1", "1.0-2", "1.0a", "1.9", "1.10", "2.0", "1:0.1"]
        for (lower, higher) in zip(ordered, ordered.dropFirst()) {
            let (a, b) = (try #require(DebianVersion(lower)), try #require(DebianVersion(higher)))
            #expect(a < b, "\(lower) < \(higher)")
            #expect(!(b < a))
        }
        #expect(DebianVersion("1.0") == DebianVersion("1.00"))
        #expect(DebianVersion("") == nil && DebianVersion("x1") == nil && DebianVersion("a:1") == nil)
        #expect(DebianVersion.isPackageName("libc6") && !DebianVersion.isPackageName("Libc") && !DebianVersion.isPackageName("a"))
    }
}

/// Stands in for apt in tests (apt would change this machine and needs the network): it
/// records what it was asked and updates its package list, so the evaluator's re-detection runs.
final class RecordingInstaller: PackageInstaller, @unchecked Sendable {
    private let lock = NSLock()
    private var installed: [String: String]
    private(set) var calls: [String] = []

    init(installed: [String: String]) { self.installed = installed }

    var packages: [String: String] { lock.withLock { installed } }

    func install(_ package: String) throws -> Int32 {
        lock.withLock {
            calls.append("install \(package)")
            installed[package] = "1.0"
        }
        return 0
    }

    func remove(_ package: String) throws -> Int32 {
        lock.withLock {
            calls.append("remove \(package)")
            installed[package] = nil
        }
        return 0
    }
}
