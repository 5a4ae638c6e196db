import StewardModel

/// One message of the OCS Inventory NG protocol, as the OCS Unix agent, FusionInventory and
/// GLPI Agent send it: `<REQUEST><DEVICEID>…</DEVICEID><QUERY>PROLOG|INVENTORY</QUERY>
/// <CONTENT>…</CONTENT></REQUEST>`.
public struct OCSRequest: Sendable, Equatable {
    public enum Query: String, Sendable { case prolog = "PROLOG", inventory = "INVENTORY" }

    public var query: Query
    /// The agent's own ID of the machine (host name and first-run time), stable across runs.
    public var deviceID: String
    public var content: XMLElement?

    public static func parse(_ body: [UInt8], limits: XMLLimits = XMLLimits()) throws(OCSError) -> OCSRequest {
        let root: XMLElement
        do {
            root = try BoundedXML.parse(body, limits: limits)
        } catch {
            throw .xml(error)
        }
        guard root.name == "REQUEST" else { throw .notARequest }
        guard let raw = root.value("QUERY"), let query = Query(rawValue: raw.uppercased()) else {
            throw .unsupportedQuery(root.value("QUERY") ?? "")
        }
        guard let deviceID = root.value("DEVICEID"), deviceID.utf8.count <= 255 else { throw .missingDeviceID }
        return OCSRequest(query: query, deviceID: deviceID, content: root.child("CONTENT"))
    }
}

public enum OCSError: Error, Equatable, Sendable {
    case xml(XMLError)
    case notARequest
    case unsupportedQuery(String)
    case missingDeviceID
    case noContent
}

/// What an inventory says about the machine, in Steward's model, and what was left out.
public struct OCSInventoryReport: Sendable, Equatable {
    public var inventory: Inventory
    /// The hardware identity the server recognises the machine by (as OCS deduplicates).
    public var identity: Identity
    /// What the catalog does not name, by section (`LOCAL_USERS`, `ENVS`, `PROCESSES`, …) or
    /// `SECTION.FIELD`: counted, never stored.
    public var dropped: [String: Int]
    public var agentName: String?

    public struct Identity: Sendable, Equatable {
        public var deviceID: String
        public var uuid: String?
        public var serialNumber: String?
        /// MAC addresses of physical interfaces only: a virtual interface's MAC (bridges, VPNs,
        /// containers) can be shared by machines and identifies none.
        public var macAddresses: [String]
    }
}

/// Maps an OCS `CONTENT` into Steward's inventory, keeping only what the catalog names.
public enum OCSInventoryMapping {
    /// The sections read, and of each the fields read. Everything else is dropped and counted.
    static let kept: [String: Set<String>] = [
        "HARDWARE": ["NAME", "OSNAME", "OSVERSION", "OSCOMMENTS", "MEMORY", "UUID", "PROCESSORT", "PROCESSORN", "PROCESSORS", "ARCHNAME"],
        "BIOS": ["SSN", "SMANUFACTURER", "SMODEL", "MMANUFACTURER", "MMODEL", "MSN", "BMANUFACTURER", "TYPE"],
        "CPUS": ["TYPE", "NAME", "CORES", "MANUFACTURER"],
        "OPERATINGSYSTEM": ["NAME", "VERSION", "FULL_NAME", "KERNEL_VERSION", "KERNEL_NAME", "ARCH"],
        "NETWORKS": ["DESCRIPTION", "MACADDR", "IPADDRESS", "IPADDRESS6", "VIRTUALDEV", "TYPE"],
        "STORAGES": ["DISKSIZE", "TYPE", "NAME"],
        "SOFTWARES": ["NAME", "VERSION", "PUBLISHER", "FILESIZE", "FOLDER", "INSTALL_LOCATION", "ARCH", "ARCHITECTURE", "GUID"],
        "SIMS": ["ICCID", "PHONE_NUMBER"],
        "VERSIONCLIENT": [],
    ]

    public static func map(_ request: OCSRequest, collectApps: Bool) throws(OCSError) -> OCSInventoryReport {
        guard let content = request.content else { throw .noContent }
        var dropped: [String: Int] = [:]
        // Counted by section, then by field: the `SECTION.FIELD` names are made once each, not
        // once per software entry.
        var droppedFields: [String: [String: Int]] = [:]
        var softwares: [XMLElement] = []
        for section in content.children {
            let sectionName = section.name
            // Hundreds of these: read in one pass below, their unknown fields counted there.
            if sectionName == "SOFTWARES" {
                softwares.append(section)
                continue
            }
            guard let fields = kept[sectionName] else {
                dropped[sectionName, default: 0] += 1
                continue
            }
            for field in section.children where !fields.contains(field.name) {
                droppedFields[sectionName, default: [:]][field.name, default: 0] += 1
            }
        }
        let software = softwareRecords(softwares, droppedFields: &droppedFields["SOFTWARES", default: [:]])
        for (section, fields) in droppedFields {
            for (field, count) in fields { dropped["\(section).\(field)"] = count }
        }
        let hardware = content.child("HARDWARE")
        let bios = content.child("BIOS")
        let system = content.child("OPERATINGSYSTEM")
        let cpus = content.all("CPUS")

        let osName = system?.value("NAME") ?? hardware?.value("OSNAME")
        let platform = platform(osName: osName ?? "", kernel: system?.value("KERNEL_NAME"))
        let serial = bios?.value("SSN").flatMap(meaningfulSerial)
        let uuid = hardware?.value("UUID").flatMap(meaningfulSerial)
        let cores = cpus.compactMap { $0.value("CORES").flatMap { Int($0) } }.reduce(0, +)
        let memoryMiB = hardware?.value("MEMORY").flatMap { Int64($0) }
        let diskMiB = content.all("STORAGES").filter { $0.value("TYPE")?.lowercased() == "disk" }
            .compactMap { $0.value("DISKSIZE").flatMap { Double($0) } }.reduce(0, +)
        let sim = content.child("SIMS")

        var hardwareSection = HardwareSection(
            deviceName: hardware?.value("NAME"), manufacturer: bios?.value("SMANUFACTURER") ?? bios?.value("MMANUFACTURER"),
            model: bios?.value("SMODEL") ?? bios?.value("MMODEL"), serialNumber: serial, platformId: uuid,
            cpuModel: cpus.first?.value("TYPE") ?? cpus.first?.value("NAME") ?? hardware?.value("PROCESSORT"),
            cpuCores: cores > 0 ? cores : hardware?.value("PROCESSORN").flatMap { Int($0) },
            memoryBytes: memoryMiB.map { $0 * 1_048_576 }, diskBytes: diskMiB > 0 ? Int64(diskMiB * 1_048_576) : nil)
        hardwareSection.iccid = sim?.value("ICCID")
        hardwareSection.phoneNumber = sim?.value("PHONE_NUMBER")

        let operatingSystem = OperatingSystemSection(
            platform: platform, name: osName.map { stripVersion($0) },
            version: system?.value("VERSION") ?? hardware?.value("OSVERSION"), kernelVersion: system?.value("KERNEL_VERSION"))

        var interfaces: [NetworkInterface] = []
        var physicalMACs: [String] = []
        for entry in content.all("NETWORKS") {
            let name = entry.value("DESCRIPTION") ?? "unknown"
            let mac = entry.value("MACADDR").map { $0.lowercased() }.flatMap { $0 == "00:00:00:00:00:00" ? nil : $0 }
            let addresses = [entry.value("IPADDRESS"), entry.value("IPADDRESS6")].compactMap { $0 }
            let virtual = entry.value("VIRTUALDEV") == "1" || isVirtual(name: name, type: entry.value("TYPE"))
            if let mac, !virtual, !physicalMACs.contains(mac) { physicalMACs.append(mac) }
            // An interface with several addresses comes as several entries: one interface here.
            if let existing = interfaces.firstIndex(where: { $0.name == name }) {
                interfaces[existing].ipAddresses += addresses.filter { !interfaces[existing].ipAddresses.contains($0) }
                if interfaces[existing].macAddress == nil { interfaces[existing].macAddress = mac }
            } else {
                let wireless = entry.value("TYPE").map { ["wifi", "wireless", "802.11"].contains($0.lowercased()) }
                interfaces.append(NetworkInterface(name: name, macAddress: mac, ipAddresses: addresses, wireless: wireless))
            }
        }
        let network = NetworkSection(interfaces: interfaces.filter { $0.name != "lo" })

        var apps: [AppRecord]?
        if collectApps {
            apps = software
        } else if !softwares.isEmpty {
            dropped["SOFTWARES", default: 0] += softwares.count
        }
        return OCSInventoryReport(
            inventory: Inventory(hardware: hardwareSection, operatingSystem: operatingSystem, network: network, apps: apps),
            identity: .init(deviceID: request.deviceID, uuid: uuid, serialNumber: serial, macAddresses: physicalMACs),
            dropped: dropped, agentName: content.child("VERSIONCLIENT")?.text.trimmingWhitespace)
    }

    /// Each `SOFTWARES` entry read in one pass over its fields (a real inventory has hundreds):
    /// the app it describes, and the fields the catalog does not name counted. An entry without
    /// a name, or naming an app already read, is left out. Values are made storable as a
    /// check-in accepts them, so one odd field of one package never refuses a whole inventory.
    static func softwareRecords(_ entries: [XMLElement], droppedFields: inout [String: Int]) -> [AppRecord] {
        // A name of 15 bytes or fewer is a string without an allocation, and comparing two such
        // is comparing two integers (measured with `steward-bench ocs-decode`: 1.5 ms for 857
        // entries, against 3.2 ms comparing the bytes in place). Fields left out are few names
        // repeated in every entry: counted in a short list.
        var leftOut: [(field: String, count: Int)] = []
        var seen = Set<String>(minimumCapacity: entries.count)
        var apps: [AppRecord] = []
        apps.reserveCapacity(entries.count)
        for entry in entries {
            // Locals, not a closure over an array: this loop runs for every field of every package.
            var name: String?, version: String?, arch: String?, architecture: String?, guid: String?
            var size: String?, folder: String?, location: String?
            for element in entry.children {
                let fieldName = element.name
                switch SoftwareField(elementName: fieldName) {
                case .name: if name == nil { name = element.value }
                case .version: if version == nil { version = element.value }
                case .arch: if arch == nil { arch = element.value }
                case .architecture: if architecture == nil { architecture = element.value }
                case .guid: if guid == nil { guid = element.value }
                case .size: if size == nil { size = element.value }
                case .folder: if folder == nil { folder = element.value }
                case .location: if location == nil { location = element.value }
                case .publisher: break
                case nil:
                    if let index = leftOut.firstIndex(where: { $0.field == fieldName }) {
                        leftOut[index].count += 1
                    } else {
                        leftOut.append((fieldName, 1))
                    }
                }
            }
            guard let name else { continue }
            let id = (guid ?? (arch ?? architecture).map { "\(name):\($0)" } ?? name).storable(limit: 256)
            guard seen.insert(id).inserted else { continue }
            apps.append(AppRecord(
                appId: id, name: name.storable(limit: 256), version: version.map { $0.storable(limit: 128) },
                sizeBytes: size.flatMap { Int64($0) },
                installLocation: (folder ?? location).map { $0.storable(limit: Limits.maxStringLength) }))
        }
        for (field, count) in leftOut { droppedFields[field, default: 0] += count }
        return apps
    }

    /// The fields of a `SOFTWARES` entry read (the publisher is read but has no column yet);
    /// `kept["SOFTWARES"]` names the same ones, and a test holds them equal.
    enum SoftwareField: String, CaseIterable {
        case name = "NAME", version = "VERSION", arch = "ARCH", architecture = "ARCHITECTURE", guid = "GUID"
        case size = "FILESIZE", folder = "FOLDER", location = "INSTALL_LOCATION", publisher = "PUBLISHER"

        /// The same as `init(rawValue:)`, written out: the synthesized one goes through a
        /// generic lookup of the cases, a tenth of a whole inventory's decoding.
        init?(elementName: String) {
            switch elementName {
            case "NAME": self = .name
            case "VERSION": self = .version
            case "ARCH": self = .arch
            case "ARCHITECTURE": self = .architecture
            case "GUID": self = .guid
            case "FILESIZE": self = .size
            case "FOLDER": self = .folder
            case "INSTALL_LOCATION": self = .location
            case "PUBLISHER": self = .publisher
            default: return nil
            }
        }
    }

    /// Windows, macOS, Android or Linux, from the OS name the agent reports.
    public static func platform(osName: String, kernel: String?) -> Platform {
        let name = osName.lowercased()
        if name.contains("windows") || kernel?.lowercased() == "mswin32" { return .windows }
        if name.contains("macos") || name.contains("mac os") || name.contains("os x") || kernel?.lowercased() == "darwin" { return .macos }
        if name.contains("android") { return .android }
        if name.contains("ipados") { return .ipados }
        if name.contains("ios") && !name.contains("bios") { return .ios }
        return .linux
    }

    /// "Debian GNU/Linux 12" → "Debian GNU/Linux" when the version is reported on its own.
    static func stripVersion(_ name: String) -> String {
        guard let last = name.split(separator: " ").last, last.allSatisfy({ $0.isNumber || $0 == "." }), name.contains(" ") else { return name }
        return String(name.dropLast(last.count + 1))
    }

    /// Placeholder serials firmware ships with identify nothing.
    static func meaningfulSerial(_ value: String) -> String? {
        let lowered = value.lowercased()
        let placeholders = ["to be filled by o.e.m.", "default string", "system serial number", "not specified", "none", "0", "00000000", "123456789"]
        guard !placeholders.contains(lowered), !lowered.allSatisfy({ $0 == "0" || $0 == "-" || $0 == "f" }) else { return nil }
        return value
    }

    static func isVirtual(name: String, type: String?) -> Bool {
        let prefixes = ["lo", "docker", "veth", "virbr", "br-", "vmnet", "vboxnet", "tun", "tap", "wg", "zt", "ifb", "dummy", "bond"]
        return type?.lowercased() == "loopback" || prefixes.contains { name.lowercased().hasPrefix($0) }
    }
}

extension String {
    /// The value as a check-in accepts it: refused control characters left out, then the
    /// longest run of whole characters that fits in `limit` UTF-8 bytes. The same string,
    /// unwalked, when it is fine already.
    func storable(limit: Int) -> String {
        let refused = WireCoding.holdsRefusedControl(self)
        guard refused || utf8.count > limit else { return self }
        var kept = ""
        var bytes = 0
        for character in self where !character.unicodeScalars.contains(where: WireCoding.isRefusedControl) {
            bytes += character.utf8.count
            guard bytes <= limit else { break }
            kept.append(character)
        }
        return kept
    }
}

/// The protocol's replies, in kind.
public enum OCSReply {
    /// The answer to a PROLOG: send an inventory, and come back in `hours`.
    public static func prolog(hours: Int) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REPLY>\n  <RESPONSE>SEND</RESPONSE>\n  <PROLOG_FREQ>\(hours)</PROLOG_FREQ>\n</REPLY>\n"
    }

    /// The answer to a stored INVENTORY.
    public static let inventoryStored =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REPLY>\n  <RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE>\n</REPLY>\n"

    /// A refusal the agents log: `<ERROR>` with a stable code, and what it means.
    public static func error(_ code: String, _ message: String? = nil) -> String {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REPLY>\n  <RESPONSE>ERROR</RESPONSE>\n  <ERROR>\(code)</ERROR>\n"
        if let message { text += "  <MESSAGE>\(escape(message))</MESSAGE>\n" }
        return text + "</REPLY>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
