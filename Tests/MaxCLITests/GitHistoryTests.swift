import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// The git connector on histories that broke it.
///
/// Control bytes in messages, commit dates that go backwards, pruned history, paths git quotes and
/// paths that are not UTF-8. Repositories are
/// written with `git fast-import`, which takes messages, dates and paths as raw bytes.
struct GitHistoryTests {
    /// A `git fast-import` stream, built commit by commit.
    struct FastImport {
        private(set) var bytes: [UInt8] = []
        private(set) var marks = 0

        private mutating func line(_ text: String) { bytes += Array(text.utf8) + [0x0A] }

        private mutating func data(_ payload: [UInt8]) {
            line("data \(payload.count)")
            bytes += payload + [0x0A]
        }

        /// Adds a commit on `branch` and returns its mark.
        ///
        /// Each file is `(quoted path, content)`:
        /// fast-import reads a path in double quotes C-style, so `"\377.txt"` is the byte 0xFF.
        /// The first commit of a branch has no parent unless one is given (a commit name).
        @discardableResult
        mutating func commit(
            _ message: [UInt8], on branch: String = "main", at time: Int, files: [(String, String)] = [],
            parent: String? = nil, merging: Int? = nil
        ) -> Int {
            marks += 1
            line("commit refs/heads/\(branch)")
            line("mark :\(marks)")
            line("author Ann Archer <ann@x.test> \(time) +0000")
            line("committer Cy Committer <cy@x.test> \(time) +0000")
            data(message)
            if let parent { line("from \(parent)") }
            if let merging { line("merge :\(merging)") }
            for (path, content) in files {
                line("M 100644 inline \(path)")
                data(Array(content.utf8))
            }
            line("")
            return marks
        }

        /// Starts `branch` at commit `mark`.
        mutating func branch(_ branch: String, from mark: Int) {
            line("reset refs/heads/\(branch)")
            line("from :\(mark)")
            line("")
        }

        /// A lightweight tag at commit `mark`.
        mutating func tag(_ name: String, at mark: Int) {
            line("reset refs/tags/\(name)")
            line("from :\(mark)")
            line("")
        }
    }

    /// Runs `git fast-import` on `stream` in `repo` (made if new).
    static func load(_ stream: FastImport, into repo: URL) throws {
        if !FileManager.default.fileExists(atPath: repo.appendingPathComponent(".git").path) {
            try GitConnectorTests.git(repo, ["init", "-q", "-b", "main"])
        }
        let file = repo.appendingPathComponent(".git/import-stream")
        try Data(stream.bytes).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repo.path, "fast-import", "--quiet", "--force"]
        process.standardInput = try FileHandle(forReadingFrom: file)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "git fast-import failed")
    }

    static func count(_ folder: TemporaryDirectory, _ type: String, _ extra: [String] = []) async throws -> String {
        let counted = try await runMax(["-C", folder.url.path, "count", "git", type] + extra)
        #expect(counted.status == 0, "\(counted.stderr)")
        return counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func sync(_ folder: TemporaryDirectory) async throws -> Outcome {
        let synced = try await runMax(["-C", folder.url.path, "sync", "git"])
        #expect(synced.status == 0, "\(synced.output)")
        return synced
    }

    /// 0x1E and 0x1F in messages are text like any other: every commit of a 2,500-commit history
    /// (more than one page) is stored, the odd message as it is, and the count is checked.
    @Test(arguments: [false, true])
    func controlBytesInMessagesLoseNothing(subprocess: Bool) async throws {
        let repo = try TemporaryDirectory(prefix: "git-bytes")
        var stream = FastImport()
        var odd = 0
        for index in 1...2_500 {
            let message: [UInt8] =
                index == 1_000
                ? Array("Odd\u{1f}subject\u{1e} here".utf8) + [0x0A, 0x0A] + Array("body\u{1e}\u{1f}end".utf8)
                : Array("Commit \(index)".utf8)
            let mark = stream.commit(message, at: 1_700_000_000 + index, files: [("f.txt", "\(index)")])
            if index == 1_000 { odd = mark }
        }
        try Self.load(stream, into: repo.url)
        let folder = try await GitConnectorTests.project(repo, subprocess: subprocess)
        let synced = try await Self.sync(folder)
        #expect(synced.output.contains("GitCommit 2,500"), "\(synced.output)")
        #expect(try await Self.count(folder, "GitCommit") == (try GitConnectorTests.count(repo)))
        let sha = try GitConnectorTests.git(repo.url, ["rev-parse", "main~\(2_500 - odd)"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let found = try await runMax([
            "-C", folder.url.path, "search", "git", "GitCommit", "--filter", "sha = \"\(sha)\"",
            "--fields", "subject,message,filesChanged", "-o", "ndjson",
        ])
        let row = try JSONValue(parsing: String(found.stdout.split(separator: "\n").first ?? ""))
        #expect(row["subject"]?.stringValue == "Odd\u{1f}subject\u{1e} here")
        #expect(row["message"]?.stringValue == "Odd\u{1f}subject\u{1e} here\n\nbody\u{1e}\u{1f}end")
        #expect(row["filesChanged"]?.intValue == 1)
    }

    /// Deletions are exact when commit dates go backwards (a child dated before its parent), when a
    /// branch is deleted, and after rewritten history is pruned from the object store.
    @Test func deletionsAreExactWhateverTheDatesAndAfterAPrune() async throws {
        let repo = try TemporaryDirectory(prefix: "git-skew")
        var stream = FastImport()
        let base = 1_700_000_000
        var last = 0
        for index in 1...50 { last = stream.commit(Array("Main \(index)".utf8), at: base + index * 60) }
        stream.branch("side", from: 40)
        var side = 0
        for index in 1...9 {
            side = stream.commit(Array("Side \(index)".utf8), on: "side", at: base + 3_000 + index * 60)
        }
        last = stream.commit(Array("Merge side".utf8), at: base + 4_000, merging: side)
        stream.tag("v1", at: 20)
        stream.tag("v2", at: last)
        try Self.load(stream, into: repo.url)
        let folder = try await GitConnectorTests.project(repo)
        _ = try await Self.sync(folder)
        #expect(try await Self.count(folder, "GitCommit") == "60")

        // Five new commits on main, dated well before everything else.
        var later = FastImport()
        for index in 1...5 {
            later.commit(
                Array("Back in time \(index)".utf8), at: base - 100_000 + index,
                parent: index == 1 ? "refs/heads/main^0" : nil)
        }
        try Self.load(later, into: repo.url)
        let second = try await Self.sync(folder)
        #expect(second.output.contains("changes only"), "\(second.output)")
        #expect(try await Self.count(folder, "GitCommit") == (try GitConnectorTests.count(repo)))
        #expect(try await Self.count(folder, "GitCommit") == "65")

        // A deleted branch whose commits the merge does not hold: here none go, as the merge holds them.
        try GitConnectorTests.git(repo.url, ["branch", "-q", "-D", "side"])
        _ = try await Self.sync(folder)
        #expect(try await Self.count(folder, "GitCommit") == (try GitConnectorTests.count(repo)))
        #expect(try await Self.count(folder, "GitBranch") == "1")

        // Rewritten history, then pruned: the old commits are gone from the object store too.
        try GitConnectorTests.git(repo.url, ["reset", "-q", "--hard", "HEAD~2"])
        try GitConnectorTests.git(repo.url, ["tag", "-d", "v2"])
        try GitConnectorTests.git(repo.url, ["reflog", "expire", "--expire=now", "--all"])
        try GitConnectorTests.git(repo.url, ["gc", "-q", "--prune=now"])
        _ = try await Self.sync(folder)
        #expect(try await Self.count(folder, "GitCommit") == (try GitConnectorTests.count(repo)))
        let gitCount = try GitConnectorTests.count(repo)
        #expect(try await Self.count(folder, "GitCommit") == "63", "git counts \(gitCount)")
        #expect(try await Self.count(folder, "GitTag") == "1")
    }

    /// Paths are stored as they are named: a tab, quotes and a backslash unquoted, and two names
    /// that are not UTF-8 as two files.
    @Test func pathsAreStoredAsTheyAreNamed() async throws {
        let repo = try TemporaryDirectory(prefix: "git-paths")
        var stream = FastImport()
        stream.commit(
            Array("Odd names".utf8), at: 1_700_000_000,
            files: [
                (#""tab\there.txt""#, "a"), (#""quote\"d \\ back.txt""#, "b"), (#""\377.txt""#, "c"),
                (#""\376.txt""#, "d"), ("plain.txt", "e"), (#""caf\303\251.txt""#, "f"),
            ])
        try Self.load(stream, into: repo.url)
        try GitConnectorTests.git(repo.url, ["reset", "-q", "--hard"])
        let folder = try await GitConnectorTests.project(repo)
        let synced = try await Self.sync(folder)
        #expect(synced.output.contains("GitFile 6"), "\(synced.output)")
        #expect(try await Self.count(folder, "GitFile") == "6")
        #expect(try await Self.count(folder, "GitFile", ["--filter", "path = \"tab\there.txt\""]) == "1")
        #expect(try await Self.count(folder, "GitFile", ["--filter", #"path = 'quote"d \\ back.txt'"#]) == "1")
        #expect(try await Self.count(folder, "GitFile", ["--filter", "path = \"café.txt\""]) == "1")
        #expect(
            try await Self.count(folder, "GitFile", ["--filter", "path = \"\u{EFFF}.txt\" OR path = \"\u{EFFE}.txt\""])
                == "2", "each byte that is not UTF-8 stands as U+EF00 plus the byte")
        #expect(try await Self.count(folder, "GitFile", ["--filter", "lastCommit IS NULL"]) == "0")
    }
}
