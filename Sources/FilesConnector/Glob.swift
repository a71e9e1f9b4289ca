#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A glob over paths from the folder, read the way `.gitignore` reads them.
///
/// A pattern without `/` matches a file or folder name anywhere (`*.md`, `node_modules`); one with `/` matches the whole
/// path, where `**` stands for any number of folders (`notes/**/*.md`). `*`, `?` and `[…]` match
/// within one name.
public struct Glob: Sendable, Hashable {
    /// The pattern as written.
    public let pattern: String
    private let segments: [String]
    private let anchored: Bool

    /// A glob.
    public init(_ pattern: String) {
        self.pattern = pattern
        var trimmed = pattern
        while trimmed.hasPrefix("/") { trimmed.removeFirst() }
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        anchored = trimmed.contains("/")
        segments = trimmed.split(separator: "/").map(String.init)
    }

    /// Whether `path` (a folder's ends with `/`) matches.
    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/").map(String.init)
        guard anchored else {
            guard let name = parts.last, let only = segments.first else { return false }
            return Self.match(only, name)
        }
        return Self.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ parts: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return parts.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            var remaining = parts
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let part = parts.first, match(first, part) else { return false }
        return match(pattern.dropFirst(), parts.dropFirst())
    }

    private static func match(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}
