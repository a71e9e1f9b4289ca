public import Foundation
import MaxConnector
public import MaxCore
import MaxCredentials

/// What `max install` does for the project's `connectors` table: clones `git+` sources, builds
/// Swift packages (`swift build -c release`) into `.max/connectors/`, and pins what it built in
/// `.max/connectors.json` (source, git revision, version, executable), which is what runs.
///
/// Every package builds in one folder, `.max/connectors/swift-build`: connector packages share
/// Max's SDK and its dependencies, so only the first build compiles them (minutes) and the next
/// package takes seconds. Each built program is then copied to its connector's own folder
/// (`.max/connectors/<name>-<key>/bin/`), where the next package's build cannot replace it.
public struct ConnectorInstaller: Sendable {
    /// The project.
    public let project: Project

    /// An installer for `project`.
    public init(project: Project) {
        self.project = project
    }

    /// One connector as installed.
    public struct Pin: Sendable, Hashable {
        /// The connector's name in the table.
        public let name: String
        /// Its source, as the table says.
        public let source: String
        /// The git revision built, for a `git+` source.
        public let revision: String?
        /// The version it describes itself with.
        public let version: String
        /// The program that runs it.
        public let executable: String
    }

    /// The pin of `name` for `source`, if `max install` built it.
    public func pin(of name: String, source: String) throws -> Pin? {
        try pins()[name].flatMap { $0.source == source ? $0 : nil }
    }

    /// Installs every connector of the table that needs building, saying what it does through
    /// `progress`.
    ///
    /// - Returns: The pins of what was built, by name.
    /// Each package must be signed by a signer of the project's `"trust"` (or trusted unsigned
    /// there), and approved at its version when the project requires approval.
    ///
    /// - Throws: `connector.build_failed` naming the connector and what failed;
    ///   `connector.unsigned`, `connector.signature_invalid`, `connector.not_approved`,
    ///   `connector.not_certified` (see ``ConnectorTrust``); what reading the table throws.
    public func installAll(progress: @Sendable (String) -> Void) async throws -> [Pin] {
        let file = try project.load()
        let trust = try ConnectorTrust(json: file.otherKeys["trust"])
        let table = try ConnectorSource.table(in: file, root: project.root)
        let texts = file.otherKeys["connectors"]?.objectValue ?? [:]
        var built: [Pin] = []
        var all = try pins()
        for name in table.keys.sorted() {
            guard let source = table[name], let text = texts[name]?.stringValue else { continue }
            let package: URL
            var revision: String?
            switch source {
            case .executable, .manifest: continue
            case .package(let url): package = url
            case .git(let url, let reference):
                (package, revision) = try await clone(
                    name: name, url: url, reference: reference, source: text, progress)
            }
            // What is built is what its publisher signed (or what the project trusts unsigned).
            let signer = try trust.verify(name, source: package)
            try trust.requireCertified(name, source: package, reports: project.certificationURL)
            progress(signer.map { "\(name) is signed by \($0)" } ?? "\(name) is unsigned, trusted by max.json")
            progress("building \(name) from \(text) (swift build -c release; the first build takes minutes)")
            let started = ContinuousClock.now
            let executable = try await build(name: name, package: package, source: text)
            // What was just built is untrusted: it describes itself in its sandbox.
            var settings = ConnectorProcess.Settings(command: [executable.path])
            if ConnectorSandbox.helper != nil { settings.sandbox = ConnectorSandbox(hidden: [project.runtimeURL.path]) }
            let module = try await SubprocessConnector.describe(name: name, settings: settings)
            try trust.requireApproved(name, version: module.def.version)
            let pin = Pin(
                name: name, source: text, revision: revision, version: module.def.version, executable: executable.path)
            all[name] = pin
            built.append(pin)
            let seconds = Int((ContinuousClock.now - started).components.seconds)
            progress("built \(name) \(pin.version)\(revision.map { " at \($0.prefix(12))" } ?? "") in \(seconds) s")
        }
        try save(all)
        return built
    }

    /// The folder whose files `max install` verifies and builds for connector `name`: the
    /// package's own folder, or the clone of a `git+` source (`nil` when it has not been cloned).
    ///
    /// - Throws: `project.unsafe_path` for a runtime folder that is a link.
    public func packageFolder(of name: String, source: ConnectorSource, text: String) throws -> URL? {
        switch source {
        case .package(let url): return url
        case .git:
            let folder = try cacheFolder(name, source: text).appendingPathComponent("source", isDirectory: true)
            return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
        case .executable, .manifest: return nil
        }
    }

    // MARK: Building

    private func cacheFolder(_ name: String, source: String) throws -> URL {
        let key = String(ContentDigest.sha256(source).prefix(16))
        return try project.runtimeFileURL("connectors").appendingPathComponent("\(name)-\(key)", isDirectory: true)
    }

    private func clone(
        name: String, url: String, reference: String?, source: String, _ progress: @Sendable (String) -> Void
    ) async throws -> (URL, String) {
        let folder = try cacheFolder(name, source: source).appendingPathComponent("source", isDirectory: true)
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent(".git").path) {
            progress("cloning \(url)\(reference.map { " at \($0)" } ?? "")")
            // Cloned and checked out beside the folder, then renamed into place: a clone whose
            // checkout failed must not be taken for the source next time.
            let staging = folder.deletingLastPathComponent().appendingPathComponent("source.\(getpid()).tmp")
            try FileManager.default.createDirectory(
                at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: staging)
            defer { try? FileManager.default.removeItem(at: staging) }
            _ = try await Self.run(
                ["git", "clone", "--quiet", url, staging.path], name: name, what: "git clone",
                hint: "check the URL and that this machine can reach it, then run max install again")
            if let reference {
                _ = try await Self.run(
                    ["git", "-C", staging.path, "checkout", "--quiet", reference], name: name, what: "git checkout",
                    hint: "check that \(url) has the tag or branch '\(reference)', then run max install again")
            }
            try? FileManager.default.removeItem(at: folder)
            try FileManager.default.moveItem(at: staging, to: folder)
        }
        let revision = try await Self.run(["git", "-C", folder.path, "rev-parse", "HEAD"], name: name, what: "git")
        return (folder, revision.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func build(name: String, package: URL, source: String) async throws -> URL {
        guard FileManager.default.fileExists(atPath: package.appendingPathComponent("Package.swift").path) else {
            throw MaxError(
                .connectorBuildFailed, "\(package.path) has no Package.swift",
                hint: "a file: source is an executable, or a folder with a Swift package", context: ["connector": name])
        }
        let scratch = try project.runtimeFileURL("connectors").appendingPathComponent("swift-build", isDirectory: true)
        let product = try await executableProduct(of: package, name: name)
        let common = ["--package-path", package.path, "--scratch-path", scratch.path, "-c", "release"]
        // The build folder is shared, and SwiftPM's cached build plan is the last package's: without
        // --disable-build-manifest-caching it can answer "No target named '<product>…'" for the
        // next. Planning again takes a second; what was compiled is still reused.
        _ = try await Self.run(
            ["swift", "build", "--product", product, "--disable-build-manifest-caching"] + common, name: name,
            what: "swift build", echo: true)
        let bin = try await Self.run(["swift", "build", "--show-bin-path"] + common, name: name, what: "swift build")
        let built = URL(fileURLWithPath: bin.trimmingCharacters(in: .whitespacesAndNewlines))
            .appendingPathComponent(product)
        let own = try cacheFolder(name, source: source)
        let kept = own.appendingPathComponent("bin", isDirectory: true).appendingPathComponent(product)
        try Self.replace(kept, withCopyOf: built, name: name)
        // Max before the shared build folder built each package in `<name>-<key>/build`, about 600 MB
        // each; nothing is pinned there once the copy is kept.
        try? FileManager.default.removeItem(at: own.appendingPathComponent("build", isDirectory: true))
        return kept
    }

    /// Copies `source` over `destination` in one step: the copy is made beside it and renamed over
    /// it, so a connector process running the old program keeps it and a new one starts the new.
    static func replace(_ destination: URL, withCopyOf source: URL, name: String) throws {
        let folder = destination.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).tmp")
        func failure(_ reason: String) -> MaxError {
            try? FileManager.default.removeItem(at: temporary)
            return MaxError(
                .connectorBuildFailed, "could not keep the built \(name) connector at \(destination.path): \(reason)",
                hint: "check the permissions and free space of .max/connectors, then run max install again",
                context: ["connector": name])
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: temporary)
            try FileManager.default.copyItem(at: source, to: temporary)
        } catch {
            throw failure(error.localizedDescription)
        }
        guard rename(temporary.path, destination.path) == 0 else { throw failure(String(cString: strerror(errno))) }
    }

    /// The package's executable product: the only one, or the one named `<name>-connector`.
    private func executableProduct(of package: URL, name: String) async throws -> String {
        let description = try await Self.run(
            ["swift", "package", "--package-path", package.path, "describe", "--type", "json"], name: name,
            what: "swift package describe")
        let start = description.firstIndex(of: "{") ?? description.startIndex
        let products = (try? JSONValue(parsing: String(description[start...])))?["products"]?.arrayValue ?? []
        let executables = products.filter { $0["type"]?["executable"] != nil }.compactMap { $0["name"]?.stringValue }
        if executables.count == 1, let only = executables.first { return only }
        if executables.contains("\(name)-connector") { return "\(name)-connector" }
        throw MaxError(
            .connectorBuildFailed,
            "\(package.path) has \(executables.isEmpty ? "no executable product" : "several executable products (\(executables.joined(separator: ", ")))")",
            hint: "give it one executable product, or name it \(name)-connector", context: ["connector": name])
    }

    /// Runs a command, returning what it printed; with `echo`, its output goes to standard error
    /// as it comes (a build's progress).
    ///
    /// - Throws: `connector.build_failed` with the end of its output when it fails.
    static func run(
        _ command: [String], name: String, what: String, echo: Bool = false,
        hint: String = "fix the package, then run max install again"
    ) async throws -> String {
        let finished: ProgramRun
        var progress: (@Sendable (Data) -> Void)?
        if echo { progress = { @Sendable chunk in FileHandle.standardError.write(chunk) } }
        do {
            finished = try await ProgramRun.run(command, mergingErrors: true, echo: progress)
        } catch {
            throw MaxError(
                .connectorBuildFailed, "could not run \(command[0]): \(error.localizedDescription)",
                hint: "install \(command[0]) and put it on PATH, then run max install again",
                context: ["connector": name])
        }
        let text = String(decoding: finished.output, as: UTF8.self)
        // Programs run through /usr/bin/env, which exits 127 when it finds none by that name.
        if finished.status == 127, text.contains("No such file or directory") {
            throw MaxError(
                .connectorBuildFailed, "\(what) failed for the \(name) connector: \(command[0]) is not on PATH",
                hint: "install \(command[0]) and put it on PATH, then run max install again",
                context: ["connector": name])
        }
        guard finished.status == 0 else {
            throw MaxError(
                .connectorBuildFailed,
                "\(what) failed for the \(name) connector: "
                    + text.split(separator: "\n").suffix(5).joined(separator: " / "),
                hint: hint, context: ["connector": name])
        }
        return text
    }

    // MARK: Pins

    private func pins() throws -> [String: Pin] {
        let url = try project.runtimeFileURL("connectors.json")
        guard let data = FileManager.default.contents(atPath: url.path),
            let object = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)).objectValue
        else { return [:] }
        var pins: [String: Pin] = [:]
        for (name, entry) in object {
            guard let source = entry["source"]?.stringValue, let executable = entry["executable"]?.stringValue else {
                continue
            }
            pins[name] = Pin(
                name: name, source: source, revision: entry["revision"]?.stringValue,
                version: entry["version"]?.stringValue ?? "", executable: executable)
        }
        return pins
    }

    private func save(_ pins: [String: Pin]) throws {
        var object: [String: JSONValue] = [:]
        for (name, pin) in pins {
            var entry: [String: JSONValue] = [
                "source": .string(pin.source), "version": .string(pin.version), "executable": .string(pin.executable),
            ]
            if let revision = pin.revision { entry["revision"] = .string(revision) }
            object[name] = .object(entry)
        }
        try AtomicFile.writeInProject(
            Data(JSONValue.object(object).prettyJSONText.utf8), to: try project.runtimeFileURL("connectors.json"),
            permissions: 0o600)
    }
}

extension MaxError.Code {
    /// `max install` could not clone or build a connector.
    public static let connectorBuildFailed = Self(domain: "connector", name: "build_failed", category: .permanent)
    /// A connector that must be built has not been.
    public static let connectorNotInstalled = Self(domain: "connector", name: "not_installed", category: .notFound)
    /// A `file:` connector program exists but cannot be run (it is not executable).
    public static let connectorNotRunnable = Self(
        domain: "connector", name: "not_runnable", category: .validationError)
}
