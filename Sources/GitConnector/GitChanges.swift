import MaxConnector
import MaxCore

/// What changed in a repository since a change-feed position (its refs then): the new commits,
/// and the commits, authors, branches, tags and files as they are now, each as the exact set of
/// ids that exist (``Change/exactly(_:ids:)``), so whatever no longer exists is deleted.
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
        // What is new since then: the commits no old tip reaches (git's walk may list a few more
        // when commit dates go backwards; upserting those again is harmless).
        let fresh = try await reader.checkedCommits(["--all"] + (known.isEmpty ? [] : ["--not"] + known))
        changes += fresh.map { .upsert($0, memberships: member("commits")) }
        // What is gone: every stored commit that no ref reaches now, computed from the whole set, so
        // it is exact whatever the dates, and after the old commits were pruned.
        changes.append(.exactly("GitCommit", ids: try await reader.reachable()))
        let authors = try await reader.authors()
        changes += authors.map { .upsert($0, memberships: member("authors")) }
        changes.append(.exactly("GitAuthor", ids: authors.map(\.ref.id)))
        for (type, field, current) in [
            (EntityType("GitBranch"), "branches", try await reader.branches()),
            (EntityType("GitTag"), "tags", try await reader.tags()),
        ] {
            changes += current.map { .upsert($0, memberships: member(field)) }
            changes.append(.exactly(type, ids: current.map(\.ref.id)))
        }
        if before["HEAD"] != after["HEAD"] {
            let files = try await reader.files()
            changes += files.map { .upsert($0, memberships: member("files")) }
            changes.append(.exactly("GitFile", ids: files.map(\.ref.id)))
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
