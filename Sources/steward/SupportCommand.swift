import ArgumentParser
import Foundation
import StewardModel
import StewardServer
import StewardStore

/// `steward support`: the operator's side of the tenants' support cases — list what waits,
/// read a thread, answer, close. Each answer is audited in the tenant's log as the CLI.
struct SupportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "support", abstract: "Answer the tenants' support cases (the operator's side).",
        subcommands: [List.self, Show.self, Reply.self, Close.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cases of every tenant (open ones by default).")
        @OptionGroup var store: StoreOptions
        @Option(help: "open, answered, closed or all.") var status = "open"

        func run() async throws {
            let wanted = status == "all" ? nil : SupportCaseStatus(rawValue: status)
            guard status == "all" || wanted != nil else { throw ValidationError("--status is open, answered, closed or all") }
            let storage = try await store.openStorage(try store.layers(), create: false)
            defer { Task { await storage.close() } }
            for tenant in try await storage.tenants() {
                let cases = try await storage.records(
                    SupportCaseRecord.self, tenantID: tenant.id, filter: SupportCaseRecord.with(status: wanted), after: nil, limit: 10_000)
                for record in cases {
                    print("\(tenant.id.rawValue)  \(record.id.rawValue)  \(record.status.rawValue)  \(WireCoding.format(record.updatedAt))  \(record.subject)")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A case and its thread.")
        @OptionGroup var target: AdminCommand.Target
        @Argument(help: "The case ID.") var caseID: String

        func run() async throws {
            guard SupportCaseID.isWellFormed(caseID) else { throw ValidationError("takes a case ID") }
            let (storage, tenantID, _, _) = try await target.open()
            defer { Task { await storage.close() } }
            let desk = SupportDesk(store: storage, clock: .system, ids: .timeOrdered(clock: .system))
            let id = SupportCaseID(rawValue: caseID)
            let record = try await desk.supportCase(tenantID: tenantID, caseID: id)
            print("\(record.subject) — \(record.status.rawValue)")
            print("Contact: \(record.contactName) <\(record.contactEmail)>\(record.contactPhone.map { ", \($0)" } ?? "")")
            for message in try await desk.messages(tenantID: tenantID, caseID: id) {
                print("\n[\(WireCoding.format(message.createdAt))] \(message.author.rawValue) \(message.authorName):")
                print(message.body)
                if let name = message.attachmentName { print("(attachment: \(name), \(message.attachment?.count ?? 0) bytes)") }
            }
        }
    }

    struct Reply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Answer a case (it becomes answered).")
        @OptionGroup var target: AdminCommand.Target
        @Argument(help: "The case ID.") var caseID: String
        @Option(help: "The answer.") var message: String
        @Option(help: "Who answers, as the tenant sees it.") var name = "Support"
        @Option(help: "A file to attach (at most 1 MiB).") var attach: String?

        func run() async throws {
            guard SupportCaseID.isWellFormed(caseID) else { throw ValidationError("takes a case ID") }
            let attachment = try attach.map { path in
                SupportAttachmentUpload(name: URL(fileURLWithPath: path).lastPathComponent, data: try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            let (storage, tenantID, _, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let desk = SupportDesk(store: storage, clock: .system, ids: .timeOrdered(clock: .system))
            let id = SupportCaseID(rawValue: caseID)
            _ = try await desk.add(
                tenantID: tenantID, caseID: id, author: .operator, authorName: name, SupportMessageRequest(message: message, attachment: attachment)
            ) { record, bytes in
                auditor.cliEvent(
                    tenantID: tenantID, activity: "SupportCase", operation: .update, targetID: id.rawValue, targetName: nil,
                    changes: [
                        ModifiedProperty(name: "messageAdded", oldValue: nil, newValue: "operator"),
                        ModifiedProperty(name: "status", oldValue: nil, newValue: record.status.rawValue),
                    ] + (bytes > 0 ? [ModifiedProperty(name: "attachment", oldValue: nil, newValue: "\(bytes) bytes")] : []))
            }
            print("Answered \(caseID).")
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a case (deleted a year later).")
        @OptionGroup var target: AdminCommand.Target
        @Argument(help: "The case ID.") var caseID: String

        func run() async throws {
            guard SupportCaseID.isWellFormed(caseID) else { throw ValidationError("takes a case ID") }
            let (storage, tenantID, _, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let desk = SupportDesk(store: storage, clock: .system, ids: .timeOrdered(clock: .system))
            let id = SupportCaseID(rawValue: caseID)
            _ = try await desk.setStatus(tenantID: tenantID, caseID: id, .closed) { old, new in
                auditor.cliEvent(
                    tenantID: tenantID, activity: "SupportCase", operation: .update, targetID: id.rawValue, targetName: nil,
                    changes: [ModifiedProperty(name: "status", oldValue: old.status.rawValue, newValue: new.status.rawValue)])
            }
            print("Closed \(caseID).")
        }
    }
}
