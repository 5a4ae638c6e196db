import Logging

/// Steward's log handler: swift-log's stream format on standard error, with the metadata kept as
/// it is set and formatted only when a line is written. (`StreamLogHandler` formats its
/// metadata on every change — once per request, for Hummingbird's request ID — though nothing
/// may ever be logged; a measured share of every request's CPU.)
public struct StewardLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(label: String) {
        stream = StreamLogHandler.standardError(label: label)
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var stream = self.stream
        if !metadata.isEmpty { stream.metadata = metadata }
        stream.log(event: event)
    }

    /// Makes it every logger's handler in this process (once; later calls do nothing).
    public static func bootstrap() { _ = installed }

    private static let installed: Void = { LoggingSystem.bootstrap(StewardLogHandler.init) }()
}
