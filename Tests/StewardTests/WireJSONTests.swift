import Foundation
import Testing
import StewardModel

/// The answers written by hand must be the bytes the wire encoder writes, for any value: keys
/// in its order, its escapes, its times, its left-out nils.
@Suite struct WireJSONTests {
    static func maybe<T>(_ random: inout SeededGenerator, _ make: (inout SeededGenerator) -> T) -> T? {
        Bool.random(using: &random) ? make(&random) : nil
    }

    static func text(_ random: inout SeededGenerator) -> String { InventoryHasherTests.text(&random) }

    /// Times from before 1970 to the year 9999, with milliseconds (the encoder drops them).
    static func date(_ random: inout SeededGenerator) -> Date {
        Date(timeIntervalSince1970: Double(Int64.random(in: -2_208_988_800_000...253_402_300_799_999, using: &random)) / 1000)
    }

    static func device(_ random: inout SeededGenerator) -> DeviceView {
        let interfaces = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            NetworkInterface(
                name: text(&random), macAddress: maybe(&random, text),
                ipAddresses: (0..<Int.random(in: 0...3, using: &random)).map { _ in text(&random) },
                wireless: maybe(&random) { Bool.random(using: &$0) })
        }
        let number = { (random: inout SeededGenerator) in Int64.random(in: Int64.min...Int64.max, using: &random) }
        return DeviceView(
            id: DeviceID(rawValue: text(&random)), platform: Platform.allCases.randomElement(using: &random)!,
            ownership: Bool.random(using: &random) ? .corporate : .personal, deviceName: maybe(&random, text),
            manufacturer: maybe(&random, text), model: maybe(&random, text), operatingSystem: maybe(&random, text),
            osVersion: maybe(&random, text), kernelVersion: maybe(&random, text), serialNumber: maybe(&random, text),
            platformId: maybe(&random, text), imei: maybe(&random, text), meid: maybe(&random, text), iccid: maybe(&random, text),
            phoneNumber: maybe(&random, text), networkInterfaces: interfaces, wifiMacAddress: maybe(&random, text),
            cpuModel: maybe(&random, text), cpuCores: maybe(&random) { Int.random(in: Int.min...Int.max, using: &$0) },
            memoryBytes: maybe(&random, number), diskBytes: maybe(&random, number),
            appCount: Int.random(in: Int.min...Int.max, using: &random), refusedAppReports: Int.random(in: 0...9, using: &random),
            agentVersion: maybe(&random, text), enrolledAt: date(&random), lastCheckInAt: maybe(&random, date),
            userId: maybe(&random) { UserID(rawValue: text(&$0)) }, retiredAt: maybe(&random, date),
            managementId: maybe(&random, text), directoryDeviceId: maybe(&random, text), easDeviceId: maybe(&random, text),
            windowsDeviceId: maybe(&random, text))
    }

    /// A document bent one to three bytes' worth, with JSON's own punctuation: finer than
    /// `FuzzTests.mutate`, so that many bent documents stay well-formed enough to be read.
    static func bent(_ document: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = document
        for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: bytes[index] = Array("[]{}\",:\\ 0-.etnul".utf8).randomElement(using: &random)!
            case 1: bytes.remove(at: index)
            default: bytes.insert(Array("[]{}\",:\\ 1".utf8).randomElement(using: &random)!, at: index)
            }
        }
        return bytes
    }

    static func app(_ random: inout SeededGenerator) -> AppRecord {
        AppRecord(
            appId: text(&random), name: text(&random), version: maybe(&random, text),
            sizeBytes: maybe(&random) { Int64.random(in: Int64.min...Int64.max, using: &$0) }, installLocation: maybe(&random, text))
    }

    static func expectSameBytes<Value: Encodable & WireJSONWritable>(_ value: Value) throws {
        let encoded = String(decoding: try WireCoding.sharedEncoder.encode(value), as: UTF8.self)
        // Stops at the first difference: one readable pair of documents, not hundreds.
        try #require(String(decoding: value.wireJSON(), as: UTF8.self) == encoded)
    }

    @Test func devicePagesAreTheEncodersBytes() throws {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            let page = Page(
                items: (0..<Int.random(in: 0...4, using: &random)).map { _ in Self.device(&random) },
                nextCursor: Self.maybe(&random, Self.text))
            try Self.expectSameBytes(page)
            if let first = page.items.first { try Self.expectSameBytes(first) }
        }
    }

    @Test func appPagesAreTheEncodersBytes() throws {
        var random = SeededGenerator(seed: 8)
        for _ in 0..<300 {
            try Self.expectSameBytes(Page(
                items: (0..<Int.random(in: 0...6, using: &random)).map { _ in Self.app(&random) },
                nextCursor: Self.maybe(&random, Self.text)))
        }
    }

    @Test func checkInAnswersAreTheEncodersBytes() throws {
        var random = SeededGenerator(seed: 10)
        let text = { (random: inout SeededGenerator) in Self.text(&random) }
        for _ in 0..<300 {
            let managed = Self.maybe(&random) { random in
                ManagedAppsPolicy(version: Int64.random(in: 0...9, using: &random), apps: (0..<Int.random(in: 0...2, using: &random)).map { _ in
                    ManagedAppInstruction(
                        appId: ManagedAppID(rawValue: text(&random)), name: text(&random), platform: .linux, packageId: text(&random),
                        detection: DetectionRule(debianPackage: Self.maybe(&random, text), minimumVersion: Self.maybe(&random, text)),
                        intent: AssignmentIntent.allCases.randomElement(using: &random)!)
                })
            }
            let tasks = Self.maybe(&random) { random in
                (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    RemoteTaskInstruction(id: RemoteTaskID(rawValue: text(&random)), kind: RemoteTaskKind.allCases.randomElement(using: &random)!)
                }
            }
            try Self.expectSameBytes(CheckInResponse(
                policy: CollectionPolicy(collectApps: Bool.random(using: &random), checkInIntervalSeconds: Int.random(in: 0...86_400, using: &random)),
                fullInventoryRequested: Bool.random(using: &random),
                acknowledged: SectionHashes(
                    hardware: Self.maybe(&random, text), operatingSystem: Self.maybe(&random, text), network: Self.maybe(&random, text),
                    apps: Self.maybe(&random, text)),
                appsRefused: Bool.random(using: &random), managedApps: managed, remoteTasks: tasks))
        }
    }

    @Test func formattedTimesAreFoundationsISO8601() {
        var random = SeededGenerator(seed: 9)
        for _ in 0..<2000 {
            let date = Self.date(&random)
            #expect(WireCoding.format(date) == date.formatted(.iso8601))
        }
    }

    /// Base64url is Foundation's base64 with the URL alphabet and no padding, both ways, for
    /// every length up to 3 groups past a multiple; what is not canonical is refused.
    @Test func base64URLIsFoundationsBase64WithTheURLAlphabet() {
        var random = SeededGenerator(seed: 11)
        for length in 0..<64 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                let expected = Data(bytes).base64EncodedString()
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                    .replacingOccurrences(of: "=", with: "")
                #expect(Base64URL.encode(bytes) == expected)
                #expect(Base64URL.decode(expected) == bytes)
            }
        }
        for text in ["A", "AAAAA", "AB", "AAB", "a+bc", "ab/c", "abc=", "ab cd", "é"] {
            #expect(Base64URL.decode(text) == nil, "\(text)")
        }
        #expect(PageCursor.decode(PageCursor.encode("2026-12-07\u{1F}ümlaut")) == "2026-12-07\u{1F}ümlaut")
        #expect(PageCursor.decode(Base64URL.encode([0xFF, 0xFE])) == nil)
        #expect(PageCursor.decode("") == nil)
    }

    /// Calendar edges the day arithmetic must get right: leap days, century years, 1970 itself.
    @Test(arguments: [
        "1900-02-28T23:59:59Z", "1900-03-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2000-02-29T12:00:00Z",
        "2024-02-29T00:00:00Z", "2026-12-06T08:00:00Z", "2100-03-01T00:00:00Z", "9999-12-31T23:59:59Z",
    ])
    func timesAtCalendarEdges(_ text: String) throws {
        let date = try #require(try? Date(text, strategy: .iso8601))
        var json = WireJSONWriter()
        json.value(date.addingTimeInterval(0.999))
        #expect(String(decoding: json.bytes, as: UTF8.self) == "\"\(text)\"")
        // The usage and diagnostics day: the same calendar, as Foundation's formatter writes it.
        #expect(DiagnosticsDay.day(of: date.addingTimeInterval(0.999)) == date.formatted(.iso8601.year().month().day()))
        #expect(DiagnosticsDay.day(of: date.addingTimeInterval(0.999)) == String(text.prefix(10)))
    }
}

/// The hand reader gives what the generic decoder gives, and never accepts what it refuses.
@Suite struct WireJSONReaderTests {
    static func interfaces(_ random: inout SeededGenerator) -> [NetworkInterface] {
        (0..<Int.random(in: 0...4, using: &random)).map { _ in
            NetworkInterface(
                name: WireJSONTests.text(&random), macAddress: WireJSONTests.maybe(&random, WireJSONTests.text),
                ipAddresses: (0..<Int.random(in: 0...3, using: &random)).map { _ in WireJSONTests.text(&random) },
                wireless: WireJSONTests.maybe(&random) { Bool.random(using: &$0) })
        }
    }

    @Test func storedInterfacesReadBackAsWritten() throws {
        var random = SeededGenerator(seed: 11)
        for _ in 0..<300 {
            let interfaces = Self.interfaces(&random)
            let json = String(decoding: try WireCoding.sharedEncoder.encode(interfaces), as: UTF8.self)
            #expect(try NetworkInterface.stored(json) == interfaces)
        }
    }

    @Test func escapesNumbersAndUnknownMembers() throws {
        let json = #"""
             [ {"name":"e\u00e9\ud83e\udd8a\/\"\\\b\f\n\r\t","extra":{"a":[1,-2.5e3,0.0,true,null,"x"]},
                "macAddress":null,"ipAddresses":["10.0.0.1"],"wireless":false} ]
            """#
        let read = try NetworkInterface.stored(json)
        #expect(read == [NetworkInterface(name: "eé🦊/\"\\\u{8}\u{C}\n\r\t", macAddress: nil, ipAddresses: ["10.0.0.1"], wireless: false)])
        #expect(try WireJSONReader.read("-9223372036854775808") { try $0.int64() } == Int64.min)
        for tooWide in ["9223372036854775808", "-9223372036854775809", "1.0", "1e3"] {
            #expect(throws: WireJSONReader.Malformed.self) { try WireJSONReader.read(tooWide) { try $0.int64() } }
        }
        for refused in [
            "", "[", "[,]", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\ud83e\"", "\"\\x\"", "\"a\u{1}\"",
            "[] []", "nul", "[" + String(repeating: "[", count: 40) + String(repeating: "]", count: 41),
        ] {
            #expect(throws: WireJSONReader.Malformed.self, "\(refused.debugDescription)") {
                try WireJSONReader.read(refused) { try $0.skip() }
            }
        }
        // Not UTF-8: refused, as the generic decoder refuses it.
        var invalid = WireJSONReader([UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")])
        #expect(throws: WireJSONReader.Malformed.self) { try invalid.string() }
        // Plain ASCII and unescaped UTF-8 take the reader's two paths without an escape.
        var plain = WireJSONReader(Array(#"["bash:amd64","kéy🦊",""]"#.utf8))
        var strings: [String] = []
        try plain.array { strings.append(try $0.string()) }
        #expect(strings == ["bash:amd64", "kéy🦊", ""])
    }

    /// Bent documents: whatever the reader accepts, the generic decoder accepts, as the same value.
    @Test func neverAcceptsWhatTheDecoderRefuses() throws {
        var random = SeededGenerator(seed: 12)
        var accepted = 0
        for _ in 0..<3000 {
            let bytes = WireJSONTests.bent(Array(try WireCoding.sharedEncoder.encode(Self.interfaces(&random))), &random)
            // Stored text is a String: bytes bent into invalid UTF-8 cannot reach the reader.
            guard let text = String(validating: bytes, as: UTF8.self), let read = try? NetworkInterface.stored(text) else { continue }
            accepted += 1
            let decoded = try? JSONDecoder().decode([NetworkInterface].self, from: Data(bytes))
            #expect(decoded == read, "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(accepted > 0)
    }
}

/// A full check-in's app list is read by hand; the generic decoder must agree with every body
/// the quick path takes, and the quick path stands aside for anything unusual.
@Suite struct CheckInQuickDecodeTests {
    static func request(_ random: inout SeededGenerator) -> CheckInRequest {
        var apps: [AppRecord] = []
        for index in 0..<Int.random(in: 0...12, using: &random) {
            var app = WireJSONTests.app(&random)
            app.appId = "\(index)" + app.appId
            apps.append(app)
        }
        let text = { (random: inout SeededGenerator) in WireJSONTests.text(&random) }
        // Heartbeats (no sections), full inventories with and without other sections, deltas.
        let shape = Int.random(in: 0..<4, using: &random)
        let delta = shape == 3 ? AppsDelta(baseHash: text(&random), upserted: apps, removed: apps.map { _ in text(&random) }) : nil
        return CheckInRequest(
            agentVersion: WireJSONTests.maybe(&random, text),
            hashes: SectionHashes(
                hardware: WireJSONTests.maybe(&random, text), operatingSystem: WireJSONTests.maybe(&random, text),
                network: WireJSONTests.maybe(&random, text), apps: WireJSONTests.maybe(&random, text)),
            operatingSystem: shape == 2 ? OperatingSystemSection(platform: .linux, name: text(&random), version: text(&random)) : nil,
            apps: shape == 0 || shape == 3 ? nil : apps, appsDelta: delta, managedAppsVersion: WireJSONTests.maybe(&random) { Int64.random(in: 0...99, using: &$0) })
    }

    @Test func takesWhatTheEncoderWrites() throws {
        var random = SeededGenerator(seed: 21)
        for _ in 0..<300 {
            let request = Self.request(&random)
            let quick = CheckInRequest.quicklyDecoded(Array(try WireCoding.sharedEncoder.encode(request)))
            try #require(quick == request)
        }
    }

    @Test func standsAsideForTheUnusual() throws {
        for body in [
            #"{"hashes":{},"apps":[{"appId":"a","name":"n"}],"apps":[]}"#,  // a member twice
            #"{"hashes":{},"apps":[{"appId":"a","name":"n","name":"m"}]}"#,  // a member of an app twice
            #"{"hashes":{},"apps":[{"appId":"a"}]}"#,  // no name
            #"{"hashes":{},"apps":[{"appId":"a","name":"n","sizeBytes":1.5}]}"#,
            #"{"hashes":{},"operatingSystem":{"platform":"linux"}}"#,  // a section, no app list: the generic decoder's
            #"{"hashes":{"apps":"a","apps":"b"}}"#,
            #"{"hashes":{},"hashes":{}}"#,
            #"{"hashes":{},"agentVersion":"a","agentVersion":"b"}"#,
            #"{"hashes":{},"managedAppsVersion":1,"managedAppsVersion":2}"#,
            #"{"hashes":{},"appsDelta":{"baseHash":"h","upserted":[]}}"#,  // no removed
            #"{"hashes":{},"appsDelta":{"baseHash":"h","upserted":[],"removed":[],"removed":[]}}"#,
            #"{"hashes":{},"managedAppsVersion":1.0}"#,
            #"{"hashes":{},"apps":null}"#,
            #"{"hashes":{},"apps":[{"appId":"a","name":"n"}]"#,  // cut short
            #"{"hashes":{},"apps":[{"appId":"a","name":"n"}]} x"#,
            #"{"apps":[{"appId":"a","name":"n"}]}"#,  // the generic decoder refuses it: no hashes
        ] {
            #expect(CheckInRequest.quicklyDecoded(Array(body.utf8)) == nil, "\(body)")
        }
        let escaped = #"{"hashes":{},"a\u0070ps":[{"appId":"a\/b","name":"\u00e9","unknown":[1,{"x":null}],"version":null}]}"#
        let quick = CheckInRequest.quicklyDecoded(Array(escaped.utf8))
        #expect(quick?.apps == [AppRecord(appId: "a/b", name: "é", version: nil, sizeBytes: nil, installLocation: nil)])
        #expect(try WireCoding.decoder().decode(CheckInRequest.self, from: Data(escaped.utf8)) == quick)
    }

    @Test func neverTakesWhatTheDecoderRefuses() throws {
        var random = SeededGenerator(seed: 22)
        var taken = 0
        for _ in 0..<3000 {
            let bytes = WireJSONTests.bent(Array(try WireCoding.sharedEncoder.encode(Self.request(&random))), &random)
            guard let quick = CheckInRequest.quicklyDecoded(bytes) else { continue }
            taken += 1
            let generic = try? WireCoding.decoder().decode(CheckInRequest.self, from: Data(bytes))
            #expect(generic == quick, "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(taken > 100)
    }
}
