import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One file found under the folder.
struct FolderEntry: Sendable, Hashable {
    /// The path from the folder, `/`-separated, bytes that are not UTF-8 written `%XX`: the file's id.
    let path: String
    /// The path's bytes as the file system has them, for opening it.
    let bytes: [UInt8]
    /// The size in bytes.
    let size: Int
    /// When its content last changed.
    let modified: Date
    /// When its content, name or place last changed (a rename changes this, not `modified`).
    let changed: Date
    /// Where a symbolic link points, as written, when the entry is one (to a file inside the folder).
    let linkTarget: String?
}

/// Lists the regular files under a folder, in path order, without following a symbolic link out of
/// the folder or into a subfolder (so no loop), through the POSIX calls (names are bytes: one that
/// is not UTF-8 is kept, with its bytes written `%XX` in its path).
struct FolderWalker: Sendable {
    /// The folder, absolute.
    let root: String
    /// Globs a path must match one of (all paths when empty).
    let include: [Glob]
    /// Globs no path may match.
    let exclude: [Glob]

    /// What a walk found.
    struct Walk: Sendable {
        /// The files, by path.
        var entries: [FolderEntry] = []
        /// Symbolic links that lead out of the folder or to a folder, left alone.
        var skippedLinks: [String] = []
    }

    /// Every file, sorted by path.
    ///
    /// - Throws: `files.unreadable_folder` when the folder cannot be listed.
    func walk() throws -> Walk {
        var walk = Walk()
        let rootBytes = Array(root.utf8)
        guard let resolvedRoot = Self.realPath(rootBytes) else {
            throw FilesError.unreadableFolder(root, errno: errno)
        }
        try visit(folder: [], walk: &walk, rootBytes: rootBytes, resolvedRoot: resolvedRoot, depth: 0)
        walk.entries.sort { $0.path < $1.path }
        return walk
    }

    private func visit(
        folder: [UInt8], walk: inout Walk, rootBytes: [UInt8], resolvedRoot: [UInt8], depth: Int
    ) throws {
        let absolute = folder.isEmpty ? rootBytes : rootBytes + [0x2F] + folder
        guard let directory = Self.withCString(absolute, { opendir($0) }) else {
            if depth == 0 { throw FilesError.unreadableFolder(root, errno: errno) }
            return  // a subfolder we may not read is skipped, as `find` would
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        for name in names {
            let relative = folder.isEmpty ? name : folder + [0x2F] + name
            let full = rootBytes + [0x2F] + relative
            var info = stat()
            guard Self.withCString(full, { lstat($0, &info) }) == 0 else { continue }
            let path = Self.display(relative)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if depth < 64 && !excluded(path + "/") {
                    try visit(
                        folder: relative, walk: &walk, rootBytes: rootBytes, resolvedRoot: resolvedRoot,
                        depth: depth + 1)
                }
            case S_IFREG:
                if wanted(path) { walk.entries.append(Self.entry(path, relative, info, link: nil)) }
            case S_IFLNK:
                // Followed only to a regular file inside the folder.
                var target = stat()
                guard let resolved = Self.realPath(full), resolved.starts(with: resolvedRoot + [0x2F]),
                    Self.withCString(full, { stat($0, &target) }) == 0, target.st_mode & S_IFMT == S_IFREG
                else {
                    walk.skippedLinks.append(path)
                    continue
                }
                if wanted(path) {
                    walk.entries.append(Self.entry(path, relative, target, link: Self.readLink(full)))
                }
            default:
                continue  // sockets, pipes, devices
            }
        }
    }

    private func wanted(_ path: String) -> Bool {
        (include.isEmpty || include.contains { $0.matches(path) }) && !excluded(path)
    }

    private func excluded(_ path: String) -> Bool {
        exclude.contains { $0.matches(path) }
    }

    private static func entry(_ path: String, _ bytes: [UInt8], _ info: stat, link: String?) -> FolderEntry {
        #if canImport(Darwin)
            let modified = info.st_mtimespec
            let changed = info.st_ctimespec
        #else
            let modified = info.st_mtim
            let changed = info.st_ctim
        #endif
        func date(_ time: timespec) -> Date {
            Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
        }
        return FolderEntry(
            path: path, bytes: bytes, size: Int(info.st_size), modified: date(modified), changed: date(changed),
            linkTarget: link)
    }

    /// A path's bytes as text: UTF-8 where they are, `%XX` for each byte that is not (and for `%`).
    static func display(_ bytes: [UInt8]) -> String {
        if !bytes.contains(0x25), let text = String(validating: bytes, as: UTF8.self) { return text }
        var text = ""
        var start = 0
        while start < bytes.count {
            // The longest valid UTF-8 run from here, else one byte escaped.
            var end = min(bytes.count, start + 4)
            var decoded: String?
            while end > start {
                if let piece = String(validating: bytes[start..<end], as: UTF8.self), !piece.contains("%"),
                    piece.unicodeScalars.count == 1
                {
                    decoded = piece
                    break
                }
                end -= 1
            }
            if let decoded {
                text += decoded
                start = end
            } else {
                text += String(format: "%%%02X", bytes[start])
                start += 1
            }
        }
        return text
    }

    static func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        let characters = (bytes + [0]).map { CChar(bitPattern: $0) }
        return body(characters)  // the array as a pointer, for the call
    }

    static func realPath(_ bytes: [UInt8]) -> [UInt8]? {
        withCString(bytes) { path -> [UInt8]? in
            guard let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            return Array(
                UnsafeBufferPointer(
                    start: UnsafeRawPointer(resolved).assumingMemoryBound(to: UInt8.self), count: strlen(resolved)))
        }
    }

    static func readLink(_ bytes: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = withCString(bytes) { path in
            readlink(path, &buffer, buffer.count)
        }
        return count > 0 ? display(buffer.prefix(count).map { UInt8(bitPattern: $0) }) : nil
    }
}
