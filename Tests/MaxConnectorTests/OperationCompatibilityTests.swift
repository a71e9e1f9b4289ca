import MaxConnector
import MaxCore
import Testing

/// The rule between releases of a connector's operations: a minor version only adds, a major one
/// may break.
struct OperationCompatibilityTests {
    static func operation(
        _ id: String = "createTask", input: JSONValue = Self.input, output: JSONValue = Self.output,
        mutating: Bool = true
    ) throws -> OperationInfo {
        try OperationInfo(
            id, displayName: id, description: "", input: input, output: output, mutating: mutating)
    }

    static let input: JSONValue = [
        "type": "object", "required": ["title"],
        "properties": ["title": ["type": "string"], "note": ["type": "string"]],
    ]
    static let output: JSONValue = [
        "type": "object", "required": ["id"], "properties": ["id": ["type": "string"], "title": ["type": "string"]],
    ]

    static func input(_ change: (inout [String: JSONValue]) -> Void) -> JSONValue {
        var object = input.objectValue ?? [:]
        change(&object)
        return .object(object)
    }

    @Test func anUnchangedSetNeedsNoBump() throws {
        let ops = [try Self.operation()]
        #expect(
            OperationCompatibility.check(previous: ops, previousVersion: "1.0.0", current: ops, currentVersion: "1.0.1")
                .isEmpty)
    }

    @Test func additionsNeedAMinorVersion() throws {
        var properties = Self.input["properties"]?.objectValue ?? [:]
        properties["dueDate"] = ["type": "string"]
        let added = [
            try Self.operation(input: Self.input { $0["properties"] = .object(properties) }),
            try Self.operation("deleteTask"),
        ]
        let previous = [try Self.operation()]
        let changes = OperationCompatibility.changes(from: previous, to: added)
        #expect(changes.breaks.isEmpty)
        #expect(Set(changes.additions) == ["operation deleteTask added", "createTask input: property dueDate added"])
        let patch = OperationCompatibility.check(
            previous: previous, previousVersion: "1.0.0", current: added, currentVersion: "1.0.1")
        #expect(patch.count == 2)
        #expect(patch.allSatisfy { $0.contains("needs a new minor version") })
        #expect(
            OperationCompatibility.check(
                previous: previous, previousVersion: "1.0.0", current: added, currentVersion: "1.1.0"
            )
            .isEmpty)
    }

    @Test(arguments: [
        ("removed", "operation createTask removed"),
        ("newRequired", "createTask input: property note became required"),
        ("propertyRemoved", "createTask input: property note removed"),
        ("propertyChanged", "createTask input: property title changed"),
        ("closed", "createTask input: additional properties forbidden"),
        ("outputDropped", "createTask output: property title removed"),
        ("outputOptional", "createTask output: property id no longer always present"),
        ("mode", "createTask: mutating changed"),
    ])
    func breaksNeedAMajorVersion(_ kind: String, _ expected: String) throws {
        let current: [OperationInfo]
        switch kind {
        case "removed": current = []
        case "newRequired": current = [try Self.operation(input: Self.input { $0["required"] = ["title", "note"] })]
        case "propertyRemoved":
            current = [try Self.operation(input: Self.input { $0["properties"] = ["title": ["type": "string"]] })]
        case "propertyChanged":
            current = [
                try Self.operation(
                    input: Self.input { $0["properties"] = ["title": ["type": "integer"], "note": ["type": "string"]] })
            ]
        case "closed": current = [try Self.operation(input: Self.input { $0["additionalProperties"] = false })]
        case "outputDropped":
            current = [
                try Self.operation(
                    output: ["type": "object", "required": ["id"], "properties": ["id": ["type": "string"]]])
            ]
        case "outputOptional":
            current = [
                try Self.operation(
                    output: [
                        "type": "object", "properties": ["id": ["type": "string"], "title": ["type": "string"]],
                    ])
            ]
        default: current = [try Self.operation(mutating: false)]
        }
        let previous = [try Self.operation()]
        let minor = OperationCompatibility.check(
            previous: previous, previousVersion: "1.2.0", current: current, currentVersion: "1.3.0")
        #expect(minor.contains { $0.hasPrefix(expected) && $0.contains("needs a new major version") }, "\(minor)")
        #expect(
            OperationCompatibility.check(
                previous: previous, previousVersion: "1.2.0", current: current, currentVersion: "2.0.0"
            )
            .isEmpty)
    }

    @Test func versionsAreChecked() throws {
        let ops = [try Self.operation()]
        #expect(
            !OperationCompatibility.check(previous: ops, previousVersion: "1.0", current: ops, currentVersion: "1.0.0")
                .isEmpty)
        #expect(
            OperationCompatibility.check(previous: ops, previousVersion: "2.0.0", current: ops, currentVersion: "1.9.0")
                == ["the version went back from 2.0.0 to 1.9.0"])
    }
}
