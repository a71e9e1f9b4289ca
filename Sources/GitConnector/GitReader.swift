import Foundation
import MaxConnector
import MaxCore

/// Reads a repository's entities through `git`: commits (with their diff stats), authors,
/// branches, tags, the files at HEAD, and the refs that say where the repository stands.
struct GitReader: Sendable {
    let git: GitRunner

    init(path: String) {
        git = GitRunner(path: path)
    }

    // MARK: Refs

    /// Every ref and HEAD with the object each points at: where the repository stands, as a
    /// change-feed position (`HEAD <sha>` then `<sha> <ref>` lines, sorted).
    func position() async throws -> String {
        let refs = try await git.run(["for-each-ref", "--format=%(objectname) %(refname)"])
            .split(separator: "\n").map(String.init).sorted()
        return (["HEAD " + (try await head() ?? "")] + refs).joined(separator: "\n")
    }

    /// The commit HEAD points at, or `nil` in a repository without commits.
    func head() async throws -> String? {
        do {
            return try await git.run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch let error as MaxError where error.code == .gitFailed {
            return nil
        }
    }

    /// The repository entity.
    func repository(id: String) async throws -> EntityInput {
        let branch = (try? await git.run(["symbolic-ref", "--quiet", "--short", "HEAD"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return EntityInput(
            Ref("GitRepository", id),
            fields: [
                "path": .string(id), "name": .string(URL(fileURLWithPath: id).lastPathComponent),
                "head": try await head().map(FieldValue.string) ?? .null,
                "currentBranch": branch.map(FieldValue.string) ?? .null,
            ])
    }

    // MARK: Commits

    static let commitFormat = "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%s%x1f%B%x1f"

    /// Commits, newest first, as `git log` lists them with `selection` (`--all`, or a range).
    func commits(_ selection: [String], skip: Int = 0, limit: Int? = nil) async throws -> [EntityInput] {
        var arguments = ["log", Self.commitFormat, "--numstat", "--no-renames", "--skip=\(skip)"]
        if let limit { arguments.append("--max-count=\(limit)") }
        let output = try await git.run(arguments + selection + ["--"])
        return output.split(separator: "\u{1e}", omittingEmptySubsequences: true).compactMap(Self.commit)
    }

    /// One commit from its `commitFormat` record and the `--numstat` lines after it.
    static func commit(_ record: Substring) -> EntityInput? {
        let parts = record.split(separator: "\u{1f}", omittingEmptySubsequences: false)
        guard parts.count >= 11 else { return nil }
        let sha = String(parts[0])
        let parents = parts[1].split(separator: " ").map { JSONValue.string(String($0)) }
        let email = String(parts[3])
        var files = 0
        var insertions = 0
        var deletions = 0
        for line in parts[10].split(separator: "\n") {
            let columns = line.split(separator: "\t", maxSplits: 2)
            guard columns.count == 3 else { continue }
            files += 1
            insertions += Int(columns[0]) ?? 0  // "-" for a binary file
            deletions += Int(columns[1]) ?? 0
        }
        func date(_ text: Substring) -> FieldValue { ISO8601.parse(String(text)).map(FieldValue.date) ?? .null }
        return EntityInput(
            Ref("GitCommit", sha),
            fields: [
                "sha": .string(sha), "subject": .string(String(parts[8])),
                "message": .string(parts[9].trimmingCharacters(in: .whitespacesAndNewlines)),
                "author": .ref(Ref("GitAuthor", email.lowercased())), "authorName": .string(String(parts[2])),
                "authorEmail": .string(email), "authoredAt": date(parts[4]),
                "committerName": .string(String(parts[5])), "committerEmail": .string(String(parts[6])),
                "committedAt": date(parts[7]), "parents": .json(.array(parents)), "parentCount": .int(parents.count),
                "filesChanged": .int(files), "insertions": .int(insertions), "deletions": .int(deletions),
            ])
    }

    /// The hashes of the commits reachable from `tips` and from no ref now: what rewritten history
    /// or a deleted branch left behind.
    func unreachable(from tips: [String]) async throws -> [String] {
        let known = try await existing(tips)
        guard !known.isEmpty else { return [] }
        return try await git.run(["rev-list"] + known + ["--not", "--all"]).split(separator: "\n").map(String.init)
    }

    /// The objects of `shas` the repository still has.
    func existing(_ shas: [String]) async throws -> [String] {
        var present: [String] = []
        for sha in shas where !sha.isEmpty {
            if (try? await git.run(["cat-file", "-e", sha + "^{commit}"])) != nil { present.append(sha) }
        }
        return present
    }

    // MARK: Authors, branches, tags, files

    /// Authors by lowercased email, with the name of their latest commit and their commit count.
    func authors() async throws -> [EntityInput] {
        let output = try await git.run(["log", "--all", "--format=%an%x1f%ae"])
        var names: [String: String] = [:]
        var counts: [String: Int] = [:]
        var order: [String] = []
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "\u{1f}", omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let email = String(parts[1])
            let id = email.lowercased()
            if names[id] == nil {
                names[id] = String(parts[0])
                order.append(id)
            }
            counts[id, default: 0] += 1
        }
        return order.map { id in
            EntityInput(
                Ref("GitAuthor", id),
                fields: [
                    "name": .string(names[id] ?? ""), "email": .string(id), "commits": .int(counts[id] ?? 0),
                ])
        }
    }

    /// Local branches.
    func branches() async throws -> [EntityInput] {
        try await git.run(["for-each-ref", "refs/heads", "--format=%(refname:short)%1f%(objectname)"])
            .split(separator: "\n").compactMap { line in
                let parts = line.split(separator: "\u{1f}")
                guard parts.count == 2 else { return nil }
                return EntityInput(
                    Ref("GitBranch", String(parts[0])),
                    fields: ["name": .string(String(parts[0])), "head": .ref(Ref("GitCommit", String(parts[1])))])
            }
    }

    /// Tags, with the commit each points at.
    func tags() async throws -> [EntityInput] {
        try await git.run([
            "for-each-ref", "refs/tags",
            "--format=%(refname:short)%1f%(objecttype)%1f%(objectname)%1f%(*objectname)%1f%(contents:subject)",
        ]).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 5 else { return nil }
            let annotated = parts[1] == "tag"
            return EntityInput(
                Ref("GitTag", parts[0]),
                fields: [
                    "name": .string(parts[0]), "commit": .ref(Ref("GitCommit", annotated ? parts[3] : parts[2])),
                    "annotated": .bool(annotated), "message": annotated ? .string(parts[4]) : .null,
                ])
        }
    }

    /// The files at HEAD with their size and the last commit that changed each.
    func files() async throws -> [EntityInput] {
        guard try await head() != nil else { return [] }
        var last: [String: String] = [:]
        var current = ""
        for line in try await git.run(["log", "--format=%x1e%H", "--name-only", "--no-renames", "HEAD"])
            .split(separator: "\n")
        {
            if line.hasPrefix("\u{1e}") {
                current = String(line.dropFirst())
            } else if last[String(line)] == nil {
                last[String(line)] = current
            }
        }
        return try await git.run(["ls-tree", "-r", "-l", "HEAD"]).split(separator: "\n").compactMap { line in
            // "<mode> <type> <object> <size>\t<path>"
            let halves = line.split(separator: "\t", maxSplits: 1)
            guard halves.count == 2 else { return nil }
            let path = String(halves[1])
            let size = halves[0].split(separator: " ", omittingEmptySubsequences: true).last.flatMap { Int($0) }
            var fields: [String: FieldValue] = ["path": .string(path), "size": size.map(FieldValue.int) ?? .null]
            if let commit = last[path] { fields["lastCommit"] = .ref(Ref("GitCommit", commit)) }
            return EntityInput(Ref("GitFile", path), fields: fields)
        }
    }
}
