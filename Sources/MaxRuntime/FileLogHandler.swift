import Foundation
public import Logging
import MaxCore
import Synchronization

/// A swift-log handler that appends to one installation's log, `.max/logs/<name>.log`, private to
/// its owner and capped in size: past ``maximumSize`` the file becomes `<name>.log.1` (replacing
/// the previous one) and a new file starts, so logs never hold more than twice the cap.
///
/// One line per message: the time, the level, the metadata as `key=value` (sorted), then the
/// message. Callers log no secrets; the HTTP client logs no header, body or query string.
public struct FileLogHandler: LogHandler {
    /// The size past which the file is rotated.
    public static let maximumSize = 1 << 20

    final class Sink: Sendable {
        let url: URL
        private let lock = Mutex(())

        init(url: URL) {
            self.url = url
        }

        func append(_ line: String) {
            lock.withLock { _ in
                let path = url.path
                var info = stat()
                if lstat(path, &info) == 0, Int(info.st_size) > FileLogHandler.maximumSize {
                    _ = rename(path, path + ".1")
                }
                let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { return }  // a log that cannot be written never stops a sync
                defer { close(descriptor) }
                let data = Array((line + "\n").utf8)
                _ = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            }
        }
    }

    private let sink: Sink
    /// The least severe level written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every message.
    public var metadata: Logger.Metadata = [:]

    init(sink: Sink) {
        self.sink = sink
    }

    /// The metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one message.
    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.append("\(ISO8601.format(Date())) \(event.level) \(fields): \(event.message)")
    }
}

extension Project {
    /// `.max/logs/`.
    var logsURL: URL { runtimeURL.appendingPathComponent("logs", isDirectory: true) }

    /// An installation's log and the one it rotated to: `.max/logs/<name>.log` and `<name>.log.1`.
    ///
    /// - Throws: `installation.invalid_name`; `project.unsafe_path` when `.max` or its `logs` folder
    ///   is a symbolic link.
    func logURLs(_ name: String) throws -> [URL] {
        try Self.validate(installationName: name)
        for url in [runtimeURL, logsURL] { try refuseLink(at: url) }
        let current = logsURL.appendingPathComponent("\(name).log")
        return [current, current.appendingPathExtension("1")]
    }

    /// A logger writing to `.max/logs/<name>.log` (see ``FileLogHandler``), with the installation's
    /// name in every line.
    ///
    /// - Throws: `installation.invalid_name`, `project.unsafe_path`, `project.write_failed`.
    public func logger(for name: String, label: String) throws -> Logger {
        try Self.validate(installationName: name)
        let folder = logsURL
        try refuseLink(at: runtimeURL)
        try Self.makePrivateFolder(runtimeURL)
        try refuseLink(at: folder)
        try Self.makePrivateFolder(folder)
        let sink = FileLogHandler.Sink(url: try logURLs(name)[0])
        var logger = Logger(label: label) { _ in FileLogHandler(sink: sink) }
        logger[metadataKey: "installation"] = "\(name)"
        return logger
    }
}
