public import Foundation
import MaxCore

/// A Max project on disk: `max.json` (declarative, git-tracked) and `.max/` (runtime: credentials,
/// synced data; gitignored; rebuildable from `max.json` plus secrets).
///
/// ```
/// my-project/
///   max.json
///   .max/installations/<name>/credentials.json   (0600)
///   .max/installations/<name>/data.db
/// ```
public struct Project: Sendable {
    /// The project's folder.
    public let root: URL

    /// The file name that marks a project.
    public static let fileName = "max.json"

    /// A project rooted at `root` (not checked).
    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// `max.json`.
    public var fileURL: URL { root.appendingPathComponent(Self.fileName) }
    /// `.max/`.
    public var runtimeURL: URL { root.appendingPathComponent(".max", isDirectory: true) }

    /// `.max/installations/<name>/`.
    public func installationURL(_ name: String) -> URL {
        runtimeURL.appendingPathComponent("installations", isDirectory: true).appendingPathComponent(
            name, isDirectory: true)
    }

    /// The installation's SQLite database.
    public func dataURL(_ name: String) -> URL { installationURL(name).appendingPathComponent("data.db") }

    /// The installation's credential file.
    public func credentialsURL(_ name: String) -> URL {
        installationURL(name).appendingPathComponent("credentials.json")
    }

    /// Finds the project: the first folder from `start` upward that holds `max.json`.
    ///
    /// - Throws: `project.not_found`, with the hint to run `max init`.
    public static func find(from start: URL) throws -> Project {
        var folder = start.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(fileName).path) {
                return Project(root: folder)
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path || folder.path == "/" {
                throw MaxError(
                    .projectNotFound, "no max.json in \(start.path) or any folder above it",
                    hint: "run \"max init\" to make this folder a Max project, or pass -C <dir>",
                    context: ["path": start.path])
            }
            folder = parent
        }
    }

    /// Makes `root` a project: `max.json`, `.max/`, and `.max` in `.gitignore`.
    ///
    /// - Throws: `project.exists` when `root` or a folder above it is already a project (unless
    ///   `force`); `project.write_failed`.
    @discardableResult
    public static func initialise(at root: URL, force: Bool = false) throws -> Project {
        if !force, let existing = try? find(from: root) {
            throw MaxError(
                .projectExists, "\(existing.root.path) is already a Max project",
                hint: existing.root.path == root.standardizedFileURL.path
                    ? "use it as it is, or pass --force to start over (installations are kept)"
                    : "a project inside another needs --force", context: ["path": existing.root.path])
        }
        let project = Project(root: root)
        do {
            try FileManager.default.createDirectory(at: project.runtimeURL, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: project.fileURL.path) {
                try project.save(ProjectFile())
            }
            try project.ignoreRuntimeFolder()
        } catch let error as MaxError {
            throw error
        } catch {
            throw MaxError(
                .projectWriteFailed, "cannot create the project in \(root.path): \(error.localizedDescription)",
                context: ["path": root.path])
        }
        return project
    }

    /// Reads `max.json`.
    ///
    /// - Throws: `project.invalid_config` (with the path and what is wrong), `project.not_found`.
    public func load() throws -> ProjectFile {
        guard let data = FileManager.default.contents(atPath: fileURL.path) else {
            throw MaxError(.projectNotFound, "cannot read \(fileURL.path)", context: ["path": fileURL.path])
        }
        return try ProjectFile(parsing: String(decoding: data, as: UTF8.self), path: fileURL.path)
    }

    /// Writes `max.json` atomically: a temporary file in the same folder, then a rename.
    public func save(_ file: ProjectFile) throws {
        try AtomicFile.write(Data(file.text.utf8), to: fileURL)
    }

    /// Loads `max.json`, applies `change`, and saves it.
    ///
    /// A file that does not parse is never overwritten: the parse error is thrown instead.
    public func update<T>(_ change: (inout ProjectFile) throws -> T) throws -> T {
        var file = try load()
        let result = try change(&file)
        try save(file)
        return result
    }

    private func ignoreRuntimeFolder() throws {
        let url = root.appendingPathComponent(".gitignore")
        let existing = FileManager.default.contents(atPath: url.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let lines = existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !lines.contains(where: { [".max", ".max/", "/.max", "/.max/"].contains($0) }) else { return }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try AtomicFile.write(Data((existing + separator + ".max/\n").utf8), to: url)
    }
}

/// Writes files atomically, with chosen permissions.
enum AtomicFile {
    static func write(_ data: Data, to url: URL, permissions: Int? = nil) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
        do {
            var attributes: [FileAttributeKey: Any] = [:]
            if let permissions { attributes[.posixPermissions] = permissions }
            guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: attributes) else {
                throw CocoaError(.fileWriteUnknown)
            }
            if rename(temporary.path, url.path) != 0 { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw MaxError(
                .projectWriteFailed, "cannot write \(url.path)", hint: "check that the folder is writable",
                context: ["path": url.path])
        }
    }
}
