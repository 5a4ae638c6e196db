import Foundation
import Testing
import StewardModel
@testable import StewardOCS

/// The OCS Inventory NG protocol's documents: real captured inventories of this machine from
/// Debian's OCS and FusionInventory agents (trimmed, personal values replaced), hand-made
/// Windows and macOS ones, and hostile inputs that must be refused with bounded work.
@Suite struct OCSProtocolTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ocs")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    @Test func theOCSUnixAgentsInventoryMapsToSteward() throws {
        let request = try OCSRequest.parse(try Self.fixture("ocs-agent-linux.xml"))
        #expect(request.query == .inventory && request.deviceID == "vm-2026-12-05-10-00-00")
        let report = try OCSInventoryMapping.map(request, collectApps: true)
        let inventory = report.inventory
        #expect(inventory.hardware.deviceName == "vm")
        #expect(inventory.hardware.serialNumber == "VMW-5A1B-TEST-0001" && inventory.hardware.manufacturer == "QEMU")
        #expect(inventory.hardware.cpuCores == 2 && inventory.hardware.memoryBytes == 24151 * 1_048_576)
        #expect(inventory.operatingSystem.platform == .linux)
        #expect(inventory.operatingSystem.name == "Debian GNU/Linux" && inventory.operatingSystem.version == "12")
        #expect(inventory.apps?.count == 20)
        #expect(inventory.apps?.first == AppRecord(appId: "adduser:all", name: "adduser", version: "3.134", sizeBytes: 702_464, installLocation: nil))
        #expect(!report.identity.macAddresses.isEmpty)
        // Local accounts and groups are not in the catalog: dropped and counted, not carried.
        #expect(report.dropped["LOCAL_USERS"] == 4 && report.dropped["LOCAL_GROUPS"] == 2)
        #expect(!String(describing: inventory).contains("erinlocal"))
    }

    @Test func fusionInventorysEnvironmentAndProcessesAreDroppedAndCounted() throws {
        let report = try OCSInventoryMapping.map(try OCSRequest.parse(try Self.fixture("fusion-agent-linux.xml")), collectApps: true)
        #expect(report.dropped["ENVS"] == 6 && report.dropped["PROCESSES"] == 5 && report.dropped["LOCAL_USERS"] == 4)
        let carried = String(describing: report)
        for secret in ["envsecret-7f3a9c", "procsecret-51d2", "erinlocal", "Erin Localuser"] {
            #expect(!carried.contains(secret), "\(secret) reached the mapped inventory")
        }
        #expect(report.inventory.operatingSystem.kernelVersion == "6.18.44-fc-v1252")
        #expect(report.inventory.operatingSystem.version == "12.11")
        // The loopback interface is not reported; a virtual device's MAC identifies nothing.
        #expect(!report.inventory.network.interfaces.contains { $0.name == "lo" })
    }

    @Test func windowsAndMacOSInventoriesMapToTheirPlatforms() throws {
        let windows = try OCSInventoryMapping.map(try OCSRequest.parse(try Self.fixture("windows-agent.xml")), collectApps: true)
        #expect(windows.inventory.operatingSystem.platform == .windows)
        #expect(windows.inventory.hardware.model == "Latitude 7440" && windows.inventory.hardware.serialNumber == "7R5X3Z3")
        #expect(windows.inventory.hardware.cpuCores == 10 && windows.inventory.hardware.diskBytes == 488_386 * 1_048_576)
        #expect(windows.identity.macAddresses == ["a4:c3:f0:11:22:33"], "the Hyper-V adapter's MAC is virtual")
        #expect(windows.inventory.network.interfaces.first?.wireless == true)
        #expect(windows.inventory.apps?.map(\.installLocation) == ["C:\\Program Files\\Mozilla Firefox", "C:\\Program Files\\7-Zip\\"])
        #expect(windows.dropped["HARDWARE.WINPRODKEY"] == 1 && windows.dropped["HARDWARE.USERID"] == 1 && windows.dropped["LOCAL_USERS"] == 1)

        let mac = try OCSInventoryMapping.map(try OCSRequest.parse(try Self.fixture("macos-agent.xml")), collectApps: false)
        #expect(mac.inventory.operatingSystem.platform == .macos && mac.inventory.operatingSystem.kernelVersion == "23.6.0")
        #expect(mac.inventory.network.interfaces.first { $0.name == "en0" }?.ipAddresses == ["192.168.1.23", "fe80::1c2d:3e4f:5a6b:7c8d"])
        // Not collected (a personal device without the compliant-app feature): not carried, counted.
        #expect(mac.inventory.apps == nil && mac.dropped["SOFTWARES"] == 2)
    }

    @Test func aPrologIsUnderstoodAndAnsweredInKind() throws {
        let prolog = Array("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REQUEST><DEVICEID>vm-1</DEVICEID><QUERY>PROLOG</QUERY><TOKEN/></REQUEST>".utf8)
        let request = try OCSRequest.parse(prolog)
        #expect(request.query == .prolog && request.deviceID == "vm-1")
        let reply = try BoundedXML.parse(Array(OCSReply.prolog(hours: 24).utf8))
        #expect(reply.value("RESPONSE") == "SEND" && reply.value("PROLOG_FREQ") == "24")
        #expect(throws: OCSError.unsupportedQuery("UPDATE")) {
            try OCSRequest.parse(Array("<REQUEST><DEVICEID>x</DEVICEID><QUERY>UPDATE</QUERY></REQUEST>".utf8))
        }
        #expect(throws: OCSError.missingDeviceID) { try OCSRequest.parse(Array("<REQUEST><QUERY>PROLOG</QUERY></REQUEST>".utf8)) }
    }

    @Test func textIsDecodedAndOnlyThePredefinedEntitiesExist() throws {
        let root = try BoundedXML.parse(Array("<A><B>Tom &amp; Jerry &lt;3 &#233;&#x41;</B><C><![CDATA[<raw> & stuff]]></C><!-- note --><D x='1>2' y=\"z\"/></A>".utf8))
        #expect(root.value("B") == "Tom & Jerry <3 éA" && root.value("C") == "<raw> & stuff" && root.child("D") != nil)
        // Text in pieces (around a comment, with CDATA) is joined; indentation is not text.
        let pieces = try BoundedXML.parse(Array("<A>\n  <B>x &amp;<!-- c -->y<![CDATA[<z>]]></B>\n  <E>   </E>\n</A>".utf8))
        #expect(pieces.value("B") == "x &y<z>" && pieces.child("E") != nil && pieces.value("E") == nil && pieces.text.isEmpty)
        #expect(pieces.children.map(\.name) == ["B", "E"] && pieces.all("E").count == 1 && pieces.child("F") == nil)
        #expect(throws: XMLError.entityRefused) { try BoundedXML.parse(Array("<A>&nbsp;</A>".utf8)) }
        #expect(throws: XMLError.entityRefused) { try BoundedXML.parse(Array("<A>&#0;</A>".utf8)) }
        #expect(throws: (any Error).self) { try BoundedXML.parse(Array("<A><B></A></B>".utf8)) }
        #expect(throws: (any Error).self) { try BoundedXML.parse(Array("<A>".utf8)) }
        #expect(throws: (any Error).self) { try BoundedXML.parse(Array("<A/><B/>".utf8)) }
    }

    /// One package's odd field — a version longer than a check-in takes, a control character
    /// in a name — is made storable; it never refuses the whole inventory.
    @Test func oddSoftwareFieldsAreMadeStorable() throws {
        // The fields the one-pass reader reads are the ones the catalog keeps.
        let fields = OCSInventoryMapping.SoftwareField.allCases
        #expect(Set(fields.map(\.rawValue)) == OCSInventoryMapping.kept["SOFTWARES"])
        #expect(fields.allSatisfy { OCSInventoryMapping.SoftwareField(elementName: $0.rawValue) == $0 })
        let longVersion = String(repeating: "1.", count: 100) + "é"
        let document = """
            <REQUEST><DEVICEID>odd-1</DEVICEID><QUERY>INVENTORY</QUERY><CONTENT>
            <HARDWARE><NAME>odd</NAME><OSNAME>Debian GNU/Linux 12</OSNAME></HARDWARE>
            <SOFTWARES><NAME>tool&#x9;x\u{7}y</NAME><VERSION>\(longVersion)</VERSION><ARCH>amd64</ARCH></SOFTWARES>
            <SOFTWARES><NAME>\(String(repeating: "é", count: 200))</NAME></SOFTWARES>
            </CONTENT></REQUEST>
            """
        let report = try OCSInventoryMapping.map(try OCSRequest.parse(Array(document.utf8)), collectApps: true)
        let apps = try #require(report.inventory.apps)
        #expect(apps.count == 2)
        #expect(apps[0].name == "tool\txy" && apps[0].appId == "tool\txy:amd64")
        #expect(apps[0].version == String(repeating: "1.", count: 64) && apps[1].name == String(repeating: "é", count: 128))
        var request = CheckInRequest(agentVersion: "t", hashes: try InventoryHasher.hashes(of: report.inventory))
        request.apps = apps
        #expect(throws: Never.self) { try request.validate() }
    }

    @Test func hostileDocumentsAreRefusedWithBoundedWork() throws {
        // XXE: an external entity naming a local file. Nothing is read: the DTD itself is refused.
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>&x;</DEVICEID></REQUEST>"
        #expect(throws: OCSError.xml(.declarationRefused)) { try OCSRequest.parse(Array(xxe.utf8)) }
        // Billion laughs: refused at the DTD, before any expansion.
        var laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        for level in 1...9 { laughs += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10) + "\">" }
        laughs += "]><lolz>&lol9;</lolz>"
        #expect(throws: XMLError.declarationRefused) { try BoundedXML.parse(Array(laughs.utf8)) }
        // 100,000 nested elements: refused at the depth limit.
        let deep = String(repeating: "<A>", count: 100_000) + String(repeating: "</A>", count: 100_000)
        #expect(throws: XMLError.tooDeep) { try BoundedXML.parse(Array(deep.utf8)) }
        // Too many elements, and one element's text beyond its limit.
        let wide = "<R>" + String(repeating: "<S/>", count: 1_000) + "</R>"
        #expect(throws: XMLError.tooManyElements) { try BoundedXML.parse(Array(wide.utf8), limits: XMLLimits(maxElements: 500)) }
        let long = "<R>" + String(repeating: "x", count: 70_000) + "</R>"
        #expect(throws: XMLError.textTooLong) { try BoundedXML.parse(Array(long.utf8)) }
    }
}
