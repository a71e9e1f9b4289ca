import Foundation
public import MaxCore

/// A small project-tracker schema with every field type, for storage and query tests.
public enum SampleSchema {
    /// `Person`: string, bool, indexed string, and the items assigned to them (a collection read
    /// through `Item.assignee`, its inverse).
    public static let person = EntityDef(
        "Person",
        fields: [
            .string("name"), .string("email", indexed: true), .bool("active"),
            .collection("items", of: "Item", inverse: "assignee"),
        ])

    /// `Project`: a ref, a collection of tasks, JSON.
    public static let project = EntityDef(
        "Project",
        fields: [
            .string("name"), .ref("owner", to: "Person"), .json("settings"),
            .collection("tasks", of: "Item"),
        ])

    /// `Item` (a task): every scalar type, refs, and a composite index.
    public static let item = EntityDef(
        "Item",
        fields: [
            .string("title"), .string("status", indexed: true), .int("priority"), .double("estimate"),
            .bool("done"), .date("dueDate"), .json("tags"), .ref("assignee", to: "Person"),
            .ref("project", to: "Project"),
        ],
        indexes: [["status", "priority"]])

    /// The schema: namespace `sample`, with `Person`, `Project` and `Item`.
    public static let schema = Schema(namespace: "sample", entities: [person, project, item])

    /// A deterministic item: status, priority and the others cycle with `index`, and some fields
    /// are null so null handling is exercised.
    public static func item(_ index: Int, idWidth: Int = 6) -> EntityInput {
        let statuses = ["todo", "in_progress", "done", "cancelled"]
        let id = "itm_" + String(repeating: "0", count: max(0, idWidth - String(index).count)) + String(index)
        var input = EntityInput("Item", id: id)
        input["title"] = .string("Item \(index)")
        input["status"] = .string(statuses[index % statuses.count])
        input["priority"] = index % 7 == 0 ? .null : .int(index % 5)
        input["estimate"] = .double(Double(index % 13) / 2)
        input["done"] = .bool(index % 4 == 2)
        input["dueDate"] =
            index % 3 == 0 ? .null : .date(Date(timeIntervalSince1970: 1_767_225_600 + Double(index % 50) * 86_400))
        input["tags"] = .json(.array(index % 2 == 0 ? ["even"] : ["odd", "urgent"]))
        input["assignee"] = index % 5 == 0 ? .null : .ref(Ref("Person", "per_\(index % 10)"))
        return input
    }
}
