import ArgumentParser
import Foundation

/// `max-bench git`: `max sync` of a local git repository, the first (full) sync and an incremental
/// one after new commits and a deleted branch.
struct GitBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git",
        abstract: "Time max sync of a git repository: a full sync, then an incremental one after changes.",
        discussion: """
            Writes a repository with git fast-import: --commits commits on main (each changing one \
            of 500 files), a side branch of 100 commits merged back, and a tag every 1,000 commits. \
            Each run syncs it in a fresh project (the full sync), then adds --new-commits commits \
            and deletes a branch, and times the incremental sync that follows; it checks that Max \
            counts as many commits as git rev-list --all. The repository is put back before each \
            run. Build first: swift build -c release
            """
    )

    @Option(help: "Commits on main.") var commits = 20_000
    @Option(help: "Commits added before the incremental sync.") var newCommits = 50
    @Option(help: "Runs, each into a fresh project.") var runs = 3

    func validate() throws {
        guard commits >= 200, newCommits >= 0, (1...20).contains(runs) else {
            throw ValidationError("--commits must be at least 200, --new-commits not negative, --runs 1 to 20")
        }
    }

    func run() async throws {
        let binaries = try Binaries.locate()
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("max-bench-git-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: repo) }
        try Self.git(repo, ["init", "-q", "-b", "main"])
        try Self.fastImport(Self.history(commits: commits), into: repo)
        let tip = try Self.git(repo, ["rev-parse", "main"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let total = try Self.git(repo, ["rev-list", "--all", "--count"]).trimmingCharacters(in: .whitespacesAndNewlines)
        print(
            "max-bench git: \(total) commits (\(commits) on main, a merged side branch), +\(newCommits) and a deleted branch before the incremental sync"
        )
        print("run | full sync | commits/s | peak RSS | incremental sync | peak RSS")
        for run in 1...runs {
            // Put the repository back: main at its tip, the side branch there.
            try Self.git(repo, ["update-ref", "refs/heads/main", tip])
            try Self.git(repo, ["branch", "-f", "side", "main~\(commits / 2)"])
            let project = FileManager.default.temporaryDirectory.appendingPathComponent(
                "max-bench-git-project-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: project) }
            for arguments in [
                ["init", project.path], ["-C", project.path, "connect", "git", "--config", "path=\(repo.path)"],
            ] {
                let outcome = try ChildProcess.run(binaries.max, arguments)
                guard outcome.status == 0 else {
                    throw ValidationError("max \(arguments[0]) failed: \(outcome.stderr)")
                }
            }
            let full = try ChildProcess.run(binaries.max, ["-C", project.path, "sync", "git", "--progress", "none"])
            guard full.status == 0 else { throw ValidationError("max sync failed: \(full.stderr)") }
            try Self.fastImport(Self.additions(newCommits), into: repo)
            try Self.git(repo, ["branch", "-D", "side"])
            let incremental = try ChildProcess.run(
                binaries.max, ["-C", project.path, "sync", "git", "--progress", "none"])
            guard incremental.status == 0, incremental.stdout.contains("changes only") else {
                throw ValidationError(
                    "the incremental sync failed or was not incremental: \(incremental.stdout) \(incremental.stderr)")
            }
            let expected = try Self.git(repo, ["rev-list", "--all", "--count"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let stored = try ChildProcess.run(binaries.max, ["-C", project.path, "count", "git", "GitCommit"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            guard stored == expected else {
                throw ValidationError("max stores \(stored) commits, git reaches \(expected)")
            }
            print(
                String(
                    format: "%d | %.2f s | %.0f | %@ | %.2f s | %@", run, full.wall, (Double(total) ?? 0) / full.wall,
                    Measurements.megabytes(full.peakResidentBytes), incremental.wall,
                    Measurements.megabytes(incremental.peakResidentBytes)))
        }
    }

    /// The history: `commits` commits on main touching 500 files in turn, a side branch of 100
    /// commits from the middle merged back, a lightweight tag every 1,000 commits.
    static func history(commits: Int) -> [UInt8] {
        var stream = FastImportStream()
        let middle = commits / 2
        for index in 1...commits {
            stream.commit("main", index: index, file: "src/file\(index % 500).txt")
            if index % 1_000 == 0 { stream.tag("v\(index / 1_000)", at: index) }
            if index == middle {
                stream.reset("side", to: index)
                for side in 1...100 { stream.commit("side", index: commits + side, file: "side/\(side).txt") }
            }
        }
        stream.merge(into: "main", from: commits + 100, index: commits + 101)
        stream.reset("side", to: middle)
        return stream.bytes
    }

    /// `count` commits on main after its current tip.
    static func additions(_ count: Int) -> [UInt8] {
        var stream = FastImportStream()
        for index in 0..<count {
            stream.commit(
                "main", index: 1_000_000 + index, file: "new/\(index).txt",
                parent: index == 0 ? "refs/heads/main^0" : nil)
        }
        return stream.bytes
    }

    @discardableResult
    static func git(_ repo: URL, _ arguments: [String], input: URL? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repo.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        if let input { process.standardInput = try FileHandle(forReadingFrom: input) }
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("git \(arguments.first ?? "") failed in \(repo.path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func fastImport(_ stream: [UInt8], into repo: URL) throws {
        let file = repo.appendingPathComponent(".git/max-bench-import")
        try Data(stream).write(to: file)
        try git(repo, ["fast-import", "--quiet", "--force"], input: file)
    }
}

/// A `git fast-import` stream; marks are the commits' indexes.
struct FastImportStream {
    private(set) var bytes: [UInt8] = []

    private mutating func line(_ text: String) { bytes += Array(text.utf8) + [0x0A] }

    private mutating func data(_ text: String) {
        line("data \(text.utf8.count)")
        bytes += Array(text.utf8) + [0x0A]
    }

    mutating func commit(_ branch: String, index: Int, file: String, parent: String? = nil) {
        line("commit refs/heads/\(branch)")
        line("mark :\(index)")
        line("author Ann Archer <ann@bench.test> \(1_600_000_000 + index * 60) +0000")
        line("committer Ann Archer <ann@bench.test> \(1_600_000_000 + index * 60) +0000")
        data("Change \(index)\n\nTouches \(file).")
        if let parent { line("from \(parent)") }
        line("M 100644 inline \(file)")
        data("content \(index)\n")
        line("")
    }

    mutating func merge(into branch: String, from mark: Int, index: Int) {
        line("commit refs/heads/\(branch)")
        line("mark :\(index)")
        line("author Ann Archer <ann@bench.test> \(1_600_000_000 + index * 60) +0000")
        line("committer Ann Archer <ann@bench.test> \(1_600_000_000 + index * 60) +0000")
        data("Merge side")
        line("merge :\(mark)")
        line("")
    }

    mutating func reset(_ branch: String, to mark: Int) {
        line("reset refs/heads/\(branch)")
        line("from :\(mark)")
        line("")
    }

    mutating func tag(_ name: String, at mark: Int) {
        line("reset refs/tags/\(name)")
        line("from :\(mark)")
        line("")
    }
}
