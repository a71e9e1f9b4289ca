import Foundation
import MaxCore
import MaxCredentials
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The files connector through the `max` executable: a folder with nested Markdown, a binary file,
/// links in and out, and a name that is not UTF-8; then edits, a rename, a deletion and a new file.
struct FilesConnectorTests {
    /// The folder's files as the test made them: path as Max names it, and content.
    final class Folder: @unchecked Sendable {
        // Unchecked: used by one test at a time.
        let directory: TemporaryDirectory
        var files: [String: Data] = [:]

        init() throws { directory = try TemporaryDirectory(prefix: "files-source") }

        var url: URL { directory.url.appendingPathComponent("notes") }

        func write(_ path: String, _ content: String) throws { try write(path, Data(content.utf8)) }

        func write(_ path: String, _ content: Data) throws {
            let file = url.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: file)
            files[path] = content
        }

        func remove(_ path: String) throws {
            try FileManager.default.removeItem(at: url.appendingPathComponent(path))
            files[path] = nil
        }

        func move(_ from: String, _ to: String) throws {
            let target = url.appendingPathComponent(to)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: url.appendingPathComponent(from), to: target)
            files[to] = files.removeValue(forKey: from)
        }

        /// A file whose name has the byte 0xE9 (Latin-1 "é"), which is not UTF-8.
        func writeLatin1Name() throws {
            let path = (Array(url.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".txt".utf8) + [0]).map {
                CChar(bitPattern: $0)
            }
            let descriptor = open(path, O_CREAT | O_WRONLY, 0o644)
            try #require(descriptor >= 0)
            let content = Data("latin-1 name\n".utf8)
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            try handle.write(contentsOf: content)
            try handle.close()
            files["caf%E9.txt"] = content
        }
    }

    static func sha256(_ data: Data) -> String {
        var digest = ContentDigest()
        data.withUnsafeBytes { digest.update($0) }
        return digest.finalize()
    }

    /// Expects the stored files to be exactly the folder's, with their sizes and hashes.
    static func expectStoreEqualsTheFolder(_ project: TemporaryDirectory, _ folder: Folder) async throws {
        let stored = try await StoredRecords.of(project, "files", "File", ["size", "contentHash"])
        var wanted: [String: JSONValue] = [:]
        for (path, content) in folder.files {
            wanted[path] = ["size": .int(content.count), "contentHash": .string(sha256(content))]
        }
        StoredRecords.expectSame("File", stored: stored, wanted: wanted)
    }

    @Test func aFolderSyncsAndItsEditsRenamesAndDeletionsFollow() async throws {
        let folder = try Folder()
        try folder.write(
            "index.md",
            """
            ---
            title: The index
            tags: [home, start]
            ---
            # Welcome

            See [the plan](projects/plan.md "Plan"), [a missing one](nowhere.md), [the web](https://example.com)
            and ![a picture](images/diagram.png).

            ```
            # not a heading [nor](a-link.md)
            ```
            ## Next steps ##
            """)
        try folder.write("projects/plan.md", "# The plan\n\nBack to [the index](../index.md#top).\n")
        try folder.write("images/diagram.png", Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0x01, 0xFF, 0xFE]))
        try folder.write("data.txt", "one\ntwo\n")
        try folder.writeLatin1Name()
        // A link out of the folder is not followed; one to a file inside is a file of its own.
        let outside = folder.directory.url.appendingPathComponent("secret.txt")
        try "outside the folder".write(to: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            at: folder.url.appendingPathComponent("outside.txt"), withDestinationURL: outside)
        try FileManager.default.createSymbolicLink(
            atPath: folder.url.appendingPathComponent("plan-link.md").path, withDestinationPath: "projects/plan.md")
        folder.files["plan-link.md"] = folder.files["projects/plan.md"]

        let project = try TemporaryDirectory(prefix: "files")
        _ = try await runMax(["init", project.url.path])
        let connected = try await runMax([
            "-C", project.url.path, "connect", "files", "--config", "path=\(folder.url.path)",
        ])
        try #require(connected.status == 0, "\(connected.output)")
        let full = try await runMax(["-C", project.url.path, "sync", "files"])
        #expect(full.status == 0, "\(full.output)")
        try await Self.expectStoreEqualsTheFolder(project, folder)

        let index = try await StoredRecords.of(
            project, "files", "File", ["title", "mediaType", "frontMatter", "headings", "links", "text"])
        let record = try #require(index["index.md"])
        #expect(record["title"] == "The index")
        #expect(record["mediaType"] == "text/markdown")
        #expect(record["frontMatter"] == ["title": "The index", "tags": ["home", "start"]])
        #expect(record["headings"] == [["level": 1, "text": "Welcome"], ["level": 2, "text": "Next steps"]])
        #expect(record["links"] == ["images/diagram.png", "projects/plan.md"], "links to files there, sorted")
        #expect(index["projects/plan.md"]?["links"] == ["index.md"])
        #expect(index["images/diagram.png"]?["mediaType"] == "image/png")
        #expect(index["images/diagram.png"]?["text"] == nil, "a binary file has no text")
        #expect(index["caf%E9.txt"]?["text"] == "latin-1 name\n")
        #expect(index["outside.txt"] == nil)
        let linkers = try await runMax([
            "-C", project.url.path, "search", "files", "File", "--filter", #"links = "projects/plan.md""#, "--fields",
            "_id", "-o", "ndjson",
        ])
        #expect(linkers.stdout.hasPrefix(#"{"_id":"index.md"}"#), "who links to the plan: \(linkers.output)")

        // Edit, rename, delete, add.
        try folder.write("projects/plan.md", "# The plan, revised\n\nNothing links back.\n")
        folder.files["plan-link.md"] = folder.files["projects/plan.md"]  // the link reads its new content
        try folder.move("data.txt", "archive/data-2026.txt")
        try folder.remove("images/diagram.png")
        try folder.write("projects/new.md", "# New\n")
        let incremental = try await runMax(["-C", project.url.path, "sync", "files"])
        #expect(incremental.status == 0, "\(incremental.output)")
        #expect(incremental.stdout.hasPrefix("Synced files (changes only)"), "\(incremental.stdout)")
        try await Self.expectStoreEqualsTheFolder(project, folder)
        let after = try await StoredRecords.of(project, "files", "File", ["title", "links"])
        #expect(after["projects/plan.md"]?["title"] == "The plan, revised")
        #expect(after["index.md"]?["links"] == ["projects/plan.md"], "the deleted picture left the links")
        let deleted = try await runMax(["-C", project.url.path, "count", "files", "File", "--include-deleted"])
        #expect(deleted.stdout == "\(folder.files.count + 2)\n", "the old path and the picture are tombstones")
    }

    @Test func globsChooseTheFilesAndABadFolderIsRefused() async throws {
        let folder = try Folder()
        try folder.write("a.md", "# A\n")
        try folder.write("deep/b.md", "# B\n")
        try folder.write("deep/c.txt", "c\n")
        try folder.write("node_modules/x.md", "# X\n")
        let project = try TemporaryDirectory(prefix: "files")
        _ = try await runMax(["init", project.url.path])
        let connected = try await runMax([
            "-C", project.url.path, "connect", "files", "--config", "path=\(folder.url.path)", "--config",
            "include=*.md", "--config", "exclude=node_modules",
        ])
        try #require(connected.status == 0, "\(connected.output)")
        #expect(try await runMax(["-C", project.url.path, "sync", "files"]).status == 0)
        let stored = try await StoredRecords.of(project, "files", "File", ["size"])
        #expect(Set(stored.keys) == ["a.md", "deep/b.md"])

        let missing = try await runMax([
            "-C", project.url.path, "connect", "files", "--name", "other", "--config", "path=/nonexistent/folder",
        ])
        #expect(missing.status == 2, "\(missing.output)")
        #expect(missing.stderr.contains("is not a folder Max can read"), "\(missing.stderr)")
    }
}
