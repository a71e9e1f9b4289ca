public import MaxCore

/// A git repository as Max stores it: its commits, authors, branches, tags, and the files at HEAD.
public enum GitSchema {
    /// The repository: the root a sync starts from.
    public static let repository = EntityDef(
        "GitRepository",
        fields: [
            .string("path", summary: "where the repository is on disk"), .string("name"),
            .string("head", summary: "the commit HEAD points at"), .string("currentBranch"),
            .collection("commits", of: "GitCommit"), .collection("authors", of: "GitAuthor"),
            .collection("branches", of: "GitBranch"), .collection("tags", of: "GitTag"),
            .collection("files", of: "GitFile"),
        ],
        summary: "A local git repository.")

    /// A commit, by its full hash.
    public static let commit = EntityDef(
        "GitCommit",
        fields: [
            .string("sha", indexed: true), .string("subject"), .string("message"),
            .ref("author", to: "GitAuthor"), .string("authorName"), .string("authorEmail", indexed: true),
            .date("authoredAt", indexed: true), .string("committerName"), .string("committerEmail"),
            .date("committedAt", indexed: true),
            .json("parents", summary: "the hashes of the parent commits; two or more for a merge"),
            .int("parentCount"), .int("filesChanged"), .int("insertions"), .int("deletions"),
        ],
        summary: "A commit reachable from a branch, a tag or HEAD.")

    /// A person who authored commits, by lowercased email.
    public static let author = EntityDef(
        "GitAuthor", fields: [.string("name"), .string("email", indexed: true), .int("commits")],
        summary: "Someone who authored commits (by email).")

    /// A local branch.
    public static let branch = EntityDef(
        "GitBranch", fields: [.string("name", indexed: true), .ref("head", to: "GitCommit")],
        summary: "A local branch and the commit it points at.")

    /// A tag.
    public static let tag = EntityDef(
        "GitTag",
        fields: [
            .string("name", indexed: true), .ref("commit", to: "GitCommit"), .bool("annotated"), .string("message"),
        ],
        summary: "A tag and the commit it points at.")

    /// A file at HEAD.
    public static let file = EntityDef(
        "GitFile",
        fields: [
            .string("path", indexed: true), .int("size", summary: "bytes"),
            .ref("lastCommit", to: "GitCommit", summary: "the last commit that changed it"),
        ],
        summary: "A file in the tree HEAD points at.")

    /// The schema.
    public static let schema = Schema(
        namespace: "git", entities: [repository, commit, author, branch, tag, file], roots: [repository])
}
