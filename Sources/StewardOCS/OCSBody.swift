import CompressNIO
import NIOCore

/// An OCS message's body as the agents send it — zlib (`application/x-compress`, the OCS Unix
/// agent and FusionInventory), gzip, or plain XML — inflated with a bound: a zip bomb stops at
/// `maxInflatedBytes` of output, having allocated no more.
public enum OCSBody {
    public enum Encoding: Sendable, Equatable { case zlib, gzip, plain }

    public enum Failure: Error, Equatable, Sendable {
        case tooLarge
        case corrupt
    }

    /// The encoding, from the first bytes (agents label zlib bodies inconsistently).
    public static func encoding(of body: ByteBuffer) -> Encoding {
        guard body.readableBytes >= 2, let first = body.getInteger(at: body.readerIndex, as: UInt8.self),
            let second = body.getInteger(at: body.readerIndex + 1, as: UInt8.self)
        else { return .plain }
        if first == 0x1F && second == 0x8B { return .gzip }
        if first == 0x78 && (UInt16(first) << 8 | UInt16(second)) % 31 == 0 { return .zlib }
        return .plain
    }

    public static func inflate(_ body: ByteBuffer, maxInflatedBytes: Int) throws(Failure) -> (bytes: [UInt8], encoding: Encoding) {
        let encoding = encoding(of: body)
        guard encoding != .plain else { return (Array(body.readableBytesView), .plain) }
        var input = body
        do {
            let output = try input.decompress(with: encoding == .gzip ? .gzip() : .zlib(), maxSize: maxInflatedBytes)
            return (Array(output.readableBytesView), encoding)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw .tooLarge
        } catch {
            throw .corrupt
        }
    }

    /// A reply in the encoding the agent used.
    public static func encode(_ text: String, as encoding: Encoding) -> ByteBuffer {
        var plain = ByteBuffer(string: text)
        guard encoding != .plain, let compressed = try? plain.compress(with: encoding == .gzip ? .gzip() : .zlib()) else {
            return ByteBuffer(string: text)
        }
        return compressed
    }
}
