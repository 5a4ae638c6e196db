import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// Support cases: the tenant opens and writes through the API, the operator answers through
/// `SupportDesk` (what `steward support reply` runs), closed cases go a year later.
@Suite struct SupportCaseTests {
    @Test(arguments: StoreKind.available) func aCaseRunsFromOpenToAnsweredToClosedAndGoesAYearLater(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let user: UserView = try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Eve", upn: "eve@example.test"))
            let log = Data((0..<2_000).map { UInt8(truncatingIfNeeded: $0) })
            let opened: SupportCaseView = try await api.created(
                .POST, APIRoute.createSupportCase.path,
                SupportCaseCreateRequest(
                    subject: "Laptop will not enroll", contactName: "Helen Help", contactEmail: "helen@example.test",
                    contactPhone: "+1 555 0199", message: "Error 42 since the update.", userId: user.id,
                    attachment: SupportAttachmentUpload(name: "agent.log", data: log)))
            #expect(opened.status == .open && opened.userId == user.id && opened.messages?.count == 1)
            let first = try #require(opened.messages?.first)
            #expect(first.author == .tenant && first.attachment == SupportAttachmentView(name: "agent.log", sizeBytes: 2_000))

            // The attachment is a download, byte for byte.
            let download = try await api.send(
                .GET, APIRoute.getSupportAttachment.path(opened.id.rawValue, first.id.rawValue), token: api.adminToken)
            #expect(download.status == .ok && download.body == log)
            #expect(download.headers[.contentType] == "application/octet-stream")
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"agent.log\"")

            // The operator answers; the tenant writes again (open), then closes it.
            let desk = SupportDesk(store: env.storage, clock: env.clock.clock, ids: env.dependencies.ids)
            _ = try await desk.add(
                tenantID: env.tenant.tenantId, caseID: opened.id, author: .operator, authorName: "Steward support",
                SupportMessageRequest(message: "Please update the agent.")
            ) { _, _ in env.auditEvent(activity: "SupportCase") }
            var seen = try await api.send(.GET, APIRoute.getSupportCase.path(opened.id.rawValue), token: api.adminToken).decode(SupportCaseView.self)
            #expect(seen.status == .answered && seen.messages?.map(\.author) == [.tenant, .operator])
            _ = try await api.created(
                .POST, APIRoute.addSupportMessage.path(opened.id.rawValue), SupportMessageRequest(message: "Still failing.")) as SupportMessageView
            seen = try await api.send(.GET, APIRoute.getSupportCase.path(opened.id.rawValue), token: api.adminToken).decode(SupportCaseView.self)
            #expect(seen.status == .open && seen.messages?.count == 3)
            let closed = try await api.send(
                .PATCH, APIRoute.updateSupportCase.path(opened.id.rawValue), token: api.adminToken, json: SupportCasePatch(status: .closed)
            ).decode(SupportCaseView.self)
            #expect(closed.status == .closed && closed.closedAt == env.clock.now)
            let listed = try await api.send(.GET, APIRoute.listSupportCases.path + "?status=closed", token: api.adminToken)
                .decode(Page<SupportCaseView>.self)
            #expect(listed.items.map(\.id) == [opened.id] && listed.items[0].messages == nil)

            // The audit log records that things happened, not what was written.
            let entries = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(targetID: opened.id.rawValue))
            #expect(entries.count == 3, "opened, written in, closed")
            for entry in entries {
                let text = String(decoding: entry.personal ?? Data(), as: UTF8.self)
                for secret in ["Laptop", "Helen", "helen@", "Error 42", "Still failing", "0199"] { #expect(!text.contains(secret)) }
            }

            // Kept a year after closing, then gone with its messages.
            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger)
            env.clock.advance(Double(SupportCases.retentionDays - 1) * 86_400)
            try await jobs.runJobs()
            #expect(try await api.send(.GET, APIRoute.getSupportCase.path(opened.id.rawValue), token: api.adminToken).status == .ok)
            env.clock.advance(2 * 86_400)
            try await jobs.runJobs()
            #expect(try await api.send(.GET, APIRoute.getSupportCase.path(opened.id.rawValue), token: api.adminToken).status == .notFound)
            #expect(try await env.rawRows("support_messages").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func badAttachmentsAndBodiesAreRefusedAndStoreNothing(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { (api: APIClient) async throws -> Void in
            func open(_ attachment: SupportAttachmentUpload?, userId: UserID? = nil) async throws -> APIResponse {
                try await api.send(
                    .POST, APIRoute.createSupportCase.path, token: api.adminToken,
                    json: SupportCaseCreateRequest(
                        subject: "s", contactName: "c", contactEmail: "c@example.test", message: "m", userId: userId, attachment: attachment))
            }
            var badBase64 = SupportAttachmentUpload(name: "x.bin", data: Data())
            badBase64.data = "not base64!"
            for (attachment, why) in [
                (SupportAttachmentUpload(name: "../../etc/passwd", data: Data("x".utf8)), "a path"),
                (SupportAttachmentUpload(name: "big.bin", data: Data(count: SupportCases.maxAttachmentBytes + 1)), "over 1 MiB"),
                (badBase64, "not base64"),
            ] {
                #expect(try await open(attachment).status == .badRequest, "\(why)")
            }
            #expect(try await open(nil, userId: UserID(rawValue: "00000000-0000-7000-8000-0000000000ee")).status == .notFound)
            let huge = Data(#"{"subject":"s","contactName":"c","contactEmail":"c@example.test","message":""#.utf8)
                + Data(repeating: UInt8(ascii: "a"), count: SupportCases.maxBodyBytes) + Data(#""}"#.utf8)
            #expect(try await api.send(.POST, APIRoute.createSupportCase.path, token: api.adminToken, raw: huge).status == .contentTooLarge)
            #expect(try await env.rawRows("support_cases").isEmpty)
        }
    }
}
