public import Foundation
import MaxCore
import MaxCredentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Max project on disk: `max.json` (declarative, git-tracked) and `.max/` (runtime: credentials,
/// synced data; gitignored; rebuildable from `max.json` plus secrets).
///
/// ```
/// my-project/
///   max.json
///   .max/                                        (0700)
///     installations/<name>/                      (0700)
///       credentials.json                         (0600)
///       data.db                                  (0600)
/// ```
///
/// Everything under `.max/` is private to its owner, and every path there is reached through
/// `Project+Paths.swift`, which refuses names and symbolic links that could lead outside it.
public struct Project: Sendable, Equatable {
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

    /// What ``initialise(at:force:)`` found and did.
    public struct Initialisation: Sendable, Equatable {
        /// The project.
        public var project: Project
        /// Whether `max.json` was created (else an existing one was kept).
        public var createdFile = false
        /// Whether `.max/` was created.
        public var createdRuntimeFolder = false
        /// Whether `.max/` was added to `.gitignore`.
        public var updatedGitignore = false
        /// The installations an existing `max.json` holds, kept as they were.
        public var keptInstallations = 0

        /// Whether anything was written.
        public var changedAnything: Bool { createdFile || createdRuntimeFolder || updatedGitignore }
    }

    /// Makes `root` a project: `max.json`, `.max/` (private to its owner), and `.max/` in `.gitignore`.
    ///
    /// With `force`, an existing project is checked and completed instead: its `max.json` must parse
    /// (it is never rewritten), and whatever is missing is created.
    ///
    /// - Throws: `project.exists` when `root` or a folder above it is already a project (unless
    ///   `force`); `project.invalid_config` when an existing `max.json` does not parse;
    ///   `project.write_failed`.
    @discardableResult
    public static func initialise(at root: URL, force: Bool = false) throws -> Initialisation {
        if !force, let existing = try? find(from: root) {
            throw MaxError(
                .projectExists, "\(existing.root.path) is already a Max project",
                hint: existing.root.path == root.standardizedFileURL.path
                    ? "use it as it is, or pass --force to check it and create what is missing (installations are kept)"
                    : "a project inside another needs --force", context: ["path": existing.root.path])
        }
        let project = Project(root: root)
        var result = Initialisation(project: project)
        if FileManager.default.fileExists(atPath: project.fileURL.path) {
            result.keptInstallations = try project.load().installations.count
        }
        do {
            try FileManager.default.createDirectory(at: project.root, withIntermediateDirectories: true)
            try project.refuseLink(at: project.runtimeURL)
            result.createdRuntimeFolder = !FileManager.default.fileExists(atPath: project.runtimeURL.path)
            try makePrivateFolder(project.runtimeURL)
            if !FileManager.default.fileExists(atPath: project.fileURL.path) {
                try project.save(ProjectFile())
                result.createdFile = true
            }
            result.updatedGitignore = try project.ignoreRuntimeFolder()
        } catch let error as MaxError {
            throw error
        } catch {
            throw MaxError(
                .projectWriteFailed, "cannot create the project in \(root.path): \(error.localizedDescription)",
                hint: "check that the folder is writable", context: ["path": root.path])
        }
        return result
    }

    /// Reads `max.json`.
    ///
    /// - Throws: `project.invalid_config` (with the path and what is wrong), `project.not_found`.
    public func load() throws -> ProjectFile {
        guard let data = FileManager.default.contents(atPath: fileURL.path) else {
            throw MaxError(.projectNotFound, "cannot read \(fileURL.path)", context: ["path": fileURL.path])
        }
        // One command reads max.json several times (the installation, its settings, its
        // credentials' references…): the file is read each time, but parsed and checked only when
        // its text is not the text parsed last, so an edit is always seen.
        let path = fileURL.path
        if let parsed = Self.parsed.withLock({ $0[path] }), parsed.data == data { return parsed.file }
        let file = try ProjectFile(parsing: String(decoding: data, as: UTF8.self), path: path)
        Self.parsed.withLock { $0[path] = (data, file) }
        return file
    }

    /// The `max.json` files parsed in this process: the text each was parsed from, and the result.
    private static let parsed = Mutex<[String: (data: Data, file: ProjectFile)]>([:])

    /// Writes `max.json` atomically: a temporary file in the same folder, then a rename.
    public func save(_ file: ProjectFile) throws {
        try AtomicFile.writeInProject(Data(file.text.utf8), to: fileURL, permissions: 0o644)
    }

    /// Loads `max.json`, applies `change`, and saves it, holding the project's lock
    /// (``withLock(_:)``): two Max processes editing it at once (parallel `max connect`s) never
    /// lose each other's changes.
    ///
    /// A file that does not parse is never overwritten: the parse error is thrown instead.
    public func update<T>(_ change: (inout ProjectFile) throws -> T) throws -> T {
        try withLock {
            var file = try load()
            let result = try change(&file)
            try save(file)
            return result
        }
    }

    /// Runs `body` holding the project's lock.
    ///
    /// The lock is an exclusive `flock` on the project folder, which every read-modify-write of
    /// `max.json` takes. The kernel releases it when the process ends,
    /// however it ends; it leaves no file behind.
    ///
    /// - Throws: `project.write_failed` when the folder cannot be locked; what `body` throws.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        let descriptor = try lock()
        defer { close(descriptor) }  // releases the lock
        return try body()
    }

    /// Runs `body`, which awaits (storing a new installation's credentials), holding the lock.
    ///
    /// As ``withLock(_:)``. Inside it, read and write `max.json` with ``load()`` and ``save(_:)``: ``update(_:)`` would wait
    /// for the lock it holds.
    public func withLockAwaiting<T>(_ body: () async throws -> T) async throws -> T {
        let descriptor = try lock()
        defer { close(descriptor) }
        return try await body()
    }

    /// An open descriptor of the project folder, locked exclusively (closing it unlocks).
    private func lock() throws -> Int32 {
        let descriptor = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw lockFailure(errno) }
        var result: Int32
        repeat {
            result = flock(descriptor, LOCK_EX)
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let failure = lockFailure(errno)
            close(descriptor)
            throw failure
        }
        return descriptor
    }

    private func lockFailure(_ code: Int32) -> MaxError {
        MaxError(
            .projectWriteFailed, "cannot lock \(root.path) to edit max.json: \(String(cString: strerror(code)))",
            hint: "check that the project folder is readable", context: ["path": root.path])
    }

    /// Whether `.gitignore` already ignores `.max/`.
    var ignoresRuntimeFolder: Bool {
        let url = root.appendingPathComponent(".gitignore")
        let existing = FileManager.default.contents(atPath: url.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let lines = existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.contains { [".max", ".max/", "/.max", "/.max/"].contains($0) }
    }

    /// Adds `.max/` to `.gitignore` unless it is there; returns whether the file changed.
    private func ignoreRuntimeFolder() throws -> Bool {
        guard !ignoresRuntimeFolder else { return false }
        let url = root.appendingPathComponent(".gitignore")
        let existing = FileManager.default.contents(atPath: url.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try AtomicFile.writeInProject(Data((existing + separator + ".max/\n").utf8), to: url, permissions: 0o644)
        return true
    }
}

extension AtomicFile {
    /// Writes a file of the project atomically (``AtomicFile/write(_:to:permissions:)``).
    ///
    /// - Throws: `project.write_failed` naming the file and why.
    static func writeInProject(_ data: Data, to url: URL, permissions: mode_t) throws {
        do {
            try write(data, to: url, permissions: permissions)
        } catch let failure as Failure {
            throw MaxError(
                .projectWriteFailed, "cannot write \(url.path): \(failure.reason)",
                hint: "check that the folder is writable", context: ["path": url.path])
        }
    }
}
