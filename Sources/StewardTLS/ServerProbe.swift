import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// What an agent trusts a server by, beyond the system's roots: one certificate, given as a
/// file (`--ca-file`) or found by its key's pin (`--pin-sha256`) in what the server presents.
public enum ServerTrust {
    /// Connects to `host:port`, reads the certificates the server presents, and returns the
    /// one whose public key has the pin (PEM), or nil when none has. Nothing is sent over the
    /// connection: it closes after the handshake.
    public static func certificate(pinned pin: String, host: String, port: Int, timeout: TimeAmount = .seconds(10)) async throws -> String? {
        let found = NIOLockedValueBox<NIOSSLCertificate?>(nil)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: configuration)
        let serverName = IPAddress(host) == nil ? host : nil
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let handshake = loop.makePromise(of: Void.self)
        let watcher = HandshakeWatcher(done: handshake)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The pin decides, not the roots: the handshake completes only for a chain
                    // holding the pinned key.
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName) { chain, promise in
                        let match = chain.first { (try? TLSPin.of($0)) == pin }
                        found.withLockedValue { $0 = match }
                        promise.succeed(match == nil ? .failed : .certificateVerified)
                    }
                    try channel.pipeline.syncOperations.addHandlers([handler, watcher])
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            loop.execute { watcher.complete(.failure(error)) }
            throw error
        }
        let scheduled = channel.eventLoop.scheduleTask(in: timeout) { watcher.complete(.failure(ChannelError.connectTimeout(timeout))) }
        defer { scheduled.cancel() }
        do {
            try await handshake.futureResult.get()
        } catch {
            try? await channel.close()
            if found.withLockedValue({ $0 }) == nil { return nil }
            throw error
        }
        try? await channel.close()
        guard let certificate = found.withLockedValue({ $0 }) else { return nil }
        return try pem(certificate)
    }

    /// A certificate file's first certificate, as PEM (checked to be one).
    public static func certificate(file: String) throws(TLSFileError) -> String {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(file)
        } catch {
            throw .unreadable(file, "not a PEM certificate (\(error))")
        }
        guard let first = chain.first else { throw .unreadable(file, "no certificate in it") }
        do {
            return try pem(first)
        } catch {
            throw .unreadable(file, "cannot be read back (\(error))")
        }
    }

    /// TLS for a client that trusts `certificatePEM` only (or the system's roots when nil).
    public static func clientConfiguration(trusting certificatePEM: String?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let certificatePEM {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)))
        }
        return configuration
    }

    static func pem(_ certificate: NIOSSLCertificate) throws -> String {
        let der = try certificate.toDERBytes()
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
    }
}

/// Completes its promise when the TLS handshake does (or fails with the channel's error).
private final class HandshakeWatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Any
    let done: EventLoopPromise<Void>
    /// On the channel's event loop only: a promise completes once.
    var completed = false

    init(done: EventLoopPromise<Void>) { self.done = done }

    func complete(_ result: Result<Void, Error>) {
        guard !completed else { return }
        completed = true
        done.completeWith(result)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { complete(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        complete(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.ioOnClosedChannel))
        context.fireChannelInactive()
    }
}
