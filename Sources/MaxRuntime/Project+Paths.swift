public import Foundation
import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Paths under `.max/`, reached safely.
///
/// `max.json` is meant to be committed and shared, so an installation name read from it is input
/// like any other: every path is built from a name checked by ``validate(installationName:)``, and
/// no folder or file on the way (`.max`, `installations`, the installation's folder, its files) may
/// be a symbolic link, so nothing Max reads, writes or deletes can lie outside the project.
extension Project {
    /// The permissions of every folder Max creates under `.max/`: owner only.
    static let privateFolderMode: mode_t = 0o700
    /// The permissions of every file Max creates under `.max/`: owner only.
    static let privateFileMode: mode_t = 0o600

    /// `.max/installations/`.
    var installationsURL: URL { runtimeURL.appendingPathComponent("installations", isDirectory: true) }

    /// `certification/`: the reports of `max connector certify`, beside `max.json` (tracked, like
    /// it), where `max install` looks for them.
    public var certificationURL: URL { root.appendingPathComponent("certification", isDirectory: true) }

    /// `.max/installations/<name>/`, after checking the name and that no part of the path is a link.
    ///
    /// - Throws: `installation.invalid_name`, `project.unsafe_path`.
    public func installationURL(_ name: String) throws -> URL {
        try Self.validate(installationName: name)
        let folder = installationsURL.appendingPathComponent(name, isDirectory: true)
        for url in [runtimeURL, installationsURL, folder] { try refuseLink(at: url) }
        return folder
    }

    /// The installation's SQLite database (checked like ``installationURL(_:)``).
    public func dataURL(_ name: String) throws -> URL {
        let url = try installationURL(name).appendingPathComponent("data.db")
        try refuseLink(at: url)
        return url
    }

    /// The installation's credential file (checked like ``installationURL(_:)``).
    public func credentialsURL(_ name: String) throws -> URL {
        let url = try installationURL(name).appendingPathComponent("credentials.json")
        try refuseLink(at: url)
        return url
    }

    /// A project-wide file under `.max/` (`operations.db`, `audit.db`), after making `.max/`
    /// private and checking that neither it nor the file is a link.
    ///
    /// - Throws: `project.unsafe_path`, `project.write_failed`.
    public func runtimeFileURL(_ name: String) throws -> URL {
        try refuseLink(at: runtimeURL)
        try Self.makePrivateFolder(runtimeURL)
        let url = runtimeURL.appendingPathComponent(name)
        try refuseLink(at: url)
        return url
    }

    /// Creates `.max/installations/<name>/` (and the folders above it) private to the owner, and
    /// makes existing ones private if they were not.
    ///
    /// - Returns: The folder.
    /// - Throws: `installation.invalid_name`, `project.unsafe_path`, `project.write_failed`.
    @discardableResult
    public func prepareInstallationFolder(_ name: String) throws -> URL {
        let folder = try installationURL(name)
        for url in [runtimeURL, installationsURL, folder] { try Self.makePrivateFolder(url) }
        return folder
    }

    /// Creates `url` as a folder with mode 0700, or tightens an existing one to 0700.
    static func makePrivateFolder(_ url: URL) throws {
        if mkdir(url.path, privateFolderMode) == 0 { return }
        let created = errno
        var info = stat()
        guard created == EEXIST, lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw MaxError(
                .projectWriteFailed, "cannot create the folder \(url.path): \(String(cString: strerror(created)))",
                hint: "check that the project folder is writable", context: ["path": url.path])
        }
        if info.st_mode & 0o077 != 0, chmod(url.path, privateFolderMode) != 0 {
            throw MaxError(
                .projectWriteFailed, "cannot make \(url.path) private (mode 0700): \(String(cString: strerror(errno)))",
                hint: "run: chmod 700 \(url.path)", context: ["path": url.path])
        }
    }

    /// Makes existing files private to their owner (mode 0600) if they were not; skips missing ones.
    static func tightenFiles(_ paths: [String]) throws {
        for path in paths {
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0 else { continue }
            guard chmod(path, privateFileMode) == 0 else {
                throw MaxError(
                    .projectWriteFailed, "cannot make \(path) private (mode 0600): \(String(cString: strerror(errno)))",
                    hint: "run: chmod 600 \(path)", context: ["path": path])
            }
        }
    }

    /// Throws if `url` exists and is a symbolic link.
    func refuseLink(at url: URL) throws {
        var info = stat()
        guard lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return }
        throw MaxError(
            .unsafePath,
            "\(url.path) is a symbolic link; Max follows no links inside .max/, where one could lead outside the project",
            hint: "remove the link (rm \(url.path)); Max recreates what it needs", context: ["path": url.path])
    }

    /// Checks an installation name.
    ///
    /// A valid name has lowercase letters, digits, `-` and `_`, starts with a letter or digit, and
    /// has at most 64 characters, so it is always one path component inside `.max/`.
    ///
    /// - Throws: `installation.invalid_name`.
    public static func validate(installationName name: String) throws {
        let valid =
            !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            } && !(name.first == "-" || name.first == "_")
        guard valid else {
            throw MaxError(
                .invalidInstallationName, "'\(name.prefix(80))' is not a valid installation name",
                hint: "use lowercase letters, digits, '-' and '_', starting with a letter or digit (at most 64)",
                context: ["installation": String(name.prefix(80))])
        }
    }
}
