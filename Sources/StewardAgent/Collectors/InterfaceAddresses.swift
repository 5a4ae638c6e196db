#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IP addresses per interface name. The live source asks the kernel (getifaddrs); tests pass a
/// fixed table, since there is no file to fixture.
public protocol InterfaceAddressSource: Sendable {
    func addresses() -> [String: [String]]
}

public struct FixedInterfaceAddresses: InterfaceAddressSource {
    let table: [String: [String]]
    public init(_ table: [String: [String]]) { self.table = table }
    public func addresses() -> [String: [String]] { table }
}

public struct SystemInterfaceAddresses: InterfaceAddressSource {
    public init() {}

    public func addresses() -> [String: [String]] {
        var result: [String: [String]] = [:]
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return result }
        defer { freeifaddrs(head) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            // Drop the zone suffix of link-local IPv6 addresses (fe80::1%eth0).
            let numeric = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let text = numeric.split(separator: "%").first.map(String.init) ?? ""
            result[name, default: []].append(text)
        }
        return result
    }
}
