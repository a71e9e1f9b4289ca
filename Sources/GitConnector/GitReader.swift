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

    /// The format of a commit record: ten fields, read by ``GitRecords``.
    ///
    /// Every field ends with NUL (`-z` separates the records with one more): messages, names and
    /// paths may hold any other byte.
    static let commitFormat = "--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%s%x00%B%x00"

    /// Commits, newest first, as `git log` lists them with `selection` (`--all`, or a range).
    ///
    /// - Throws: `git.unexpected_output` when git's output is not of the expected shape.
    func commits(_ selection: [String], skip: Int = 0, limit: Int? = nil) async throws -> [EntityInput] {
        var arguments = ["log", "-z", Self.commitFormat, "--numstat", "--no-renames", "--skip=\(skip)"]
        if let limit { arguments.append("--max-count=\(limit)") }
        let output = try await git.output(arguments + selection + ["--"])
        return try GitRecords.parse(output, fieldCount: 10).enumerated().map { index, record in
            try Self.commit(record, at: index)
        }
    }

    /// The commits of `selection` that `git rev-list` counts (the same walk `git log` makes).
    func count(_ selection: [String]) async throws -> Int {
        let text = try await git.run(["rev-list", "--count"] + selection + ["--"])
        guard let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw GitRecords.unexpected("rev-list --count printed '\(text.prefix(40))'", after: 0)
        }
        return count
    }

    /// `commits`, checked against the number git counts for the same selection: a commit that could
    /// not be read is an error, never a silently shorter history.
    ///
    /// - Throws: `git.unexpected_output` when they differ.
    func checkedCommits(_ selection: [String], skip: Int = 0, limit: Int? = nil) async throws -> [EntityInput] {
        let commits = try await commits(selection, skip: skip, limit: limit)
        let total = try await count(selection)
        let expected = min(limit ?? Int.max, max(0, total - skip))
        guard commits.count == expected else {
            throw MaxError(
                .gitUnexpectedOutput,
                "git log listed \(commits.count) commits where git rev-list counts \(expected) "
                    + "(\(selection.joined(separator: " ")), from \(skip)); nothing of this page was stored",
                hint: "if the repository was changing during the sync, run the sync again; otherwise run `git fsck`",
                context: ["path": git.path])
        }
        return commits
    }

    /// Every commit any ref or HEAD reaches, exactly (no date-based shortcut).
    func reachable() async throws -> [String] {
        try await git.run(["rev-list", "--all"]).split(separator: "\n").map(String.init)
    }

    /// One commit from its `commitFormat` record and the `--numstat` entries after it.
    ///
    /// - Throws: `git.unexpected_output` for a date that is not ISO 8601.
    static func commit(_ record: GitRecords.Record, at index: Int) throws -> EntityInput {
        let sha = record.text(0)
        let parents = record.text(1).split(separator: " ").map { JSONValue.string(String($0)) }
        let email = record.text(3)
        var insertions = 0
        var deletions = 0
        for change in record.changes {
            insertions += change.added ?? 0  // nil for a binary file
            deletions += change.deleted ?? 0
        }
        func date(_ field: Int) throws -> FieldValue {
            guard let date = ISO8601.parse(record.text(field)) else {
                throw GitRecords.unexpected(
                    "commit \(sha) has the date '\(record.text(field).prefix(40))'", after: index)
            }
            return .date(date)
        }
        return EntityInput(
            Ref("GitCommit", sha),
            fields: [
                "sha": .string(sha), "subject": .string(record.text(8)),
                "message": .string(record.text(9).trimmingCharacters(in: .whitespacesAndNewlines)),
                "author": .ref(Ref("GitAuthor", email.lowercased())), "authorName": .string(record.text(2)),
                "authorEmail": .string(email), "authoredAt": try date(4),
                "committerName": .string(record.text(5)), "committerEmail": .string(record.text(6)),
                "committedAt": try date(7), "parents": .json(.array(parents)), "parentCount": .int(parents.count),
                "filesChanged": .int(record.changes.count), "insertions": .int(insertions),
                "deletions": .int(deletions),
            ])
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
        let output = try await git.output(["log", "-z", "--all", "--format=%H%x00%an%x00%ae%x00"])
        var names: [String: String] = [:]
        var counts: [String: Int] = [:]
        var order: [String] = []
        for record in try GitRecords.parse(output, fieldCount: 3) {
            let id = record.text(2).lowercased()
            if names[id] == nil {
                names[id] = record.text(1)
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

    /// Local branches, by their name under `refs/heads/`.
    func branches() async throws -> [EntityInput] {
        let output = try await git.output([
            "for-each-ref", "refs/heads", "--format=%(objectname)%00%(refname:lstrip=2)%00",
        ])
        return try GitRecords.parse(output, fieldCount: 2).map { record in
            let name = GitText.lossless(record.fields[1])
            return EntityInput(
                Ref("GitBranch", name),
                fields: ["name": .string(name), "head": .ref(Ref("GitCommit", record.text(0)))])
        }
    }

    /// Tags, by their name under `refs/tags/`, with the commit each points at.
    func tags() async throws -> [EntityInput] {
        let output = try await git.output([
            "for-each-ref", "refs/tags",
            "--format=%(objectname)%00%(refname:lstrip=2)%00%(objecttype)%00%(*objectname)%00%(contents:subject)%00",
        ])
        return try GitRecords.parse(output, fieldCount: 5).map { record in
            let name = GitText.lossless(record.fields[1])
            let annotated = record.text(2) == "tag"
            return EntityInput(
                Ref("GitTag", name),
                fields: [
                    "name": .string(name), "commit": .ref(Ref("GitCommit", record.text(annotated ? 3 : 0))),
                    "annotated": .bool(annotated), "message": annotated ? .string(record.text(4)) : .null,
                ])
        }
    }

    /// The files at HEAD with their size and the last commit that changed each, by path.
    ///
    /// Paths are read NUL-separated, as they are (no quoting), and a path that is not UTF-8 keeps
    /// its bytes (``GitText/lossless(_:)``).
    func files() async throws -> [EntityInput] {
        guard try await head() != nil else { return [] }
        let last = try await lastCommits()
        var files: [EntityInput] = []
        for entry in try await git.output(["ls-tree", "-r", "-l", "-z", "HEAD"]).split(separator: 0) {
            // "<mode> <type> <object> <size>\t<path>"
            guard let tab = entry.firstIndex(of: UInt8(ascii: "\t")) else {
                throw GitRecords.unexpected("an ls-tree entry has no tab", after: files.count)
            }
            let path = GitText.lossless(entry[entry.index(after: tab)...])
            let size = String(decoding: entry[..<tab], as: UTF8.self).split(separator: " ").last.flatMap { Int($0) }
            var fields: [String: FieldValue] = ["path": .string(path), "size": size.map(FieldValue.int) ?? .null]
            if let commit = last[path] { fields["lastCommit"] = .ref(Ref("GitCommit", commit)) }
            files.append(EntityInput(Ref("GitFile", path), fields: fields))
        }
        return files
    }

    /// For each path HEAD's history touched, the newest commit that changed it.
    ///
    /// `git log -z --format=%x00%H --name-only` prints an empty token, then a hash, then the paths
    /// the commit changed: paths are never empty, so the token after an empty one is a hash.
    private func lastCommits() async throws -> [String: String] {
        let output = try await git.output(["log", "-z", "--format=%x00%H", "--name-only", "--no-renames", "HEAD"])
        var last: [String: String] = [:]
        var current = ""
        var expectHash = true
        for var token in output.split(separator: 0, omittingEmptySubsequences: false) {
            if token.isEmpty {
                expectHash = true
                continue
            }
            if expectHash {
                guard GitRecords.isObjectName(Array(token)) else {
                    throw GitRecords.unexpected("expected a commit hash in the log of HEAD", after: last.count)
                }
                current = String(decoding: token, as: UTF8.self)
                expectHash = false
            } else {
                if token.first == UInt8(ascii: "\n") { token = token.dropFirst() }
                let path = GitText.lossless(token)
                if last[path] == nil { last[path] = current }
            }
        }
        return last
    }
}
