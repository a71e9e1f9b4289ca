public import MaxCore

/// The Acme data model as Max stores it: every field of the API a user would filter on, refs for
/// every id that points at another entity, and the collections the sync walks.
public enum AcmeSchema {
    /// The root a sync starts from: one per connected workspace.
    public static let root = EntityDef(
        "AcmeRoot", fields: [.collection("workspaces", of: "AcmeWorkspace")], summary: "Where a sync of Acme starts.")

    /// A workspace.
    public static let workspace = EntityDef(
        "AcmeWorkspace",
        fields: [
            .string("name"), .date("createdAt"), .date("updatedAt"),
            .collection("users", of: "AcmeUser", inverse: "workspace"),
            .collection("projects", of: "AcmeProject", inverse: "workspace"),
        ],
        summary: "An Acme workspace: the people and projects of one organisation.")

    /// A user of a workspace.
    public static let user = EntityDef(
        "AcmeUser",
        fields: [
            .string("email", indexed: true), .string("displayName"),
            .string("role", indexed: true, summary: "admin, member or viewer"), .bool("active"),
            .ref("workspace", to: "AcmeWorkspace"), .date("createdAt"), .date("updatedAt"),
        ],
        summary: "A person in a workspace.")

    /// A project.
    public static let project = EntityDef(
        "AcmeProject",
        fields: [
            .string("name"), .string("description"),
            .string("status", indexed: true, summary: "active, paused, completed or archived"),
            .ref("owner", to: "AcmeUser"), .ref("workspace", to: "AcmeWorkspace"), .date("createdAt"),
            .date("updatedAt"), .collection("tasks", of: "AcmeTask", inverse: "project"),
            .collection("files", of: "AcmeFile", inverse: "project"),
        ],
        summary: "A project of a workspace, holding tasks and files.")

    /// A task.
    public static let task = EntityDef(
        "AcmeTask",
        fields: [
            .string("title"), .string("description"),
            .string("status", summary: "todo, in_progress, in_review, done or cancelled"),
            .string("priority", indexed: true, summary: "critical, high, medium, low or none"),
            .ref("assignee", to: "AcmeUser"), .ref("project", to: "AcmeProject"), .ref("createdBy", to: "AcmeUser"),
            .ref("lastModifiedBy", to: "AcmeUser"), .json("tags", summary: "an array of strings"), .date("dueDate"),
            .date("completedAt"), .date("createdAt"), .date("updatedAt", indexed: true),
        ],
        indexes: [["status", "updatedAt"]],
        summary: "A unit of work in a project.")

    /// A file attached to a project.
    public static let file = EntityDef(
        "AcmeFile",
        fields: [
            .string("name"), .string("mimeType", indexed: true), .int("sizeBytes"), .ref("project", to: "AcmeProject"),
            .ref("createdBy", to: "AcmeUser"), .ref("lastModifiedBy", to: "AcmeUser"), .date("createdAt"),
            .date("updatedAt"),
        ],
        summary: "A file attached to a project.")

    /// The schema: namespace `acme`.
    public static let schema = Schema(
        namespace: "acme", entities: [workspace, user, project, task, file], roots: [root])
}
