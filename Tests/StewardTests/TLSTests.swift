import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing
import StewardAgent
import StewardModel
import StewardServer
import StewardTLS

/// HTTPS on loopback with a certificate made as `steward init --self-signed` makes it: HTTP/2
/// and HTTP/1.1, modern TLS only, a reload that takes effect for new connections and refuses a
/// broken pair, and an agent that trusts the server by a pin or a CA file.
@Suite struct TLSTests {
    /// A fresh self-signed pair in `directory`; returns the paths and the pin.
    static func pair(_ directory: URL, _ name: String) throws -> (certificate: String, key: String, pin: String) {
        let certificate = directory.appendingPathComponent("\(name).crt").path
        let key = directory.appendingPathComponent("\(name).key").path
        let pin = try SelfSignedCertificate.write(
            names: ["localhost", "127.0.0.1"], certificatePath: certificate, keyPath: key, now: Date())
        return (certificate, key, pin)
    }

    static func client(trusting certificatePath: String, http1Only: Bool = false, maximumTLS: TLSVersion? = nil) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        var tls = try ServerTrust.clientConfiguration(trusting: try ServerTrust.certificate(file: certificatePath))
        tls.maximumTLSVersion = maximumTLS
        configuration.tlsConfiguration = tls
        if http1Only { configuration.httpVersion = .http1Only }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    @Test func servesHTTP2AndHTTP1OverModernTLSAndReloadsItsCertificate() async throws {
        let env = try await TestEnvironment()
        let work = try TemporaryDirectory()
        let first = try Self.pair(work.url, "first")
        let identity = try ServerIdentity(certificatePath: first.certificate, keyPath: first.key)
        #expect(try identity.pin == first.pin)
        var dependencies = env.dependencies
        dependencies.tls = identity
        var loopback = env.configuration
        loopback.port = 0
        try await withInProcessServer(configuration: loopback, dependencies: dependencies) { port in
            let url = "https://127.0.0.1:\(port)/health"
            let h2 = try Self.client(trusting: first.certificate)
            let h1 = try Self.client(trusting: first.certificate, http1Only: true)
            let old = try Self.client(trusting: first.certificate, maximumTLS: .tlsv11)
            let stranger = try Self.pair(work.url, "stranger")
            let wary = try Self.client(trusting: stranger.certificate)
            try await Self.using([h2, h1, old, wary]) {
            let overH2 = try await h2.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            #expect(overH2.status == .ok && overH2.version == .http2)
            #expect(overH2.headers["Strict-Transport-Security"].first == "max-age=31536000")
            let overH1 = try await h1.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            #expect(overH1.status == .ok && overH1.version == .http1_1)
            // TLS 1.1 and plain HTTP get nothing.
            await #expect(throws: (any Error).self) { _ = try await old.execute(HTTPClientRequest(url: url), timeout: .seconds(3)) }
            await #expect(throws: (any Error).self) {
                _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(3))
            }
            // The install one-liner names this server and its pin, and parses as a shell script.
            let script = try await h2.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/agent/install.sh"), timeout: .seconds(10))
            let text = String(buffer: try await script.body.collect(upTo: 1 << 20))
            #expect(script.status == .ok && script.headers["Content-Type"].first?.hasPrefix("text/x-shellscript") == true)
            #expect(text.contains("server='https://127.0.0.1:\(port)'") && text.contains("pin='\(first.pin)'"), "\(text)")
            let scriptFile = work.url.appendingPathComponent("install.sh")
            try Data(text.utf8).write(to: scriptFile)
            #expect(try runCommand(URL(fileURLWithPath: "/bin/sh"), ["-n", scriptFile.path]).status == 0)
            // Without an agent package installed with the server: a clear 404.
            let package = try await h2.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/agent/steward-agent.deb"), timeout: .seconds(10))
            #expect(package.status == .notFound)
            #expect(String(buffer: try await package.body.collect(upTo: 1 << 16)).contains("agent_package_not_found"))

            // A client trusting another certificate refuses this server.
            await #expect(throws: (any Error).self) { _ = try await wary.execute(HTTPClientRequest(url: url), timeout: .seconds(3)) }

            // The pin finds the certificate in use, and only it.
            #expect(try await ServerTrust.certificate(pinned: first.pin, host: "127.0.0.1", port: port) != nil)
            #expect(try await ServerTrust.certificate(pinned: stranger.pin, host: "127.0.0.1", port: port) == nil)

            // A new pair in the same files: new connections get it.
            for path in [first.certificate, first.key] { try FileManager.default.removeItem(atPath: path) }
            let renewed = try SelfSignedCertificate.write(
                names: ["localhost", "127.0.0.1"], certificatePath: first.certificate, keyPath: first.key, now: Date())
            #expect(try identity.reload() == renewed)
            #expect(try await ServerTrust.certificate(pinned: renewed, host: "127.0.0.1", port: port) != nil)
            #expect(try await ServerTrust.certificate(pinned: first.pin, host: "127.0.0.1", port: port) == nil)

            // A key that is not the certificate's is refused, and the pair in use stays.
            try FileManager.default.removeItem(atPath: first.key)
            try FileManager.default.copyItem(atPath: stranger.key, toPath: first.key)
            #expect(throws: TLSFileError.self) { try identity.reload() }
            #expect(try identity.pin == renewed)
            #expect(try await ServerTrust.certificate(pinned: renewed, host: "127.0.0.1", port: port) != nil)
            }
        }
    }

    /// The real binaries: `steward init --self-signed`, `steward serve --tls-cert --tls-key`,
    /// `steward-agent enroll --pin-sha256` over HTTPS, and a reload on SIGHUP.
    @Test func theRealServerServesHTTPSAndReloadsOnSIGHUP() async throws {
        let steward = try Executables.url("steward")
        let agentBinary = try Executables.url("steward-agent")
        let work = try TemporaryDirectory()
        let data = work.url.appendingPathComponent("data").path
        let initialised = try runCommand(steward, ["init", "--json", "--data-dir", data, "--self-signed", "localhost"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
        let pinLine = try #require(initialised.stderr.split(separator: "\n").first { $0.contains("--pin-sha256 ") })
        let pin = String(try #require(pinLine.split(separator: " ").last))
        let (certificate, key) = (data + "/tls.crt", data + "/tls.key")
        #expect(try TLSPin.of(try NIOSSLCertificate.fromPEMFile(certificate)[0]) == pin)
        let keyMode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? NSNumber
        #expect(keyMode?.intValue == 0o600)
        // It never overwrites a pair.
        let again = try runCommand(steward, ["init", "--data-dir", work.url.appendingPathComponent("other").path, "--self-signed", "a b"])
        #expect(again.status != 0)

        let server = try RunningServer(
            steward, ["serve", "--port", "0", "--data-dir", data, "--tls-cert", certificate, "--tls-key", key], logDirectory: work.url)
        let port = try await server.waitUntilServing()
        try await server.waitForLog("scheme=https")
        let base = "https://localhost:\(port)"
        let http = try Self.client(trusting: certificate)
        try await Self.using([http]) {
            let admin = AdminClient(server: base, token: tenant.adminToken, http: http)
            let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate)).token ?? ""
            let state = work.url.appendingPathComponent("agent").path

            // Plain HTTP to another machine, and a pin the server does not have, enroll nothing.
            let plain = try runCommand(agentBinary, ["enroll", "--server", "http://192.0.2.1:8080", "--token", token, "--state-dir", state])
            #expect(plain.status != 0 && plain.stderr.contains("--insecure-http"), "\(plain.stderr)")
            let otherPin = "sha256//" + Data(repeating: 1, count: 32).base64EncodedString()
            let wrong = try runCommand(agentBinary, ["enroll", "--server", base, "--token", token, "--pin-sha256", otherPin, "--state-dir", state])
            #expect(wrong.status != 0 && wrong.stderr.contains("presents no certificate"), "\(wrong.stderr)")
            #expect(try await admin.devices().items.isEmpty)

            let enrolled = try runCommand(agentBinary, ["enroll", "--server", base, "--token", token, "--pin-sha256", pin, "--state-dir", state])
            #expect(enrolled.status == 0 && enrolled.stdout.contains("Checked in"), "\(enrolled.stderr)")
            #expect(try await admin.devices().items.count == 1)

            // SIGHUP with a new pair in the files: the next connection gets it.
            let fresh = work.url.appendingPathComponent("fresh")
            try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
            let renewed = try Self.pair(fresh, "renewed")
            for (from, to) in [(renewed.certificate, certificate), (renewed.key, key)] {
                #expect(rename(from, to) == 0)
            }
            kill(server.pid, SIGHUP)
            try await server.waitForLog("tls certificate reloaded")
            #expect(try await ServerTrust.certificate(pinned: renewed.pin, host: "127.0.0.1", port: port) != nil)
            #expect(try await ServerTrust.certificate(pinned: pin, host: "127.0.0.1", port: port) == nil)
            // The agent pinned the old key: it refuses the new one rather than trust it.
            let refused = try runCommand(agentBinary, ["check-in", "--state-dir", state])
            #expect(refused.status != 0)

            // A broken key file: logged, and the pair in use stays.
            try Data("not a key".utf8).write(to: URL(fileURLWithPath: key))
            kill(server.pid, SIGHUP)
            try await server.waitForLog("tls certificate not reloaded")
            #expect(try await ServerTrust.certificate(pinned: renewed.pin, host: "127.0.0.1", port: port) != nil)
        }
        #expect(try await server.stop() == 0)
        try await server.waitForLog("steward stopped")
    }

    /// The install script is written for root: only a plain host and port go into it.
    @Test func theInstallScriptTakesOnlyAPlainHost() throws {
        for host in ["steward.example.org", "steward.example.org:8443", "127.0.0.1:8080", "[::1]:8443"] {
            #expect(AgentInstallScript.isSafeHost(host), "\(host)")
        }
        for host in ["", "a b", "x';reboot;'", "x$(reboot)", "x`id`", "h/path", "h\"q", "h\nX: y", String(repeating: "a", count: 300)] {
            #expect(!AgentInstallScript.isSafeHost(host), "\(host)")
        }
        let text = AgentInstallScript.render(server: "https://s:8443", pin: nil)
        #expect(text.contains("server='https://s:8443'") && text.contains("pin=''") && !text.contains("--pinnedpubkey sha"))
    }

    /// Runs `body`, then shuts the clients down whatever happened (a client must be shut down).
    static func using(_ clients: [HTTPClient], _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            for client in clients { try? await client.shutdown() }
            throw error
        }
        for client in clients { try await client.shutdown() }
    }

    @Test func anAgentEnrollsByPinOrCAFileAndChecksInOverTLS() async throws {
        let env = try await TestEnvironment()
        let work = try TemporaryDirectory()
        let served = try Self.pair(work.url, "server")
        var dependencies = env.dependencies
        dependencies.tls = try ServerIdentity(certificatePath: served.certificate, keyPath: served.key)
        var loopback = env.configuration
        loopback.port = 0
        let adminToken = env.tenant.adminToken
        try await withInProcessServer(configuration: loopback, dependencies: dependencies) { port in
            let base = "https://127.0.0.1:\(port)"
            let trusted = try #require(try await ServerTrust.certificate(pinned: served.pin, host: "127.0.0.1", port: port))
            let http = try Self.client(trusting: served.certificate)
            let admin = AdminClient(server: base, token: adminToken, http: http)
            try await Self.using([http]) {
            // Enrolled by the pin's certificate, then again (same machine, same state) by the file's.
            let state = AgentState(directory: work.url.appendingPathComponent("agent"))
            let agent = Agent(state: state)
            for (again, certificate) in [(false, trusted), (true, try ServerTrust.certificate(file: served.certificate))] {
                let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate))
                let outcome = try await agent.enroll(server: base, token: token.token ?? "", reEnroll: again, trustedCertificate: certificate)
                guard case .enrolled = outcome else { throw TestFailure("not enrolled") }
                #expect(try state.identity()?.trustedCertificate == certificate)
                let report = try await agent.checkIn()
                #expect(report.sectionsSent.contains("hardware"))
            }
            // Without the certificate (the system's roots), the self-signed server is refused.
            let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate))
            let stranger = Agent(state: AgentState(directory: work.url.appendingPathComponent("roots")))
            await #expect(throws: AgentError.self) { _ = try await stranger.enroll(server: base, token: token.token ?? "") }
            }
        }
    }
}
