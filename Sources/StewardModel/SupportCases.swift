import Foundation

/// Where a support case is: waiting for the operator (`open`), for the tenant (`answered`), or
/// done (`closed`; deleted `SupportCases.retentionDays` later).
public enum SupportCaseStatus: String, WireEnum {
    case open, answered, closed
}

/// Who wrote a message of a case: the tenant's admin, or the deployment's operator.
public enum SupportAuthor: String, WireEnum {
    case tenant, `operator`
}

public enum SupportCases {
    /// A closed case (messages and attachments) is deleted this long after it closed.
    public static let retentionDays = 365
    /// Largest attachment, decoded.
    public static let maxAttachmentBytes = 1 << 20
    /// Largest body of a message request (the attachment as base64, and the text).
    public static let maxBodyBytes = 1_500_000
    public static let maxMessagesPerCase = 500
}

/// A file sent with a message: base64 content, bounded.
public struct SupportAttachmentUpload: Codable, Sendable, Equatable {
    public var name: String
    public var data: String

    public init(name: String, data: Data) {
        self.name = name
        self.data = data.base64EncodedString()
    }

    /// The decoded bytes, checked: a plain file name, at most 1 MiB.
    public func decoded() throws(WireError) -> Data {
        try Validator().required(name, "attachment.name", limit: 200)
        guard !name.contains("/"), !name.contains("\\"), name != "..", name != "." else {
            throw .invalidValue(field: "attachment.name", reason: "a file name, without a folder")
        }
        guard data.utf8.count <= (SupportCases.maxAttachmentBytes / 3 + 1) * 4, let bytes = Data(base64Encoded: data) else {
            throw .invalidValue(field: "attachment.data", reason: "base64, at most 1 MiB decoded")
        }
        guard bytes.count <= SupportCases.maxAttachmentBytes else {
            throw .invalidValue(field: "attachment.data", reason: "at most 1 MiB decoded")
        }
        return bytes
    }
}

/// `POST /api/v1/support-cases`: a case opened with the deployment's operator.
public struct SupportCaseCreateRequest: Codable, Sendable, Equatable {
    public var subject: String
    public var contactName: String
    public var contactEmail: String
    public var contactPhone: String?
    public var message: String
    /// The end user the case concerns, if any.
    public var userId: UserID?
    public var attachment: SupportAttachmentUpload?

    public init(
        subject: String, contactName: String, contactEmail: String, contactPhone: String? = nil, message: String,
        userId: UserID? = nil, attachment: SupportAttachmentUpload? = nil
    ) {
        self.subject = subject
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.contactPhone = contactPhone
        self.message = message
        self.userId = userId
        self.attachment = attachment
    }

    public func validate() throws(WireError) {
        try Validator().required(subject, "subject", limit: 200)
        try Validator().required(contactName, "contactName", limit: 200)
        try EmailAddress.validate(contactEmail, field: "contactEmail")
        try Validator().string(contactPhone, "contactPhone", limit: 40)
        try Validator().required(message, "message", limit: 20_000)
    }
}

/// `POST /api/v1/support-cases/{id}/messages`.
public struct SupportMessageRequest: Codable, Sendable, Equatable {
    public var message: String
    public var attachment: SupportAttachmentUpload?

    public init(message: String, attachment: SupportAttachmentUpload? = nil) {
        self.message = message
        self.attachment = attachment
    }

    public func validate() throws(WireError) {
        try Validator().required(message, "message", limit: 20_000)
    }
}

/// `PATCH /api/v1/support-cases/{id}`: close a case, or open it again.
public struct SupportCasePatch: Codable, Sendable, Equatable {
    public var status: SupportCaseStatus

    public init(status: SupportCaseStatus) { self.status = status }

    public func validate() throws(WireError) {
        guard status != .answered else { throw .invalidValue(field: "status", reason: "open or closed") }
    }
}

public struct SupportAttachmentView: Codable, Sendable, Equatable {
    public var name: String
    public var sizeBytes: Int
    /// The content (base64), in a data-subject export only.
    public var data: String?

    public init(name: String, sizeBytes: Int, data: String? = nil) {
        self.name = name
        self.sizeBytes = sizeBytes
        self.data = data
    }
}

public struct SupportMessageView: Codable, Sendable, Equatable {
    public var id: SupportMessageID
    public var author: SupportAuthor
    public var authorName: String
    public var message: String
    public var attachment: SupportAttachmentView?
    public var createdAt: Date

    public init(
        id: SupportMessageID, author: SupportAuthor, authorName: String, message: String, attachment: SupportAttachmentView?,
        createdAt: Date
    ) {
        self.id = id
        self.author = author
        self.authorName = authorName
        self.message = message
        self.attachment = attachment
        self.createdAt = createdAt
    }
}

public struct SupportCaseView: Codable, Sendable, Equatable {
    public var id: SupportCaseID
    public var subject: String
    public var contactName: String
    public var contactEmail: String
    public var contactPhone: String?
    public var userId: UserID?
    public var status: SupportCaseStatus
    public var createdBy: AdminID?
    public var createdAt: Date
    public var updatedAt: Date
    public var closedAt: Date?
    /// The thread, oldest first (on a single case; not in lists).
    public var messages: [SupportMessageView]?

    public init(
        id: SupportCaseID, subject: String, contactName: String, contactEmail: String, contactPhone: String?, userId: UserID?,
        status: SupportCaseStatus, createdBy: AdminID?, createdAt: Date, updatedAt: Date, closedAt: Date?,
        messages: [SupportMessageView]? = nil
    ) {
        self.id = id
        self.subject = subject
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.contactPhone = contactPhone
        self.userId = userId
        self.status = status
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.messages = messages
    }
}
