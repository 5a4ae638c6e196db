import Foundation
import Testing
import StewardModel
import StewardSCIM
import StewardServer
import StewardStore

/// Directory sync: a SCIM 2.0 client (written from RFC 7644, as the public validators cannot be
/// reached from here) provisions, updates, deactivates and deletes users and groups.
@Suite struct SCIMTests {
    @Test func filtersParseAndMatchAsTheRFCSays() throws {
        let user = SCIMUser(userName: "Bjensen@Example.com", externalId: "ext-1", displayName: "Barbara Jensen", email: "bjensen@example.com")
            .document(meta: SCIMMeta(id: "u1", created: Date(timeIntervalSince1970: 0), lastModified: Date(timeIntervalSince1970: 0), location: "/x"))
        let cases: [(String, Bool)] = [
            (#"userName eq "bjensen@example.com""#, true),          // caseExact false
            (#"externalId eq "EXT-1""#, false),                     // caseExact true
            (#"userName sw "bj" and displayName co "Jensen""#, true),
            (#"not (userName ew "@example.org")"#, true),
            (#"emails[type eq "work" and value co "@example.com"]"#, true),
            (#"emails.value eq "nobody@example.com" or active eq true"#, true),
            (#"title pr"#, false),
            (#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "BJENSEN@example.com""#, true),
            (#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
        ]
        for (text, expected) in cases {
            #expect(try SCIMFilter(text).matches(user) == expected, "\(text)")
        }
        for bad in [#"userName eq"#, #"userName xx "a""#, #"(userName eq "a""#, #"userName eq "unterminated"#, String(repeating: "(", count: 40)] {
            #expect(throws: SCIMError.self, "\(bad)") { try SCIMFilter(bad) }
        }
        #expect(try SCIMFilter(#"userName eq "a" and active eq true"#).equality(on: "username") == "a")
        #expect(try SCIMFilter(#"userName eq "a" or active eq true"#).equality(on: "userName") == nil)
    }

    @Test(arguments: StoreKind.available) func aDirectoryProvisionsUpdatesDeactivatesAndDeletesUsers(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let made: SCIMTokenCreated = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Entra ID"))
            #expect(made.scimUrl.hasSuffix("/scim/v2") && made.token.hasPrefix("sts."))
            let scim = SCIMClient(api: api, token: made.token)

            // Discovery.
            let config = try await scim.send(.GET, APIRoute.scimServiceProviderConfig.path)
            #expect(config.contentType == SCIMSchema.mediaType)
            #expect(config.document?["patch"]?["supported"] == .bool(true) && config.document?["filter"]?["supported"] == .bool(true))
            #expect(try await scim.send(.GET, APIRoute.scimResourceTypes.path).resources.compactMap { $0["id"]?.string }.sorted() == ["Group", "User"])
            #expect(try await scim.send(.GET, APIRoute.scimSchemas.path).total == 3)

            // Create, with the enterprise extension.
            let created = try await scim.send(
                .POST, APIRoute.scimCreateUser.path,
                SCIMClient.user("Ada@Example.test", externalId: "aad-0001", email: "ada@example.test", phone: "+1 555 0100", employeeNumber: "E-77"))
            #expect(created.status == .created)
            let id = try #require(created.id)
            #expect(created.headers[.location] == "/scim/v2/Users/\(id)")
            let document = try created.require()
            #expect(document["meta"]?["resourceType"] == .string("User"))
            #expect(document[SCIMSchema.enterpriseUser]?["employeeNumber"] == .string("E-77"))
            #expect(try await scim.send(.GET, APIRoute.scimGetUser.path(id)).require() == document)

            // The same userName again: 409 uniqueness, nothing written.
            let twice = try await scim.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("Ada@Example.test"))
            #expect(twice.status == .conflict && twice.scimType == "uniqueness")

            // Filters (userName ignores case), paging.
            #expect(try await scim.list("Users", filter: #"userName eq "ada@example.test""#).total == 1)
            #expect(try await scim.list("Users", filter: #"userName eq "Ada@Example.test""#).resources.first?["id"] == .string(id))
            #expect(try await scim.list("Users", filter: #"externalId eq "aad-0001""#).total == 1)
            #expect(try await scim.list("Users", filter: #"userName eq "nobody@example.test""#).total == 0)
            for number in 1...4 { _ = try await scim.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("u\(number)@example.test")).require() }
            let page = try await scim.list("Users", query: ["startIndex": "2", "count": "2", "attributes": "userName"])
            #expect(page.total == 5 && page.resources.count == 2 && page.document?["startIndex"] == .number(2))
            #expect(page.resources.allSatisfy { $0["userName"] != nil && $0["name"] == nil && $0["id"] != nil })
            let bad = try await scim.list("Users", filter: #"userName eq"#)
            #expect(bad.status == .badRequest && bad.scimType == "invalidFilter" && bad.contentType == SCIMSchema.mediaType)

            // PUT replaces: the phone not sent is gone.
            let replaced = try await scim.send(
                .PUT, APIRoute.scimReplaceUser.path(id),
                SCIMClient.user("ada@example.test", externalId: "aad-0001", given: "Augusta", email: "ada@example.test")).require()
            #expect(replaced["phoneNumbers"] == nil && replaced["name"]?["givenName"] == .string("Augusta"))

            // PATCH as Entra ID sends it: capitalised ops, a string boolean, a value path.
            let patched = try await scim.send(
                .PATCH, APIRoute.scimPatchUser.path(id),
                SCIMClient.patch([
                    SCIMClient.op("Replace", #"emails[type eq "work"].value"#, .string("countess@example.test")),
                    SCIMClient.op("Add", "name.familyName", .string("King")),
                    SCIMClient.op("Replace", nil, .object(["displayName": .string("Ada King")])),
                    SCIMClient.op("Replace", "active", .string("False")),
                ])).require()
            #expect(patched["emails"]?.array?.first?["value"] == .string("countess@example.test"))
            #expect(patched["displayName"] == .string("Ada King") && patched["active"] == .bool(false))

            // The admin API sees the directory's user, deactivated; the default setting keeps them.
            let view = try await api.send(.GET, APIRoute.getUser.path(id), token: api.adminToken).decode(UserView.self)
            #expect(view.origin == .directory && view.directoryId == "aad-0001" && !view.active && view.eraseAt == nil)
            #expect(view.email == "countess@example.test" && view.familyName == "King")
            #expect(view.externalIds["employeeId"] == nil, "the PUT sent no employee number")

            // Refused without storing anything: wrong types, malformed JSON, a bad patch path.
            for (body, type) in [
                (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.test","active":5}"#, "invalidValue"),
                (#"{"userName": "#, "invalidSyntax"),
                (#"{"userName":["a"]}"#, "invalidValue"),
            ] {
                let answer = try await scim.send(.POST, APIRoute.scimCreateUser.path, rawBody: body)
                #expect(answer.status == .badRequest && answer.scimType == type, "\(body)")
            }
            let badPatch = try await scim.send(
                .PATCH, APIRoute.scimPatchUser.path(id), SCIMClient.patch([SCIMClient.op("remove", "emails[type eq")]))
            #expect(badPatch.status == .badRequest && badPatch.scimType == "invalidPath")
            #expect(try await scim.list("Users").total == 5)

            // Every change is audited with the directory as the actor.
            let entries = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(targetID: id))
            #expect(entries.map(\.operation) == [.create, .update, .update] && entries.allSatisfy { $0.actorType == .directory && $0.actorID == made.view.id.rawValue })

            // DELETE: gone from SCIM, kept deactivated (the tenant's default), back when provisioned again.
            #expect(try await scim.send(.DELETE, APIRoute.scimDeleteUser.path(id)).status == .noContent)
            #expect(try await scim.send(.GET, APIRoute.scimGetUser.path(id)).status == .notFound)
            #expect(try await scim.list("Users", filter: #"userName eq "ada@example.test""#).total == 0)
            #expect(try await api.send(.GET, APIRoute.getUser.path(id), token: api.adminToken).decode(UserView.self).active == false)
            let back = try await scim.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("ada@example.test"))
            #expect(back.status == .created && back.id == id && back.document?["active"] == .bool(true))

            // A revoked token is refused, in SCIM's form; an admin token is no SCIM token.
            #expect(try await api.send(.DELETE, APIRoute.revokeSCIMToken.path(made.view.id.rawValue), token: api.adminToken).status == .noContent)
            let revoked = try await scim.send(.GET, APIRoute.scimListUsers.path)
            #expect(revoked.status == .unauthorized && revoked.document?["status"] == .string("401"))
            #expect(try await SCIMClient(api: api, token: api.adminToken).send(.GET, APIRoute.scimListUsers.path).status == .unauthorized)
        }
    }

    @Test(arguments: StoreKind.available) func aDirectoryManagesGroupsAndTheirMembers(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let made: SCIMTokenCreated = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Okta"))
            let scim = SCIMClient(api: api, token: made.token)
            var users: [String] = []
            for name in ["a", "b", "c"] {
                users.append(try #require(try await scim.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("\(name)@example.test")).id))
            }
            let created = try await scim.send(.POST, APIRoute.scimCreateGroup.path, SCIMClient.group("Engineering", externalId: "g-1", members: [users[0]]))
            #expect(created.status == .created)
            let id = try #require(created.id)
            #expect(created.document?["members"]?.array?.count == 1)

            // Entra ID's membership updates: add a list, remove by value path, remove with a value.
            _ = try await scim.send(
                .PATCH, APIRoute.scimPatchGroup.path(id),
                SCIMClient.patch([SCIMClient.op("Add", "members", .array([.object(["value": .string(users[1])]), .object(["value": .string(users[2])])]))])
            ).require()
            #expect(try await scim.list("Groups", filter: #"id eq "\#(id)" and members[value eq "\#(users[2])"]"#).total == 1)
            _ = try await scim.send(
                .PATCH, APIRoute.scimPatchGroup.path(id),
                SCIMClient.patch([
                    SCIMClient.op("Remove", #"members[value eq "\#(users[0])"]"#),
                    SCIMClient.op("Remove", "members", .array([.object(["value": .string(users[1])])])),
                ])
            ).require()
            let members = try await api.send(.GET, APIRoute.listGroupMembers.path(id), token: api.adminToken).decode(Page<GroupMemberView>.self)
            #expect(members.items.map(\.id) == [users[2]])
            let group = try await api.send(.GET, APIRoute.getGroup.path(id), token: api.adminToken).decode(GroupView.self)
            #expect(group.origin == .directory && group.directoryId == "g-1" && group.kind == .user)

            // Reads without members; filters by name.
            let lean = try await scim.send(.GET, APIRoute.scimGetGroup.path(id) + "?excludedAttributes=members").require()
            #expect(lean["members"] == nil && lean["displayName"] == .string("Engineering"))
            #expect(try await scim.list("Groups", filter: #"displayName eq "Engineering""#).total == 1)

            // PUT renames and sets the members; a member that is no user of this tenant is refused.
            _ = try await scim.send(.PUT, APIRoute.scimReplaceGroup.path(id), SCIMClient.group("Eng", members: [users[0], users[1]])).require()
            let stranger = try await scim.send(.PUT, APIRoute.scimReplaceGroup.path(id), SCIMClient.group("Eng", members: ["nobody"]))
            #expect(stranger.status == .badRequest && stranger.scimType == "invalidValue")
            #expect(try await scim.send(.GET, APIRoute.scimGetGroup.path(id)).document?["members"]?.array?.count == 2)

            // Device groups are Steward's own: SCIM does not see them.
            let devices: GroupView = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "Lab", kind: .device))
            #expect(try await scim.send(.GET, APIRoute.scimGetGroup.path(devices.id.rawValue)).status == .notFound)
            #expect(try await scim.list("Groups").total == 1)

            #expect(try await scim.send(.DELETE, APIRoute.scimDeleteGroup.path(id)).status == .noContent)
            #expect(try await scim.send(.GET, APIRoute.scimGetGroup.path(id)).status == .notFound)
            #expect(try await api.send(.GET, APIRoute.getUser.path(users[0]), token: api.adminToken).status == .ok, "members stay")
        }
    }

    @Test(arguments: StoreKind.available) func deprovisioningFollowsTheTenantsSetting(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let made: SCIMTokenCreated = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Entra ID"))
            let scim = SCIMClient(api: api, token: made.token)
            let settings = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken,
                json: TenantSettingsPatch(directoryDeprovisioning: .erase, directoryEraseAfterDays: 7)
            ).decode(TenantSettings.self)
            #expect(settings.directoryDeprovisioning == .erase && settings.directoryEraseAfterDays == 7)

            // Deactivated: erased 7 days later by the retention job, with a device of theirs.
            let id = try #require(try await scim.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("leaver@example.test")).id)
            let device = try await api.enroll(.corporate, platformId: "leaver-laptop")
            _ = try await api.send(
                .PATCH, APIRoute.updateDevice.path(device.deviceId.rawValue), token: api.adminToken,
                json: DevicePatch(userId: .some(UserID(rawValue: id))))
            _ = try await scim.send(.PATCH, APIRoute.scimPatchUser.path(id), SCIMClient.patch([SCIMClient.op("replace", "active", .bool(false))])).require()
            let view = try await api.send(.GET, APIRoute.getUser.path(id), token: api.adminToken).decode(UserView.self)
            #expect(view.eraseAt == env.clock.now.addingTimeInterval(7 * 86_400))
            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger)
            try await jobs.runJobs()
            #expect(try await api.send(.GET, APIRoute.getUser.path(id), token: api.adminToken).status == .ok, "not yet")
            env.clock.advance(7 * 86_400 + 1)
            try await jobs.runJobs()
            #expect(try await api.send(.GET, APIRoute.getUser.path(id), token: api.adminToken).status == .notFound)
            #expect(try await api.device(device.deviceId).status == .notFound, "erased with their devices")
            let erasure = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(targetID: id)).last
            #expect(erasure?.activity == "PrivacyErasure" && erasure?.actorType == .system)

            // With 0 days a SCIM DELETE erases at once.
            _ = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, json: TenantSettingsPatch(directoryEraseAfterDays: 0))
            let other = try #require(try await scim.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("gone@example.test")).id)
            #expect(try await scim.send(.DELETE, APIRoute.scimDeleteUser.path(other)).status == .noContent)
            #expect(try await api.send(.GET, APIRoute.getUser.path(other), token: api.adminToken).status == .notFound)
            let bad = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, json: TenantSettingsPatch(directoryEraseAfterDays: 400))
            #expect(bad.status == .badRequest)
        }
    }
}
