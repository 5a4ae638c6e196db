import Foundation

/// A value the hottest answers write by hand: the same bytes `WireCoding.sharedEncoder` makes
/// (keys sorted, slashes unescaped, times in ISO 8601 whole seconds, nil fields left out), without
/// the generic encoder's boxing and key sorting, which were most of a page of devices' cost.
/// `WireJSONTests` holds every conformance to the encoder's bytes on random values.
public protocol WireJSONWritable {
    /// Writes this value's members: `json.key(…)` then a value, in the encoder's key order.
    func write(to json: inout WireJSONWriter)
}

extension WireJSONWritable {
    /// The encoded value.
    public func wireJSON() -> [UInt8] {
        var json = WireJSONWriter()
        json.value(self)
        return json.bytes
    }
}

/// Bytes of JSON written front to back; the caller writes keys in sorted order.
public struct WireJSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// A member or an element was written at this level: the next one needs a comma first.
    private var needsComma = false

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    private mutating func valueStarts() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    public mutating func value(_ object: some WireJSONWritable) {
        valueStarts()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        object.write(to: &self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func value(_ objects: [some WireJSONWritable]) {
        array(objects) { json, object in json.value(object) }
    }

    public mutating func value(_ strings: [String]) {
        array(strings) { json, string in json.value(string) }
    }

    /// Hands the bytes written so far to `body` and forgets them (a long document hashed or
    /// sent in parts); what follows is written as if they were still there.
    public mutating func flush(_ body: ([UInt8]) -> Void) {
        body(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    public mutating func array<Elements: Sequence>(_ elements: Elements, _ write: (inout WireJSONWriter, Elements.Element) -> Void) {
        valueStarts()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for element in elements { write(&self, element) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    public mutating func value(_ number: Int64) {
        valueStarts()
        var magnitude = number.magnitude
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        let first = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[first...].reverse()
    }

    public mutating func value(_ flag: Bool) {
        valueStarts()
        bytes.append(contentsOf: flag ? Self.trueBytes : Self.falseBytes)
    }

    public mutating func value(_ string: String) {
        valueStarts()
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var clean = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<index]))
                escape(byte)
                clean = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// As the encoder escapes: the two-character forms where JSON has one, else `\u00XX`.
    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        }
    }

    /// `2026-12-06T08:00:00Z`: UTC, the seconds floored, as `.iso8601` writes a time.
    public mutating func value(_ date: Date) {
        valueStarts()
        bytes.append(UInt8(ascii: "\""))
        appendTime(date)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A time as the API writes it, `WireCoding.format`'s text.
    static func iso8601(_ date: Date) -> String {
        String(unsafeUninitializedCapacity: timeLength) { writeTime(date, to: $0, at: 0) }
    }

    private mutating func appendTime(_ date: Date) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: Self.timeLength))
        bytes.withUnsafeMutableBufferPointer { _ = Self.writeTime(date, to: $0, at: start) }
    }

    /// The length of a time's text: `2026-12-06T08:00:00Z`.
    public static let timeLength = 20

    /// Writes `WireCoding.format`'s text of the time (`timeLength` ASCII bytes) at `start`, and
    /// returns where it ends: into the caller's buffer, with no string or array of its own.
    public static func writeTime(_ date: Date, to out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        let seconds = Int64((date.timeIntervalSince1970).rounded(.down))
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        var at = start
        func digits(_ number: Int64, _ width: Int, then separator: UInt8?) {
            var rest = number.magnitude
            for offset in stride(from: width - 1, through: 0, by: -1) {
                out[at + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            at += width
            if let separator {
                out[at] = separator
                at += 1
            }
        }
        digits(year, 4, then: UInt8(ascii: "-"))
        digits(month, 2, then: UInt8(ascii: "-"))
        digits(day, 2, then: UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2, then: UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2, then: UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2, then: UInt8(ascii: "Z"))
        return at
    }

    /// The proleptic Gregorian date of a day number (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    // Members, each left out when nil as the synthesized `Encodable` leaves it out.

    public mutating func member(_ name: StaticString, _ string: String?) {
        guard let string else { return }
        key(name)
        value(string)
    }

    public mutating func member(_ name: StaticString, _ number: Int64?) {
        guard let number else { return }
        key(name)
        value(number)
    }

    public mutating func member(_ name: StaticString, _ number: Int?) {
        guard let number else { return }
        key(name)
        value(Int64(number))
    }

    public mutating func member(_ name: StaticString, _ flag: Bool?) {
        guard let flag else { return }
        key(name)
        value(flag)
    }

    public mutating func member(_ name: StaticString, _ date: Date?) {
        guard let date else { return }
        key(name)
        value(date)
    }

    public mutating func member(_ name: StaticString, _ strings: [String]) {
        key(name)
        value(strings)
    }

    public mutating func member(_ name: StaticString, _ objects: [some WireJSONWritable]) {
        key(name)
        value(objects)
    }

    public mutating func member<Raw: RawRepresentable<String>>(_ name: StaticString, _ raw: Raw?) {
        member(name, raw?.rawValue)
    }

    public mutating func member(_ name: StaticString, _ object: (some WireJSONWritable)?) {
        guard let object else { return }
        key(name)
        value(object)
    }

    /// A member written by the wire encoder itself (a rare part of a hot answer, not worth
    /// writing by hand): the encoder writes a nested value as it writes it inside a document.
    public mutating func member(_ name: StaticString, encoded value: (some Encodable)?) {
        guard let value else { return }
        key(name)
        valueStarts()
        // The wire encoder encodes every API value; were it ever to fail, null stands in.
        bytes.append(contentsOf: (try? WireCoding.sharedEncoder.encode(value)) ?? Data("null".utf8))
    }
}

extension Int64 {
    /// Quotient and remainder rounded toward minus infinity (times before 1970).
    fileprivate func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

extension Page: WireJSONWritable where Item: WireJSONWritable {
    public func write(to json: inout WireJSONWriter) {
        json.member("items", items)
        json.member("nextCursor", nextCursor)
    }
}

extension NetworkInterface: WireJSONWritable {
    public func write(to json: inout WireJSONWriter) {
        json.member("ipAddresses", ipAddresses)
        json.member("macAddress", macAddress)
        json.member("name", name)
        json.member("wireless", wireless)
    }
}

extension AppRecord: WireJSONWritable {
    public func write(to json: inout WireJSONWriter) {
        json.member("appId", appId)
        json.member("installLocation", installLocation)
        json.member("name", name)
        json.member("sizeBytes", sizeBytes)
        json.member("version", version)
    }
}

extension DeviceView: WireJSONWritable {
    public func write(to json: inout WireJSONWriter) {
        json.member("agentVersion", agentVersion)
        json.member("appCount", appCount)
        json.member("cpuCores", cpuCores)
        json.member("cpuModel", cpuModel)
        json.member("deviceName", deviceName)
        json.member("directoryDeviceId", directoryDeviceId)
        json.member("diskBytes", diskBytes)
        json.member("easDeviceId", easDeviceId)
        json.member("enrolledAt", enrolledAt)
        json.member("iccid", iccid)
        json.member("id", id)
        json.member("imei", imei)
        json.member("ipAddresses", ipAddresses)
        json.member("kernelVersion", kernelVersion)
        json.member("lastCheckInAt", lastCheckInAt)
        json.member("macAddresses", macAddresses)
        json.member("managementId", managementId)
        json.member("manufacturer", manufacturer)
        json.member("meid", meid)
        json.member("memoryBytes", memoryBytes)
        json.member("model", model)
        json.member("networkInterfaces", networkInterfaces)
        json.member("operatingSystem", operatingSystem)
        json.member("osVersion", osVersion)
        json.member("ownership", ownership)
        json.member("phoneNumber", phoneNumber)
        json.member("platform", platform)
        json.member("platformId", platformId)
        json.member("refusedAppReports", refusedAppReports)
        json.member("retiredAt", retiredAt)
        json.member("serialNumber", serialNumber)
        json.member("userId", userId)
        json.member("wifiMacAddress", wifiMacAddress)
        json.member("windowsDeviceId", windowsDeviceId)
    }
}

extension CollectionPolicy: WireJSONWritable {
    public func write(to json: inout WireJSONWriter) {
        json.member("checkInIntervalSeconds", checkInIntervalSeconds)
        json.member("collectApps", collectApps)
    }
}

extension SectionHashes: WireJSONWritable {
    public func write(to json: inout WireJSONWriter) {
        json.member("apps", apps)
        json.member("hardware", hardware)
        json.member("network", network)
        json.member("operatingSystem", operatingSystem)
    }
}

/// Every check-in's answer; what it hands out (managed apps, tasks) is rare and left to the encoder.
extension CheckInResponse: WireJSONWritable {
    public func write(to json: inout WireJSONWriter) {
        json.member("acknowledged", acknowledged)
        json.member("appsRefused", appsRefused)
        json.member("fullInventoryRequested", fullInventoryRequested)
        json.member("managedApps", encoded: managedApps)
        json.member("policy", policy)
        json.member("remoteTasks", encoded: remoteTasks)
    }
}
