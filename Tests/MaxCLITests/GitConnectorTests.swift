import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// The git connector against real repositories made with the `git` executable: what Max stores
/// equals what `git` says, later syncs read only new commits, and rewritten history is followed,
/// in process and out of process.
struct GitConnectorTests {
    /// Runs git in `folder`, with fixed identities and UTC dates.
    @discardableResult
    static func git(_ folder: URL, _ arguments: [String], author: String = "Ann Archer", email: String = "ann@x.test")
        throws -> String
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        for (key, value) in [
            ("GIT_AUTHOR_NAME", author), ("GIT_AUTHOR_EMAIL", email), ("GIT_COMMITTER_NAME", "Cy Committer"),
            ("GIT_COMMITTER_EMAIL", "cy@x.test"), ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ] {
            environment[key] = value
        }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "git \(arguments.joined(separator: " ")) failed")
        return String(decoding: data, as: UTF8.self)
    }

    /// A repository with two authors, a feature branch merged back, a lightweight and an annotated tag.
    static func repository() throws -> TemporaryDirectory {
        let repo = try TemporaryDirectory(prefix: "git-repo")
        let url = repo.url
        try git(url, ["init", "-q", "-b", "main"])
        func commit(_ file: String, _ message: String, author: String = "Ann Archer", email: String = "ann@x.test")
            throws
        {
            try "\(message)\n".write(to: url.appendingPathComponent(file), atomically: true, encoding: .utf8)
            try git(url, ["add", "."])
            try git(url, ["commit", "-q", "-m", message], author: author, email: email)
        }
        for index in 1...4 { try commit("file\(index).txt", "Add file \(index)") }
        try git(url, ["tag", "v1"])
        try git(url, ["checkout", "-q", "-b", "feature"])
        try commit("feature.txt", "Build the feature", author: "Bob Baker", email: "Bob@X.test")
        try commit("feature.txt", "Polish the feature", author: "Bob Baker", email: "Bob@X.test")
        try git(url, ["checkout", "-q", "main"])
        try commit("file5.txt", "Add file 5")
        try git(url, ["merge", "-q", "--no-ff", "--no-edit", "feature"])
        try git(url, ["tag", "-a", "v2", "-m", "Release 2"])
        return repo
    }

    static func project(_ repo: TemporaryDirectory, subprocess: Bool = false) async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "git-project")
        _ = try await runMax(["init", folder.url.path])
        let connected = try await runMax([
            "-C", folder.url.path, "connect", "git", "--config", "path=\(repo.url.path)",
        ])
        try #require(connected.status == 0, "\(connected.stderr)")
        if subprocess { try setInstallationKeys(in: folder.url, of: "git", ["provider": "subprocess"]) }
        return folder
    }

    /// `sha authorEmail authoredAt` of every commit, as Max stores them.
    static func stored(_ folder: TemporaryDirectory) async throws -> [String] {
        let found = try await runMax([
            "-C", folder.url.path, "search", "git", "GitCommit", "--fields", "sha,authorEmail,authoredAt,parentCount",
            "--all", "-o", "ndjson",
        ])
        return try found.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            .filter { $0["_meta"] == nil }
            .map { row in
                [row["sha"], row["authorEmail"], row["authoredAt"], row["parentCount"]]
                    .map { $0?.stringValue ?? $0?.jsonText ?? "" }.joined(separator: " ")
            }.sorted()
    }

    /// The same, as `git log` says.
    static func logged(_ repo: TemporaryDirectory) throws -> [String] {
        try git(
            repo.url,
            ["log", "--all", "--format=%H %ae %ad %p", "--date=format-local:%Y-%m-%dT%H:%M:%S.000Z"]
        ).split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (parts[0..<3] + [Substring(String(parts.count - 3))]).joined(separator: " ")
        }.sorted()
    }

    static func count(_ repo: TemporaryDirectory) throws -> String {
        try git(repo.url, ["rev-list", "--count", "--all"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: [false, true])
    func theStoreMatchesGitAndFollowsItsHistory(subprocess: Bool) async throws {
        let repo = try Self.repository()
        let folder = try await Self.project(repo, subprocess: subprocess)
        let first = try await runMax(["-C", folder.url.path, "sync", "git"])
        #expect(first.status == 0, "\(first.stderr)")
        func count(_ type: String, _ filter: String? = nil) async throws -> String {
            try await runMax(["-C", folder.url.path, "count", "git", type] + (filter.map { ["--filter", $0] } ?? []))
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await count("GitCommit") == (try Self.count(repo)))
        #expect(try await Self.stored(folder) == (try Self.logged(repo)))
        #expect(try await count("GitCommit", "parentCount = 2") == "1", "one merge")
        #expect(try await count("GitAuthor") == "2", "Bob@X.test and bob… are one author")
        #expect(try await count("GitTag", "annotated = true") == "1")
        #expect(try await count("GitBranch") == "2")
        #expect(try await count("GitFile") == "6")

        // New commits: the next sync reads only those.
        for index in 6...7 {
            try "\(index)\n".write(
                to: repo.url.appendingPathComponent("file\(index).txt"), atomically: true, encoding: .utf8)
            try Self.git(repo.url, ["add", "."])
            try Self.git(repo.url, ["commit", "-q", "-m", "Add file \(index)"])
        }
        let second = try await runMax(["-C", folder.url.path, "sync", "git"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.output.contains("changes only"), "\(second.output)")
        #expect(second.output.contains("GitCommit 2"), "\(second.output)")
        let runs = try JSONValue(
            parsing: try await runMax(["-C", folder.url.path, "runs", "git", "-o", "json"]).stdout)
        #expect(runs.arrayValue?.first?["kind"] == "incremental")
        #expect((runs.arrayValue?.first?["entities"]?.intValue ?? 0) >= 2, "an incremental run counts what it wrote")
        #expect(try await count("GitCommit") == (try Self.count(repo)))

        // Rewritten history: the commits no ref reaches any more go, and their files with them.
        try Self.git(repo.url, ["reset", "-q", "--hard", "HEAD~1"])
        try Self.git(repo.url, ["branch", "-q", "-D", "feature"])
        try Self.git(repo.url, ["tag", "-d", "v1"])
        let third = try await runMax(["-C", folder.url.path, "sync", "git"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try await count("GitCommit") == (try Self.count(repo)))
        #expect(try await Self.stored(folder) == (try Self.logged(repo)))
        #expect(try await count("GitFile", #"path = "file7.txt""#) == "0")
        #expect(try await count("GitBranch") == "1")
        #expect(try await count("GitTag") == "1")
    }

    @Test func aFolderThatIsNotARepositoryIsRefusedAtConnect() async throws {
        let folder = try TemporaryDirectory(prefix: "git-project")
        let elsewhere = try TemporaryDirectory(prefix: "not-a-repo")
        _ = try await runMax(["init", folder.url.path])
        let refused = try await runMax([
            "-C", folder.url.path, "connect", "git", "--config", "path=\(elsewhere.url.path)",
        ])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("error[onboarding.validation_failed]"), "\(refused.stderr)")
        #expect(refused.stderr.contains("is not in a git repository"))
        let file = try String(contentsOf: folder.file("max.json"), encoding: .utf8)
        #expect(!file.contains("\"git\""), "nothing recorded")
    }
}
