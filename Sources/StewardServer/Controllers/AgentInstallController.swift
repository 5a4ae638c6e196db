import Foundation
import Hummingbird
import NIOCore
import StewardTLS

/// `GET /agent/install.sh` and `GET /agent/steward-agent.deb`: the one-liner that installs the
/// agent from this server and enrolls the machine —
/// `curl -fsS -k --pinnedpubkey PIN https://SERVER/agent/install.sh | sudo STEWARD_TOKEN=TOKEN sh`.
/// The script names this server and, served over Steward's own TLS, its certificate's pin; it
/// holds no secret (the token travels in the administrator's command, never in a URL).
struct AgentInstallController: Sendable {
    let configuration: ServerConfiguration
    let tls: ServerIdentity?

    static let scriptPath = "/agent/install.sh"
    static let packagePath = "/agent/steward-agent.deb"

    func script(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let scheme = request.cameOverTLS(servedOverTLS: tls != nil) ? "https" : "http"
        let server: String
        if let publicURL = configuration.publicURL {
            server = publicURL
        } else if let host = request.head.authority, AgentInstallScript.isSafeHost(host) {
            server = "\(scheme)://\(host)"
        } else {
            // The script runs as root: a host it could not vouch for is not written into it.
            throw APIError(.badRequest, "invalid_host", "Set publicURL, or ask with a plain host name and port.")
        }
        let pin = try? tls?.pin
        var headers = HTTPFields()
        headers[.contentType] = "text/x-shellscript; charset=utf-8"
        let text = AgentInstallScript.render(server: server, pin: pin)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func package(_ request: Request, context: StewardRequestContext) async throws -> Response {
        guard let data = FileManager.default.contents(atPath: configuration.agentPackageFile) else {
            throw APIError(.notFound, "agent_package_not_found", "This server has no agent package (install Steward from its Debian package).")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.debian.binary-package"
        headers[.contentDisposition] = "attachment; filename=\"steward-agent.deb\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

public enum AgentInstallScript {
    /// A host name or address and an optional port, nothing else (no quotes, spaces, `$`, `/`).
    public static func isSafeHost(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 262 else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || scalar == "." || scalar == "-" || scalar == ":" || scalar == "[" || scalar == "]"
        }
    }

    public static func render(server: String, pin: String?) -> String {
        """
        #!/bin/sh
        # Installs steward-agent from \(server) and enrolls this machine. As root:
        #   curl -fsS\(pin.map { " -k --pinnedpubkey \($0)" } ?? "") \(server)/agent/install.sh | STEWARD_TOKEN=<enrollment token> sh
        set -eu
        server='\(server)'
        pin='\(pin ?? "")'
        token="${STEWARD_TOKEN:-}"
        if [ -z "$token" ]; then echo "install.sh: set STEWARD_TOKEN to an enrollment token" >&2; exit 2; fi
        if [ "$(id -u)" != 0 ]; then echo "install.sh: run as root" >&2; exit 2; fi
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        if [ -n "$pin" ]; then
          # The server's certificate is its own: the pin, not a CA, vouches for it.
          curl -fsS -k --pinnedpubkey "$pin" -o "$work/steward-agent.deb" "$server/agent/steward-agent.deb"
        else
          curl -fsS -o "$work/steward-agent.deb" "$server/agent/steward-agent.deb"
        fi
        dpkg -i "$work/steward-agent.deb"
        if [ -n "$pin" ]; then
          steward-agent enroll --server "$server" --token "$token" --pin-sha256 "$pin" --state-dir /var/lib/steward-agent
        else
          steward-agent enroll --server "$server" --token "$token" --state-dir /var/lib/steward-agent
        fi
        if [ -d /run/systemd/system ]; then systemctl restart steward-agent.service; fi
        echo "steward-agent: this machine is enrolled with $server"

        """
    }
}
