import Foundation
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// The `connectors` table of `max.json` and the names `max connector new` accepts.
struct ConnectorSourceTests {
    @Test func sourcesAreReadByKind() throws {
        let root = try TemporaryDirectory(prefix: "sources")
        let package = root.url.appendingPathComponent("connectors/hello", isDirectory: true)
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        #expect(
            try ConnectorSource(parsing: "file:./connectors/hello", root: root.url, name: "hello")
                == .package(package.standardizedFileURL))
        #expect(
            try ConnectorSource(parsing: "file:./bin/notes.py", root: root.url, name: "notes")
                == .executable(root.url.appendingPathComponent("bin/notes.py").standardizedFileURL))
        #expect(
            try ConnectorSource(parsing: "git+https://example.com/c.git#v1.2.0", root: root.url, name: "c")
                == .git(url: "https://example.com/c.git", reference: "v1.2.0"))
        #expect(
            try ConnectorSource(parsing: "git+https://example.com/c.git", root: root.url, name: "c")
                == .git(url: "https://example.com/c.git", reference: nil))
    }

    @Test(arguments: ["npm:left-pad", "file:", "git+", "https://example.com"])
    func otherSourcesAreRefusedSayingWhatIsAccepted(_ text: String) throws {
        let error = #expect(throws: MaxError.self) {
            try ConnectorSource(parsing: text, root: URL(fileURLWithPath: "/tmp"), name: "x")
        }
        #expect(error?.code == .invalidProjectFile)
        #expect(error?.message.contains("connectors.x") == true)
    }

    @Test(arguments: ["hello", "my-source", "s3"])
    func connectorNamesThatNameAPackage(_ name: String) throws {
        let scaffold = try ConnectorScaffold(name: name, maxPackage: URL(fileURLWithPath: "/src/max"))
        #expect(scaffold.executableName == "\(name)-connector")
        #expect(scaffold.files.contains { $0.path == "Package.swift" && $0.text.contains("package: \"max\"") })
    }

    @Test(arguments: ["Hello", "1st", "a_b", "-x", "héllo", ""])
    func otherNamesAreRefused(_ name: String) {
        #expect(throws: MaxError.self) { try ConnectorScaffold(name: name, maxPackage: URL(fileURLWithPath: "/m")) }
    }

    @Test func theTypeNameIsCamelCased() throws {
        #expect(try ConnectorScaffold(name: "my-source", maxPackage: URL(fileURLWithPath: "/m")).typeName == "MySource")
    }
}
