import Foundation
import Hummingbird
import NIOCore
import StewardModel
import StewardSCIM
import StewardStore

/// SCIM 2.0 (RFC 7644) at `/scim/v2`: a directory provisions the tenant's users and user
/// groups with its SCIM token. Every answer, errors included, is `application/scim+json` in the
/// protocol's own form; every change is audited with the directory as the actor.
struct SCIMController: Sendable {
    static let basePath = "/scim/v2"
    /// A user or group document (a large group's members included).
    static let bodyLimit = 2 << 20
    /// Resources a filter without an indexed equality may scan; past it, 400 `tooMany`.
    static let maxScan = 100_000

    let store: any Storage
    let requests: DataSubjectRequests
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    typealias Body = @Sendable (Request, StewardRequestContext) async throws -> SCIMResponse

    /// The directory token checked, then the handler; SCIM and API errors answered as SCIM errors.
    func authenticated(_ body: @escaping Body) -> Body {
        { request, context in
            do {
                return try await body(request, try await DirectoryAuthentication.authenticate(request, context, store: store, clock: clock))
            } catch let error as SCIMError {
                return SCIMResponse(error: error)
            } catch let error as APIError where error.status.code < 500 {
                return SCIMResponse(error: SCIMError(Int(error.status.code), nil, error.message))
            } catch StoreError.notFound {
                return SCIMResponse(error: .notFound("resource"))
            } catch StoreError.conflict {
                return SCIMResponse(error: SCIMError(409, .uniqueness, "Another user or group of this tenant already has this name."))
            }
        }
    }

    // MARK: Discovery

    func serviceProviderConfig(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        SCIMResponse(SCIMDiscovery.serviceProviderConfig(baseURL: Self.basePath))
    }

    func resourceTypes(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let types = SCIMDiscovery.resourceTypes(baseURL: Self.basePath)
        return SCIMResponse(SCIMDiscovery.list(types, total: types.count, startIndex: 1))
    }

    func schemas(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let schemas = SCIMDiscovery.schemas(baseURL: Self.basePath)
        return SCIMResponse(SCIMDiscovery.list(schemas, total: schemas.count, startIndex: 1))
    }

    // MARK: Users

    func listUsers(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let query = try ListQuery(request)
        var candidates: [UserRecord]
        if let userName = query.filter?.equality(on: "userName") {
            // userName ignores case, and so does the index it is found by.
            candidates = try await store.records(UserRecord.self, tenantID: tenantID, filter: UserRecord.withUPN(userName), after: nil, limit: 100)
        } else if let externalID = query.filter?.equality(on: "externalId") {
            candidates = try await store.records(
                UserRecord.self, tenantID: tenantID, filter: UserRecord.withDirectoryID(externalID), after: nil, limit: 1_000)
        } else if let id = query.filter?.equality(on: "id") {
            candidates = try await store.record(UserRecord.self, tenantID: tenantID, key: id).map { [$0] } ?? []
        } else {
            candidates = try await scan(UserRecord.self, tenantID: tenantID)
        }
        let documents = candidates.filter { $0.directoryDeletedAt == nil }.map(document).filter { query.filter?.matches($0) ?? true }
        return SCIMResponse(query.page(documents))
    }

    func getUser(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let user = try await visibleUser(context)
        return SCIMResponse(try ListQuery(request).projection.apply(document(user)))
    }

    func createUser(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let input = try SCIMUser(try await Self.document(request))
        let settings = try await self.settings(tenantID)
        let now = clock.now()
        // A user the directory deleted and now provisions again comes back (same person, same devices).
        // userName is unique whatever its case.
        if let existing = try await store.records(
            UserRecord.self, tenantID: tenantID, filter: UserRecord.withUPN(input.userName), after: nil, limit: 1
        ).first {
            guard existing.directoryDeletedAt != nil else { throw StoreError.conflict("users_upn") }
            let user = try await write(input, over: existing.id, tenantID: tenantID, settings: settings, context: context, reviving: true)
            return SCIMResponse(document(user), status: .created, location: location(user))
        }
        do {
            try await LicenseLimit.checkUsers(store, tenantID: tenantID)
        } catch let error as APIError {
            throw SCIMError(403, nil, error.message)
        }
        var user = UserRecord(
            tenantID: tenantID, id: ids(), displayName: input.displayName, upn: input.userName, email: input.email, phone: input.phone,
            externalIDs: [:], createdAt: now, origin: .directory)
        Self.apply(input, to: &user, settings: settings, now: now)
        let event = auditor.event(
            context, activity: "User", operation: .create, targetID: user.id.rawValue, targetName: user.displayName,
            changes: Changes.created(Self.properties(user)))
        try await store.write([.insert(user)], audit: event)
        return SCIMResponse(document(user), status: .created, location: location(user))
    }

    func replaceUser(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let existing = try await visibleUser(context)
        let input = try SCIMUser(try await Self.document(request))
        let user = try await write(input, over: existing.id, tenantID: tenantID, settings: try await settings(tenantID), context: context)
        return SCIMResponse(document(user))
    }

    func patchUser(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let existing = try await visibleUser(context)
        let patch = try SCIMPatch(try await Self.document(request))
        let input = try SCIMUser(try patch.apply(to: document(existing), multiValued: SCIMUser.multiValued))
        let user = try await write(input, over: existing.id, tenantID: tenantID, settings: try await settings(tenantID), context: context)
        return SCIMResponse(document(user))
    }

    /// Deprovisioning by the tenant's setting: deactivated (and hidden from SCIM) or, with
    /// `erase` and 0 days, erased at once as a data-subject erasure.
    func deleteUser(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let existing = try await visibleUser(context)
        let settings = try await settings(tenantID)
        if settings.directoryDeprovisioning == .erase && settings.directoryEraseAfterDays == 0 {
            _ = try await requests.erase(tenantID: tenantID, userID: existing.id) { changes in
                auditor.event(
                    context, activity: "PrivacyErasure", operation: .delete, targetType: "User", targetID: existing.id.rawValue,
                    changes: changes + [ModifiedProperty(name: "reason", oldValue: nil, newValue: "deleted by the directory")])
            }
            return SCIMResponse(status: .noContent)
        }
        let now = clock.now()
        try await store.update(UserRecord.self, tenantID: tenantID, key: existing.id.rawValue) { old in
            var new = old
            new.directoryDeletedAt = now
            new.deactivatedAt = old.deactivatedAt ?? now
            new.eraseAt = Self.eraseAt(deactivated: new.deactivatedAt, settings: settings)
            new.updatedAt = now
            var changes = Changes()
            changes.compare("active", String(old.deactivatedAt == nil), "false")
            changes.compare("deletedByDirectory", nil, "true")
            changes.compare("eraseAt", old.eraseAt.map(Self.timestamp), new.eraseAt.map(Self.timestamp))
            return (new, auditor.event(
                context, activity: "User", operation: .delete, targetID: old.id.rawValue, targetName: old.displayName,
                changes: changes.properties))
        }
        return SCIMResponse(status: .noContent)
    }

    // MARK: Groups

    func listGroups(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let query = try ListQuery(request)
        var candidates: [GroupRecord]
        if let name = query.filter?.equality(on: "displayName") {
            candidates = try await store.records(GroupRecord.self, tenantID: tenantID, filter: GroupRecord.named(name), after: nil, limit: 1)
        } else if let externalID = query.filter?.equality(on: "externalId") {
            candidates = try await store.records(
                GroupRecord.self, tenantID: tenantID, filter: GroupRecord.withDirectoryID(externalID), after: nil, limit: 1_000)
        } else if let id = query.filter?.equality(on: "id") {
            candidates = try await store.record(GroupRecord.self, tenantID: tenantID, key: id).map { [$0] } ?? []
        } else {
            candidates = try await scan(GroupRecord.self, tenantID: tenantID)
        }
        // Members are read when the filter or the answer needs them.
        let withMembers = query.filter?.mentions("members") == true || !query.projection.excludes("members")
        var documents: [SCIMValue] = []
        for group in candidates where group.kind == .user {
            let members = withMembers ? try await memberIDs(group) : []
            let full = document(group, members: members, includeMembers: withMembers)
            if query.filter?.matches(full) ?? true { documents.append(full) }
        }
        return SCIMResponse(query.page(documents))
    }

    func getGroup(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let group = try await visibleGroup(context)
        let projection = try ListQuery(request).projection
        let withMembers = !projection.excludes("members")
        return SCIMResponse(projection.apply(document(group, members: withMembers ? try await memberIDs(group) : [], includeMembers: withMembers)))
    }

    func createGroup(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let input = try SCIMGroup(try await Self.document(request))
        try await requireUsers(input.members, tenantID: tenantID)
        let now = clock.now()
        let group = GroupRecord(
            tenantID: tenantID, id: ids(), name: input.displayName, kind: .user, description: nil, createdAt: now, origin: .directory,
            directoryID: input.externalId)
        try await store.writeGroup(group, isNew: true, members: input.members, at: now) { added, _ in
            auditor.event(
                context, activity: "Group", operation: .create, targetID: group.id.rawValue, targetName: group.name,
                changes: Changes.created(Self.properties(group)) + Self.memberChanges(added: added, removed: []))
        }
        return SCIMResponse(document(group, members: input.members), status: .created, location: location(group))
    }

    func replaceGroup(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let existing = try await visibleGroup(context)
        let input = try SCIMGroup(try await Self.document(request))
        return SCIMResponse(try await write(input, over: existing, context: context))
    }

    func patchGroup(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let existing = try await visibleGroup(context)
        let patch = try SCIMPatch(try await Self.document(request))
        let before = document(existing, members: try await memberIDs(existing))
        let input = try SCIMGroup(try patch.apply(to: before, multiValued: SCIMGroup.multiValued))
        let written = try await write(input, over: existing, context: context)
        // Entra ID expects 204 or the group; the group without its members keeps big groups cheap.
        return SCIMResponse(ListQuery.excludingMembers.apply(written))
    }

    func deleteGroup(_ request: Request, context: StewardRequestContext) async throws -> SCIMResponse {
        let tenantID = try context.requireTenant()
        let existing = try await visibleGroup(context)
        try await store.delete(GroupRecord.self, tenantID: tenantID, key: existing.id.rawValue) { old in
            auditor.event(
                context, activity: "Group", operation: .delete, targetID: old.id.rawValue, targetName: old.name,
                changes: Changes.deleted(Self.properties(old)))
        }
        return SCIMResponse(status: .noContent)
    }

    // MARK: Writing

    private func write(
        _ input: SCIMUser, over id: UserID, tenantID: TenantID, settings: TenantSettings, context: StewardRequestContext,
        reviving: Bool = false
    ) async throws -> UserRecord {
        let now = clock.now()
        return try await store.update(UserRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            var new = old
            if reviving { new.directoryDeletedAt = nil }
            Self.apply(input, to: &new, settings: settings, now: now)
            var changes = Changes()
            for ((name, before), (_, after)) in zip(Self.properties(old), Self.properties(new)) { changes.compare(name, before, after) }
            return (new, auditor.event(
                context, activity: "User", operation: .update, targetID: old.id.rawValue, targetName: new.displayName,
                changes: changes.properties))
        }
    }

    private func write(_ input: SCIMGroup, over existing: GroupRecord, context: StewardRequestContext) async throws -> SCIMValue {
        try await requireUsers(input.members, tenantID: existing.tenantID)
        var group = existing
        group.name = input.displayName
        group.directoryID = input.externalId
        group.origin = .directory
        group.updatedAt = clock.now()
        try await store.writeGroup(group, isNew: false, members: input.members, at: clock.now()) { [group] added, removed in
            var changes = Changes()
            for ((name, before), (_, after)) in zip(Self.properties(existing), Self.properties(group)) { changes.compare(name, before, after) }
            return auditor.event(
                context, activity: "Group", operation: .update, targetID: group.id.rawValue, targetName: group.name,
                changes: changes.properties + Self.memberChanges(added: added, removed: removed))
        }
        return document(group, members: input.members)
    }

    /// The directory's view of the user over the stored one: what SCIM carries is replaced,
    /// what only Steward knows (third-party IDs but the employee number, devices) stays.
    static func apply(_ input: SCIMUser, to user: inout UserRecord, settings: TenantSettings, now: Date) {
        user.upn = input.userName
        user.displayName = input.displayName
        user.givenName = input.givenName
        user.familyName = input.familyName
        user.email = input.email
        user.phone = input.phone
        user.directoryID = input.externalId
        user.origin = .directory
        user.externalIDs["employeeId"] = input.employeeNumber
        if input.active {
            user.deactivatedAt = nil
            user.eraseAt = nil
        } else {
            user.deactivatedAt = user.deactivatedAt ?? now
            user.eraseAt = eraseAt(deactivated: user.deactivatedAt, settings: settings)
        }
        user.updatedAt = now
    }

    static func eraseAt(deactivated: Date?, settings: TenantSettings) -> Date? {
        guard let deactivated, settings.directoryDeprovisioning == .erase else { return nil }
        return deactivated.addingTimeInterval(TimeInterval(settings.directoryEraseAfterDays) * 86_400)
    }

    // MARK: Reading

    private func visibleUser(_ context: StewardRequestContext) async throws -> UserRecord {
        let tenantID = try context.requireTenant()
        let id = try context.parameters.require("id")
        guard let user = try await store.record(UserRecord.self, tenantID: tenantID, key: id), user.directoryDeletedAt == nil else {
            throw SCIMError.notFound("user")
        }
        return user
    }

    private func visibleGroup(_ context: StewardRequestContext) async throws -> GroupRecord {
        let tenantID = try context.requireTenant()
        let id = try context.parameters.require("id")
        guard let group = try await store.record(GroupRecord.self, tenantID: tenantID, key: id), group.kind == .user else {
            throw SCIMError.notFound("group")
        }
        return group
    }

    private func settings(_ tenantID: TenantID) async throws -> TenantSettings {
        guard let tenant = try await store.tenant(tenantID) else { throw SCIMError(401, nil, "The token's tenant is gone.") }
        return tenant.settings
    }

    private func memberIDs(_ group: GroupRecord) async throws -> [String] {
        var members: [String] = []
        var after: String?
        while true {
            let page = try await store.members(tenantID: group.tenantID, groupID: group.id, after: after, limit: 1_000)
            members += page.map(\.id)
            guard page.count == 1_000 else { return members }
            after = page.last?.id
        }
    }

    /// Members must be users of this tenant that the directory can see.
    private func requireUsers(_ members: [String], tenantID: TenantID) async throws {
        for member in members {
            guard let user = try await store.record(UserRecord.self, tenantID: tenantID, key: member), user.directoryDeletedAt == nil else {
                throw SCIMError.invalidValue("members: no user \(member.prefix(64)).")
            }
        }
    }

    private func scan<R: StoredRecord>(_ type: R.Type, tenantID: TenantID) async throws -> [R] {
        var all: [R] = []
        var after: String?
        while true {
            let page = try await store.records(type, tenantID: tenantID, filter: [:], after: after, limit: 1_000)
            all += page
            guard all.count <= Self.maxScan else {
                throw SCIMError(400, .tooMany, "Filter by userName, externalId or id (displayName for groups): this tenant has too many to scan.")
            }
            guard page.count == 1_000 else { return all }
            after = page.last?.key
        }
    }

    private func location(_ user: UserRecord) -> String { "\(Self.basePath)/Users/\(user.id.rawValue)" }
    private func location(_ group: GroupRecord) -> String { "\(Self.basePath)/Groups/\(group.id.rawValue)" }

    private func document(_ user: UserRecord) -> SCIMValue {
        SCIMUser(
            userName: user.upn, externalId: user.directoryID, displayName: user.displayName, givenName: user.givenName,
            familyName: user.familyName, email: user.email, phone: user.phone, active: user.deactivatedAt == nil,
            employeeNumber: user.externalIDs["employeeId"]
        ).document(meta: SCIMMeta(id: user.id.rawValue, created: user.createdAt, lastModified: user.updatedAt, location: location(user)))
    }

    private func document(_ group: GroupRecord, members: [String], includeMembers: Bool = true) -> SCIMValue {
        SCIMGroup(displayName: group.name, externalId: group.directoryID, members: members).document(
            meta: SCIMMeta(id: group.id.rawValue, created: group.createdAt, lastModified: group.updatedAt, location: location(group)),
            includeMembers: includeMembers)
    }

    static func document(_ request: Request) async throws -> SCIMValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw SCIMError(413, nil, "The request body is larger than 2 MiB.")
        }
        guard Request.isJSON(request.headers.single(.contentType)) else {
            throw SCIMError(415, nil, "Send the body as application/scim+json or application/json.")
        }
        return try SCIMValue.document(Data(buffer: buffer))
    }

    static func properties(_ user: UserRecord) -> [(String, String?)] {
        UserController.properties(user) + [
            ("givenName", user.givenName), ("familyName", user.familyName), ("directoryId", user.directoryID),
            ("active", String(user.deactivatedAt == nil)), ("eraseAt", user.eraseAt.map(timestamp)),
        ]
    }

    static func properties(_ group: GroupRecord) -> [(String, String?)] {
        [("name", group.name), ("kind", group.kind.rawValue), ("directoryId", group.directoryID)]
    }

    static func memberChanges(added: [String], removed: [String]) -> [ModifiedProperty] {
        var changes: [ModifiedProperty] = []
        if !added.isEmpty { changes.append(ModifiedProperty(name: "membersAdded", oldValue: nil, newValue: added.joined(separator: ","))) }
        if !removed.isEmpty { changes.append(ModifiedProperty(name: "membersRemoved", oldValue: removed.joined(separator: ","), newValue: nil)) }
        return changes
    }

    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }
}

/// `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes` of a list or read.
struct ListQuery {
    static let excludingMembers = SCIMProjection(attributes: nil, excludedAttributes: "members")
    var filter: SCIMFilter?
    var startIndex = 1
    var count = SCIMDiscovery.defaultCount
    var projection: SCIMProjection

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["filter"] { filter = try SCIMFilter(String(text)) }
        if let text = query["startIndex"] {
            guard let value = Int(text) else { throw SCIMError.invalidValue("startIndex: a number.") }
            startIndex = max(1, value)
        }
        if let text = query["count"] {
            guard let value = Int(text) else { throw SCIMError.invalidValue("count: a number.") }
            count = min(max(0, value), SCIMDiscovery.maxCount)
        }
        projection = SCIMProjection(
            attributes: query["attributes"].map(String.init), excludedAttributes: query["excludedAttributes"].map(String.init))
    }

    func page(_ documents: [SCIMValue]) -> SCIMValue {
        let shown = documents.dropFirst(startIndex - 1).prefix(count).map(projection.apply)
        return SCIMDiscovery.list(Array(shown), total: documents.count, startIndex: startIndex)
    }
}

/// A SCIM answer: a document (or none) as `application/scim+json`.
struct SCIMResponse: ResponseGenerator, Sendable {
    var status: HTTPResponse.Status
    var document: SCIMValue?
    var location: String?

    init(_ document: SCIMValue, status: HTTPResponse.Status = .ok, location: String? = nil) {
        self.status = status
        self.document = document
        self.location = location
    }

    init(status: HTTPResponse.Status) {
        self.status = status
    }

    init(error: SCIMError) {
        status = HTTPResponse.Status(code: error.status)
        document = error.document
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        if let location { headers[.location] = location }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        guard let document else { return Response(status: status, headers: headers) }
        headers[.contentType] = SCIMSchema.mediaType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.encoded())))
    }
}

/// `Authorization: Bearer sts.…`: the directory's SCIM token, unrevoked and unexpired.
enum DirectoryAuthentication {
    static func authenticate(
        _ request: Request, _ context: StewardRequestContext, store: any RecordStore, clock: Clock
    ) async throws -> StewardRequestContext {
        guard let credential = Credential(authorization: request.headers.single(.authorization), kind: .directoryToken),
            let token = try await store.record(SCIMTokenRecord.self, tenantID: credential.tenantID, key: credential.id),
            token.isActive(at: clock.now()), Secrets.matches(credential, verifier: token.verifier)
        else { throw SCIMError(401, nil, "A valid SCIM token is required.") }
        var context = context
        context.tenantID = token.tenantID
        context.credentialID = token.id
        context.actorType = .directory
        context.actorName = "Directory: \(token.name)"
        return context
    }
}
