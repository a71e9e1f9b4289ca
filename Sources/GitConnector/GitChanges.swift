import MaxConnector
import MaxCore

/// What changed in a repository since a change-feed position (its refs then): the new commits,
/// the commits no ref reaches any more, and the authors, branches, tags and files as they are now.
struct GitChanges: Sendable {
    let context: GitContext

    func since(_ position: String) async throws -> ChangePage {
        let reader = context.reader
        let now = try await reader.position()
        guard now != position else { return ChangePage(changes: [], position: now, hasMore: false) }
        let before = Self.refs(in: position)
        let after = Self.refs(in: now)
        let tips = Array(Set(before.values)).sorted()
        let known = try await reader.existing(tips)
        let root = Ref("GitRepository", context.path)
        func member(_ field: String) -> [Change.Membership] {
            [Change.Membership("GitRepository", field, owners: [root.id])]
        }
        var changes: [Change] = [.upsert(try await reader.repository(id: context.path), memberships: [])]
        // Only what is new since then: commits no old tip reaches.
        let fresh = try await reader.commits(["--all"] + (known.isEmpty ? [] : ["--not"] + known))
        changes += fresh.map { .upsert($0, memberships: member("commits")) }
        changes += try await reader.unreachable(from: known).map { .delete(Ref("GitCommit", $0)) }
        changes += try await reader.authors().map { .upsert($0, memberships: member("authors")) }
        for (prefix, type, field, current) in [
            ("refs/heads/", EntityType("GitBranch"), "branches", try await reader.branches()),
            ("refs/tags/", EntityType("GitTag"), "tags", try await reader.tags()),
        ] {
            changes += current.map { .upsert($0, memberships: member(field)) }
            let names = Set(current.map(\.ref.id))
            for ref in before.keys where ref.hasPrefix(prefix) {
                let name = String(ref.dropFirst(prefix.count))
                if !names.contains(name) { changes.append(.delete(Ref(type, name))) }
            }
        }
        if before["HEAD"] != after["HEAD"] {
            let files = try await reader.files()
            changes += files.map { .upsert($0, memberships: member("files")) }
            if let old = before["HEAD"], !old.isEmpty,
                let listed = try? await reader.git.run(["ls-tree", "-r", "--name-only", old])
            {
                let present = Set(files.map(\.ref.id))
                for path in listed.split(separator: "\n").map(String.init) where !present.contains(path) {
                    changes.append(.delete(Ref("GitFile", path)))
                }
            }
        }
        return ChangePage(changes: changes, position: now, hasMore: false)
    }

    /// The refs of a position (`HEAD <sha>`, then `<sha> <ref>` lines): ref name to object.
    static func refs(in position: String) -> [String: String] {
        var refs: [String: String] = [:]
        for line in position.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "HEAD" { refs["HEAD"] = parts[1] } else { refs[parts[1]] = parts[0] }
        }
        return refs
    }
}
