import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// End users, groups and roles as an admin manages them.
@Suite struct DirectoryTests {
    @Test(arguments: StoreKind.available) func usersOwnDevicesAndGroupsHoldMembers(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let admin = api.adminToken
            // An enrollment token names the user its devices belong to.
            let token: EnrollmentTokenView = try await api.created(
                .POST, APIRoute.createEnrollmentToken.path, EnrollmentTokenCreateRequest(ownership: .personal, userId: world.user.id))
            #expect(token.userId == world.user.id)
            let enrolled = try await api.send(
                .POST, APIRoute.enroll.path, token: token.token,
                json: EnrollRequest(platform: .linux, platformId: "dana-laptop", deviceName: "laptop", agentVersion: "t")
            ).decode(EnrollResponse.self)
            #expect(try await api.device(enrolled.deviceId).decode(DeviceView.self).userId == world.user.id)
            let hers = try await api.send(.GET, APIRoute.listDevices.path + "?userId=\(world.user.id)", token: admin).decode(Page<DeviceView>.self)
            #expect(hers.items.map(\.id) == [enrolled.deviceId])
            let unknownUser = try await api.send(
                .POST, APIRoute.createEnrollmentToken.path, token: admin,
                json: EnrollmentTokenCreateRequest(ownership: .corporate, userId: UserID(rawValue: "00000000-0000-7000-8000-00000000dead")))
            #expect(unknownUser.errorCode == "user_not_found")

            // UPNs and group names are unique per tenant.
            let again = try await api.send(.POST, APIRoute.createUser.path, token: admin, json: UserCreateRequest(displayName: "D", upn: "dana@example.test"))
            #expect(again.status == .conflict && again.errorCode == "already_exists")
            #expect(try await api.send(.POST, APIRoute.createGroup.path, token: admin, json: GroupCreateRequest(name: "Lab", kind: .user)).status == .conflict)
            let badUPN = try await api.send(.POST, APIRoute.createUser.path, token: admin, json: UserCreateRequest(displayName: "D", upn: "not-an-address"))
            #expect(badUPN.errorCode == "invalid_value")

            // A device group takes devices, a user group users.
            let wrongKind = try await api.send(
                .POST, APIRoute.addGroupMember.path(world.deviceGroup.id.rawValue), token: admin, json: GroupMemberRequest(userId: world.user.id))
            #expect(wrongKind.status == .badRequest)
            let twice = try await api.send(
                .POST, APIRoute.addGroupMember.path(world.deviceGroup.id.rawValue), token: admin, json: GroupMemberRequest(deviceId: world.device.deviceId))
            #expect(twice.errorCode == "already_member")
            _ = try await api.created(
                .POST, APIRoute.addGroupMember.path(world.userGroup.id.rawValue), GroupMemberRequest(userId: world.user.id)) as GroupMemberView

            // Users are counted as they come and go (not recounted per read).
            let listedUsers = try await api.send(.GET, APIRoute.listUsers.path, token: admin).decode(Page<UserView>.self).items.count
            let summary = try await api.send(.GET, APIRoute.reportSummary.path, token: admin).decode(ReportSummary.self)
            #expect(summary.users == listedUsers && listedUsers == 1)

            // Deleting the user detaches their devices and leaves their groups; deleting a device leaves its groups.
            #expect(try await api.send(.DELETE, APIRoute.deleteUser.path(world.user.id.rawValue), token: admin).status == .noContent)
            #expect(try await api.device(enrolled.deviceId).decode(DeviceView.self).userId == nil)
            #expect(try await api.send(.GET, APIRoute.reportSummary.path, token: admin).decode(ReportSummary.self).users == 0)
            let userGroup = try await api.send(.GET, APIRoute.getGroup.path(world.userGroup.id.rawValue), token: admin).decode(GroupView.self)
            #expect(userGroup.memberCount == 0)
            #expect(try await api.send(.DELETE, APIRoute.deleteDevice.path(world.device.deviceId.rawValue), token: admin).status == .noContent)
            let lab = try await api.send(.GET, APIRoute.getGroup.path(world.deviceGroup.id.rawValue), token: admin).decode(GroupView.self)
            #expect(lab.memberCount == 0)
        }
    }

    @Test(arguments: StoreKind.available) func rolesInUseAndBuiltInRolesAreProtected(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let admin = api.adminToken
            let roles = try await api.send(.GET, APIRoute.listRoles.path, token: admin).decode(Page<RoleView>.self).items
            #expect(roles.filter(\.builtIn).map(\.name) == RoleDefinition.builtIn.map(\.name))
            #expect(roles.contains { $0.id == world.role.id && !$0.builtIn })
            let builtIn = RoleDefinition.helpDeskOperator.id.rawValue
            #expect(try await api.send(.PATCH, APIRoute.updateRole.path(builtIn), token: admin, json: RolePatch(name: "x")).errorCode == "built_in_role")
            #expect(try await api.send(.DELETE, APIRoute.deleteRole.path(builtIn), token: admin).errorCode == "built_in_role")
            #expect(try await api.send(.DELETE, APIRoute.deleteRole.path(world.role.id.rawValue), token: admin).errorCode == "role_in_use")
            #expect(try await api.send(.DELETE, APIRoute.deleteGroup.path(world.deviceGroup.id.rawValue), token: admin).errorCode == "group_in_use")
            let userScope = try await api.send(
                .POST, APIRoute.createRoleAssignment.path, token: admin,
                json: RoleAssignmentCreateRequest(roleId: world.role.id, adminId: world.secondAdmin.id, scopeGroupIds: [world.userGroup.id]))
            #expect(userScope.status == .badRequest)
            let unknownPermission = try await api.send(
                .POST, APIRoute.createRole.path, token: admin, raw: Data(#"{"name":"x","permissions":["devices.fly"]}"#.utf8))
            #expect(unknownPermission.errorCode == "invalid_enum_value")

            // Nobody grants, or acts on an account holding, more than they hold themselves.
            let (_, roleManager) = try await world.admin(holding: [.rolesManage, .rolesRead, .adminsManage])
            let wider = try await api.send(
                .POST, APIRoute.createRole.path, token: roleManager, json: RoleCreateRequest(name: "wide", permissions: [.devicesWipe]))
            #expect(wider.status == .forbidden && wider.errorCode == "permission_escalation")
            let toAdministrator = try await api.send(
                .POST, APIRoute.createRoleAssignment.path, token: roleManager,
                json: RoleAssignmentCreateRequest(roleId: RoleDefinition.administrator.id, adminId: world.secondAdmin.id))
            #expect(toAdministrator.errorCode == "permission_escalation")
            let me = try await api.send(.GET, APIRoute.me.path, token: admin).decode(MeView.self)
            let takeover = try await api.send(
                .POST, APIRoute.resetAdminPassword.path(me.admin.id.rawValue), token: roleManager,
                json: PasswordChangeRequest(password: "i am the admin now"))
            #expect(takeover.errorCode == "permission_escalation")
            #expect(Set(me.permissions.map(\.permission)) == Set(Permission.allCases), "the first admin holds every permission")

            // Once unassigned, the role and the group can go.
            #expect(try await api.send(.DELETE, APIRoute.deleteRoleAssignment.path(world.assignment.id.rawValue), token: admin).status == .noContent)
            #expect(try await api.send(.DELETE, APIRoute.deleteRole.path(world.role.id.rawValue), token: admin).status == .noContent)
            #expect(try await api.send(.DELETE, APIRoute.deleteGroup.path(world.deviceGroup.id.rawValue), token: admin).status == .noContent)
        }
    }
}
