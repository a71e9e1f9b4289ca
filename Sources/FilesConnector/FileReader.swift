import Foundation
import MaxCore
import MaxCredentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads one file into a `File` input: its content's SHA-256 (read in pieces, whatever its size),
/// its media type, its text when it is UTF-8 text no longer than the limit, and for Markdown its
/// front matter, headings and links.
struct FileReader: Sendable {
    /// The folder, absolute.
    let root: String
    /// The longest text kept, in bytes.
    let maxTextBytes: Int

    /// The input for `entry`; `known` are the paths of every file, to keep only links that lead to one.
    func input(_ entry: FolderEntry, known: Set<String>) -> EntityInput {
        var input = EntityInput(Ref(FilesSchema.file.type, entry.path))
        let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
        let folder = entry.path.split(separator: "/").dropLast().joined(separator: "/")
        let fileExtension = name.contains(".") ? name.split(separator: ".").last.map { $0.lowercased() } ?? "" : ""
        input["path"] = .string(entry.path)
        input["name"] = .string(name)
        input["folder"] = .string(folder)
        input["extension"] = fileExtension.isEmpty ? .null : .string(fileExtension)
        input["size"] = .int(entry.size)
        input["modifiedAt"] = .date(entry.modified)
        input["linkTarget"] = entry.linkTarget.map(FieldValue.string) ?? .null
        let content = readContent(entry)
        input["contentHash"] = content.hash.map(FieldValue.string) ?? .null
        let isText = content.text != nil
        input["mediaType"] = .string(Self.mediaType(fileExtension, isText: isText || content.looksLikeText))
        input["text"] = content.text.map(FieldValue.string) ?? .null
        input["readError"] = content.error.map(FieldValue.string) ?? .null
        let outline =
            (fileExtension == "md" || fileExtension == "markdown") ? content.text.map(MarkdownOutline.init) : nil
        input["title"] = outline?.title.map(FieldValue.string) ?? .null
        input["frontMatter"] = outline?.frontMatter.map(FieldValue.json) ?? .null
        input["headings"] =
            outline.map { .json(.array($0.headings.map { ["level": .int($0.level), "text": .string($0.text)] })) }
            ?? .null
        let links = outline?.links.compactMap { Self.resolve($0, from: folder) }.filter(known.contains) ?? []
        var seen: Set<String> = []
        input["links"] = .refs(links.filter { seen.insert($0).inserted }.map { Ref(FilesSchema.file.type, $0) })
        return input
    }

    /// What reading a file's content gave.
    struct Content {
        var hash: String?
        var text: String?
        var looksLikeText = false
        var error: String?
    }

    private func readContent(_ entry: FolderEntry) -> Content {
        var content = Content()
        let full = Array(root.utf8) + [0x2F] + entry.bytes
        let descriptor = FolderWalker.withCString(full) { open($0, O_RDONLY) }
        guard descriptor >= 0 else {
            content.error = "cannot be read: \(String(cString: strerror(errno)))"
            return content
        }
        defer { close(descriptor) }
        var digest = ContentDigest()
        var head: [UInt8] = []
        var tooLong = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                content.error = "cannot be read: \(String(cString: strerror(errno)))"
                return content
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            if head.count + count <= maxTextBytes {
                head += buffer[..<count]
            } else {
                tooLong = true
                head += buffer[..<max(0, min(count, 8192 - head.count))]
            }
        }
        content.hash = digest.finalize()
        let sample = head.prefix(8192)
        content.looksLikeText = !sample.contains(0) && String(validating: sample.prefix(8000), as: UTF8.self) != nil
        if !tooLong, !head.contains(0), let text = String(validating: head, as: UTF8.self) { content.text = text }
        return content
    }

    /// A Markdown link's target as a path from the folder, or `nil` for a URL, an anchor, or a path
    /// that leaves the folder.
    static func resolve(_ link: String, from folder: String) -> String? {
        var target = link.trimmingCharacters(in: .whitespaces)
        if target.hasPrefix("<") && target.hasSuffix(">") { target = String(target.dropFirst().dropLast()) }
        if let cut = target.firstIndex(where: { $0 == "#" || $0 == "?" }) { target = String(target[..<cut]) }
        guard !target.isEmpty, !target.contains("://"), !target.hasPrefix("mailto:") else { return nil }
        target = target.removingPercentEncoding ?? target
        var parts = target.hasPrefix("/") ? [] : folder.split(separator: "/").map(String.init)
        for part in target.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// The media type of a file with extension `fileExtension`.
    static func mediaType(_ fileExtension: String, isText: Bool) -> String {
        let known: [String: String] = [
            "md": "text/markdown", "markdown": "text/markdown", "txt": "text/plain", "csv": "text/csv",
            "json": "application/json", "yaml": "application/yaml", "yml": "application/yaml",
            "html": "text/html", "htm": "text/html", "xml": "application/xml", "pdf": "application/pdf",
            "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
            "svg": "image/svg+xml", "webp": "image/webp", "zip": "application/zip", "gz": "application/gzip",
            "swift": "text/x-swift", "py": "text/x-python", "js": "text/javascript", "ts": "text/x-typescript",
            "sh": "text/x-shellscript", "toml": "application/toml",
            "docx":
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ]
        return known[fileExtension] ?? (isText ? "text/plain" : "application/octet-stream")
    }
}
