public import Foundation

/// A fresh directory under the system's temporary folder, removed when the value is deinitialised.
public final class TemporaryDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// Creates a directory named `max-<prefix>-<random>`.
    public init(prefix: String = "test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("max-\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
