import Foundation
import Hummingbird
import HummingbirdTesting
@testable import StewardServer
import Testing

@Suite struct RequestMetricsTests {
    /// Hummingbird's request metrics as `/metrics` shows them: counted and timed by route
    /// pattern, method and status, failures counted as errors, the answer's body intact. A route
    /// of its own, so that other tests' requests (the registry is the process's) do not count.
    @Test func requestsAreCountedAndTimedByRouteMethodAndStatus() async throws {
        ServiceMetrics.bootstrap()
        let route = "/metrics-probe-\(UUID().uuidString.prefix(8).lowercased())"
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware())
        router.get(RouterPath(route + "/{id}")) { _, _ in "probe" }
        router.get(RouterPath(route + "/fail")) { _, _ -> String in throw HTTPError(.badRequest) }
        try await Application(router: router).test(.router) { client in
            for id in ["a", "b", "c"] {
                try await client.execute(uri: "\(route)/\(id)", method: .get) { answer in
                    #expect(answer.status == .ok)
                    #expect(String(buffer: answer.body) == "probe")
                }
            }
            try await client.execute(uri: route + "/fail", method: .get) { #expect($0.status == .badRequest) }
        }
        var text: [UInt8] = []
        ServiceMetrics.registry.emit(into: &text)
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").filter { $0.contains(route) }
        func value(_ name: String, _ labels: [String]) -> String? {
            lines.first { $0.hasPrefix(name + "{") && labels.allSatisfy($0.contains) }?.split(separator: " ").last.map(String.init)
        }
        let ok = [#"http_route="\#(route)/{id}""#, #"http_request_method="GET""#, #"http_response_status_code="200""#]
        #expect(value("hb_requests", ok) == "3", "\(lines)")
        #expect(value("http_server_request_duration_count", ok) == "3", "\(lines)")
        #expect(!lines.contains { $0.contains("/a") || $0.contains("/b") }, "the pattern, never the concrete path")
        let failed = [#"http_route="\#(route)/fail""#, #"http_response_status_code="400""#]
        #expect(value("hb_requests", failed) == "1", "\(lines)")
        #expect(value("hb_request_errors", [#"http_route="\#(route)/fail""#, #"error_type="400""#]) == "1", "\(lines)")
    }
}
