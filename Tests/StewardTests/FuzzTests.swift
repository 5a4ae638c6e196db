import Foundation
import HTTPTypes
import Testing
import StewardModel
import StewardAppleMDM
import StewardServer

/// Seeded mutation fuzzing through the router: valid inputs — a check-in body, a CSV of
/// corporate identifiers, the device list's query string — bent thousands of ways (bits
/// flipped, bytes cut, spliced or repeated, hostile bytes and deep nesting inserted). Every
/// answer is a 2xx or a 4xx with the stable JSON error body: no crash, no 5xx, and the
/// server still works afterwards. The seed is fixed, so a failure replays.
@Suite struct FuzzTests {
    static let iterations = 1_500

    /// Bends `input` one to three ways.
    static func mutate(_ input: [UInt8], _ generator: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        let hostile: [[UInt8]] = [
            Array("\u{0}".utf8), [0xFF, 0xFE], [0xC3], [0xED, 0xA0, 0x80], Array("\\u0000".utf8), Array("\\ud800".utf8),
            Array("\"".utf8), Array("{".utf8), Array("[".utf8), Array(",".utf8), Array(":".utf8), Array("1e999999".utf8),
            Array("-0".utf8), Array("99999999999999999999999".utf8), Array("null".utf8), Array("\r\n".utf8),
            Array("=cmd|' /C calc'!A0".utf8), Array("%00".utf8), Array("&".utf8), Array("%".utf8), Array("'".utf8),
            Array(repeating: UInt8(ascii: "["), count: 5_000), Array(repeating: UInt8(ascii: "a"), count: 70_000),
        ]
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0 where !bytes.isEmpty:
                bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            case 1 where !bytes.isEmpty:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &generator)))
            case 2:
                bytes.insert(contentsOf: hostile[Int.random(in: 0..<hostile.count, using: &generator)], at: at)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, at + Int.random(in: 1...200, using: &generator))
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: Int.random(in: 0...bytes.count, using: &generator))
            case 4:
                bytes = Array(bytes.prefix(at))
            default:
                bytes.insert(UInt8.random(in: 0...255, using: &generator), at: at)
            }
        }
        return bytes
    }

    static func expectClean(_ answer: APIResponse, _ what: String) {
        #expect(answer.status.code < 500, "\(what): \(answer.status.code)")
        if answer.status.code >= 400 {
            #expect(answer.errorCode != nil, "\(what): \(answer.status.code) without the JSON error body")
        }
    }

    @Test func theCheckInBodyDecoderRefusesWhatItCannotRead() async throws {
        let env = try await TestEnvironment()
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            let valid = try SampleInventory.fullRequest(SampleInventory.make(appCount: 8))
            let body = Array(try WireCoding.encoder().encode(valid))
            var generator = SeededGenerator(seed: 16)
            var accepted = 0
            for index in 0..<Self.iterations {
                let bent = Self.mutate(body, &generator)
                let answer = try await api.send(.POST, APIRoute.checkIn.path, token: device.deviceSecret, raw: Data(bent))
                Self.expectClean(answer, "check-in #\(index)")
                if answer.status == .ok { accepted += 1 }
            }
            // Some mutations leave a valid document (a digit of a size changed, say): accepted.
            #expect(accepted < Self.iterations)
            let after = try await api.checkIn(device.deviceSecret, valid)
            #expect(after.status == .ok)
        }
    }

    @Test func theCorporateIdentifierCSVParserRefusesWhatItCannotRead() async throws {
        let env = try await TestEnvironment()
        try await env.withClient { api in
            let csv = Array("serialNumber,PF2ABCDE\nimei,490154203237518\nserialNumber,\"C02XL0GHJGH5\"\n".utf8)
            var generator = SeededGenerator(seed: 17)
            for index in 0..<Self.iterations {
                let bent = Self.mutate(csv, &generator)
                var headers = HTTPFields()
                headers[.authorization] = "Bearer \(api.adminToken)"
                headers[.contentType] = "text/csv"
                let answer = try await api.send(
                    .POST, APIRoute.uploadCorporateIdentifiers.path, headers: headers, raw: .init(bytes: bent))
                Self.expectClean(answer, "CSV #\(index)")
            }
            let list = try await api.send(.GET, APIRoute.listCorporateIdentifiers.path + "?limit=5", token: api.adminToken)
            #expect(list.status == .ok)
        }
    }

    @Test func theDeviceListQueryRefusesWhatItCannotRead() async throws {
        let env = try await TestEnvironment()
        try await env.withClient { api in
            _ = try await api.enroll(.corporate)
            let query = Array("limit=2&platform=linux&ownership=corporate&namePrefix=host&sort=name&lastCheckInAfter=2026-01-01T00:00:00Z".utf8)
            var generator = SeededGenerator(seed: 18)
            for index in 0..<Self.iterations {
                // A URL carries no raw control bytes or spaces: what is not URL-safe is percent-encoded.
                let bent = Self.mutate(query, &generator).prefix(8_000)
                let text = String(decoding: bent, as: UTF8.self).addingPercentEncoding(
                    withAllowedCharacters: CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "#"))) ?? ""
                let answer = try await api.send(.GET, APIRoute.listDevices.path + "?" + text, token: api.adminToken)
                Self.expectClean(answer, "query #\(index): \(text.prefix(80))")
            }
            let list = try await api.send(.GET, APIRoute.listDevices.path + "?limit=5", token: api.adminToken)
            #expect(list.status == .ok)
        }
    }

    /// Apple's property lists, both forms, bent the same ways: each is read or refused with a
    /// `PropertyListError` — never a crash — and whatever is read is a check-in or refused.
    @Test func propertyListsAreReadOrRefusedNeverCrash() throws {
        let xml = Array(PropertyListCoding.encodeXML(.dictionary([
            "MessageType": .string("TokenUpdate"), "UDID": .string("00008110-000A1B2C3D4E801E"), "Topic": .string("com.apple.mgmt.External.x"),
            "Token": .data(Data(repeating: 0xA1, count: 32)), "PushMagic": .string("magic"),
            "Nested": .array([.dictionary(["a": .integer(1), "b": .real(2.5), "c": .bool(true)])]),
        ])))
        // {"a": [1, "b"]} in the binary form.
        var binary = Array("bplist00".utf8) + [0xD1, 0x01, 0x02, 0x51, 0x61, 0xA2, 0x03, 0x04, 0x10, 0x01, 0x51, 0x62]
        binary += [0x08, 0x0B, 0x0D, 0x10, 0x12] + [0, 0, 0, 0, 0, 0, 1, 1] + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0, 0, 0, 0, 0, 0, 0]
            + [0, 0, 0, 0, 0, 0, 0, 20]
        #expect(try PropertyListCoding.decode(binary) == .dictionary(["a": .array([.integer(1), .string("b")])]))
        var generator = SeededGenerator(seed: 19)
        var read = 0
        for iteration in 0..<Self.iterations {
            let input = Self.mutate(iteration.isMultiple(of: 2) ? xml : binary, &generator)
            // Typed throws: a refusal can only be a PropertyListError.
            guard (try? PropertyListCoding.decode(input)) != nil else { continue }
            read += 1
            _ = try? MDMCheckIn.parse(input)
            _ = try? MDMReport.parse(input)
        }
        #expect(read > 0 && read < Self.iterations, "some bent inputs still read, most not: \(read)")
    }
}
