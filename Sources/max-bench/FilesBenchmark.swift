import ArgumentParser
import Foundation

/// `max-bench files`: a full sync of a generated folder of Markdown notes, and an incremental one.
struct FilesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Time `max sync` of a folder of Markdown notes, full and after a few edits.",
        discussion: """
            Writes --notes Markdown files (front matter, two headings, three links to other notes, \
            about 600 bytes of text each) in 20 × 200 folders, then times `max sync` of a files \
            installation into a fresh project, --runs times; waits three seconds (past the connector's \
            two-second margin), appends to --edits notes and times the incremental sync. \
            Build first: swift build -c release
            """)

    @Option(help: "Notes to write.") var notes = 20_000
    @Option(help: "Notes to edit before the incremental sync.") var edits = 10
    @Option(help: "Full syncs to time.") var runs = 3

    func validate() throws {
        guard notes > 0, (0...notes).contains(edits), (1...10).contains(runs) else {
            throw ValidationError("--notes must be positive, --edits at most --notes, --runs from 1 to 10")
        }
    }

    func run() async throws {
        let binaries = try Binaries.locate()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("max-bench-files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let folder = base.appendingPathComponent("notes")
        var bytes = 0
        for index in 0..<notes {
            let file = Self.path(index, in: folder)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let links = (1...3).map { step in
                let other = (index * 7919 + step * 104_729) % notes
                return "[note \(other)](../topic-\(other % 200)/note-\(other).md)"
            }
            let text = """
                ---
                title: Note \(index)
                tags: [bench, notes]
                ---
                # Note \(index)

                See \(links.joined(separator: ", ")).

                ## Details
                \(String(repeating: "Lorem ipsum dolor sit amet. ", count: 20))

                """
            bytes += text.utf8.count
            try Data(text.utf8).write(to: file)
        }
        print("max-bench files: \(notes) Markdown notes, \(Measurements.megabytes(bytes)) in 4,000 folders")
        print("sync | wall | files/s | CPU (user + sys) | peak RSS")
        var project: URL?
        for run in 1...runs {
            if let project { try? FileManager.default.removeItem(at: project) }
            let next = base.appendingPathComponent("project-\(run)")
            for arguments in [
                ["init", next.path], ["-C", next.path, "connect", "files", "--config", "path=\(folder.path)"],
            ] {
                let outcome = try ChildProcess.run(binaries.max, arguments)
                guard outcome.status == 0 else {
                    throw ValidationError("max \(arguments[0]) failed: \(outcome.stderr)")
                }
            }
            project = next
            let sync = try ChildProcess.run(binaries.max, ["-C", next.path, "sync", "files", "--progress", "none"])
            guard sync.status == 0 else { throw ValidationError("max sync failed: \(sync.stderr)") }
            print(Self.row("full \(run)", sync, files: notes))
        }
        guard let project, edits > 0 else { return }
        // A real wait: the files connector compares the files' own times (the file system's clock)
        // with the last sync's start, less a 2-second margin; edits inside it would be read anyway.
        try await Task.sleep(for: .seconds(3))
        for index in 0..<edits {
            let handle = try FileHandle(forWritingTo: Self.path(index * max(1, notes / edits), in: folder))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("Edited.\n".utf8))
            try handle.close()
        }
        let sync = try ChildProcess.run(binaries.max, ["-C", project.path, "sync", "files", "--progress", "none"])
        guard sync.status == 0 else { throw ValidationError("max sync failed: \(sync.stderr)") }
        print(Self.row("incremental, \(edits) edited", sync, files: SyncBenchmark.entitiesWritten(sync.stdout) ?? 0))
    }

    static func path(_ index: Int, in folder: URL) -> URL {
        folder.appendingPathComponent("area-\(index % 20)/topic-\(index % 200)/note-\(index).md")
    }

    static func row(_ label: String, _ sync: ChildProcess.Outcome, files: Int) -> String {
        String(
            format: "%@ | %.2f s | %.0f | %.2f + %.2f s | %@", label, sync.wall, Double(files) / sync.wall, sync.user,
            sync.system, Measurements.megabytes(sync.peakResidentBytes))
    }
}
