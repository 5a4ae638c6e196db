import Foundation
import StewardModel

/// `support_cases`: a case a tenant's admin opened with the deployment's operator.
public struct SupportCaseRecord: StoredRecord, Equatable {
    public static let table = "support_cases"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("subject", .text), ("contact_name", .text), ("contact_email", .text), ("contact_phone", .text), ("user_id", .text),
        ("status", .text), ("created_by", .text), ("created_at", .integer), ("updated_at", .integer), ("closed_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: SupportCaseID
    public var subject: String
    public var contactName: String
    public var contactEmail: String
    public var contactPhone: String?
    public var userID: UserID?
    public var status: SupportCaseStatus
    public var createdBy: AdminID?
    public var createdAt: Date
    public var updatedAt: Date
    public var closedAt: Date?

    public init(
        tenantID: TenantID, id: SupportCaseID, subject: String, contactName: String, contactEmail: String, contactPhone: String?,
        userID: UserID?, status: SupportCaseStatus, createdBy: AdminID?, createdAt: Date, updatedAt: Date, closedAt: Date? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.subject = subject
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.contactPhone = contactPhone
        self.userID = userID
        self.status = status
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [
            .text(subject), .text(contactName), .text(contactEmail), .text(contactPhone), .text(userID?.rawValue), .text(status.rawValue),
            .text(createdBy?.rawValue), .date(createdAt), .date(updatedAt), .date(closedAt),
        ]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: SupportCaseID(rawValue: key), subject: row.string("subject"),
            contactName: row.string("contact_name"), contactEmail: row.string("contact_email"),
            contactPhone: row.text("contact_phone"), userID: row.text("user_id").map(UserID.init(rawValue:)),
            status: SupportCaseStatus(rawValue: row.string("status")) ?? .open,
            createdBy: row.text("created_by").map(AdminID.init(rawValue:)), createdAt: row.date("created_at") ?? .distantPast,
            updatedAt: row.date("updated_at") ?? .distantPast, closedAt: row.date("closed_at"))
    }

    public func view(messages: [SupportMessageRecord]? = nil, withAttachments: Bool = false) -> SupportCaseView {
        SupportCaseView(
            id: id, subject: subject, contactName: contactName, contactEmail: contactEmail, contactPhone: contactPhone, userId: userID,
            status: status, createdBy: createdBy, createdAt: createdAt, updatedAt: updatedAt, closedAt: closedAt,
            messages: messages?.map { $0.view(withAttachment: withAttachments) })
    }

    public static func with(status: SupportCaseStatus?) -> [String: StoreValue] { status.map { ["status": .text($0.rawValue)] } ?? [:] }
    public static func about(_ user: UserID) -> [String: StoreValue] { ["user_id": .text(user.rawValue)] }
    public static func withContact(_ email: String) -> [String: StoreValue] { ["contact_email": .textIgnoringCase(email)] }
}

/// `support_messages`: the thread of a case, with at most one bounded attachment each.
public struct SupportMessageRecord: StoredRecord, Equatable {
    public static let table = "support_messages"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("case_id", .text), ("author", .text), ("author_name", .text), ("body", .text), ("attachment_name", .text),
        ("attachment", .blob), ("created_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: SupportMessageID
    public var caseID: SupportCaseID
    public var author: SupportAuthor
    public var authorName: String
    public var body: String
    public var attachmentName: String?
    public var attachment: Data?
    public var createdAt: Date

    public init(
        tenantID: TenantID, id: SupportMessageID, caseID: SupportCaseID, author: SupportAuthor, authorName: String, body: String,
        attachmentName: String?, attachment: Data?, createdAt: Date
    ) {
        self.tenantID = tenantID
        self.id = id
        self.caseID = caseID
        self.author = author
        self.authorName = authorName
        self.body = body
        self.attachmentName = attachmentName
        self.attachment = attachment
        self.createdAt = createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(caseID.rawValue), .text(author.rawValue), .text(authorName), .text(body), .text(attachmentName), .blob(attachment), .date(createdAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: SupportMessageID(rawValue: key), caseID: SupportCaseID(rawValue: row.string("case_id")),
            author: SupportAuthor(rawValue: row.string("author")) ?? .tenant, authorName: row.string("author_name"),
            body: row.string("body"), attachmentName: row.text("attachment_name"), attachment: row.blob("attachment"),
            createdAt: row.date("created_at") ?? .distantPast)
    }

    public func view(withAttachment: Bool = false) -> SupportMessageView {
        SupportMessageView(
            id: id, author: author, authorName: authorName, message: body,
            attachment: attachmentName.map {
                SupportAttachmentView(name: $0, sizeBytes: attachment?.count ?? 0, data: withAttachment ? attachment?.base64EncodedString() : nil)
            },
            createdAt: createdAt)
    }

    public static func of(_ caseID: SupportCaseID) -> [String: StoreValue] { ["case_id": .text(caseID.rawValue)] }
}
