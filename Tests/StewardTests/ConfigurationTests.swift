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

    /// The master key comes from configuration (base64) or from its file, made with mode 0600.
    @Test func theMasterKeyComesFromConfigurationOrItsFile() throws {
        let directory = try TemporaryDirectory()
        let fromFile = try ConfigurationLayers(flags: [:], environment: ["STEWARD_DATA_DIR": directory.url.path], configFile: nil)
        let made = try fromFile.masterKey(create: true)
        let path = directory.url.appendingPathComponent("master.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try fromFile.masterKey(create: false).check == made.check, "read back")

        let encoded = Data(repeating: 9, count: 32).base64EncodedString()
        let inline = try ConfigurationLayers(
            flags: [:], environment: ["STEWARD_DATA_DIR": directory.url.path, "STEWARD_MASTER_KEY": encoded], configFile: nil)
        #expect(try inline.masterKey(create: false).check != made.check, "the configured key wins over the file")
        #expect(inline.masterKeyPath.contains("STEWARD_MASTER_KEY"))
        let sealed = try inline.masterKey(create: false).seal(Data("secret".utf8))
        #expect(try inline.masterKey(create: false).open(sealed) == Data("secret".utf8))
        #expect(throws: (any Error).self) { try fromFile.masterKey(create: false).open(sealed) }
        let short = try ConfigurationLayers(flags: [:], environment: ["STEWARD_MASTER_KEY": "c2hvcnQ="], configFile: nil)
        #expect(throws: ConfigurationError.self) { try short.masterKey(create: false) }
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
