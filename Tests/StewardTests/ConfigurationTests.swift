import Foundation
import Testing
import StewardServer

@Suite struct ConfigurationTests {
    @Test func flagsBeatEnvironmentBeatFileBeatDefaults() throws {
        let directory = try TemporaryDirectory()
        let file = directory.url.appendingPathComponent("steward.json")
        try Data(#"{"host": "127.0.0.2", "port": 9000, "dataDir": "/srv/file", "checkInIntervalSeconds": 300}"#.utf8).write(to: file)
        let layers = try ConfigurationLayers(
            flags: [ConfigurationLayers.port: "9100", ConfigurationLayers.host: nil],
            environment: ["STEWARD_PORT": "9200", "STEWARD_DATA_DIR": "/srv/env"], configFile: file.path)
        #expect(layers.value(ConfigurationLayers.port) == "9100")
        #expect(layers.value(ConfigurationLayers.dataDir) == "/srv/env")
        #expect(layers.value(ConfigurationLayers.host) == "127.0.0.2")
        #expect(layers.value(ConfigurationLayers.logLevel) == "info")
        let server = try layers.server()
        #expect(server.port == 9100 && server.host == "127.0.0.2" && server.checkInIntervalSeconds == 300)
    }

    @Test func theConfigFileCanComeFromTheEnvironment() throws {
        let directory = try TemporaryDirectory()
        let file = directory.url.appendingPathComponent("c.json")
        try Data(#"{"port": 7000}"#.utf8).write(to: file)
        let layers = try ConfigurationLayers(flags: [:], environment: ["STEWARD_CONFIG": file.path], configFile: nil)
        #expect(try layers.server().port == 7000)
    }

    @Test func badValuesAreClearErrors() throws {
        let directory = try TemporaryDirectory()
        let file = directory.url.appendingPathComponent("c.json")
        try Data(#"{"prot": 7000}"#.utf8).write(to: file)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLayers(flags: [:], environment: [:], configFile: file.path)
        }
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLayers(flags: [:], environment: [:], configFile: directory.url.appendingPathComponent("missing").path)
        }
        let layers = try ConfigurationLayers(flags: [:], environment: ["STEWARD_PORT": "eighty"], configFile: nil)
        #expect(throws: ConfigurationError.self) { try layers.server() }
        let documented = try String(
            contentsOf: OpenAPITests.document.deletingLastPathComponent().appendingPathComponent("configuration.md"), encoding: .utf8)
        for key in ConfigurationLayers.all {
            #expect(documented.contains("`\(key.file)`") && documented.contains("`\(key.environment)`"), "\(key.file) is documented")
        }
    }
}
