import Foundation
import Hummingbird
import MaxConnector
import MaxCore
import MaxPages
import MaxRuntime

/// The explorer's operation forms: generated from each operation's input JSON Schema, offered to
/// sessions whose scope may invoke (`operate`), posted with the session's CSRF token.
extension ExplorerRoutes {
    func addOperations(to router: Router<MaxRequestContext>) {
        let explorer = self
        router.get("ui/i/:installation/ops") { request, context in
            let installation = try context.parameters.require("installation")
            return try await explorer.page(request) { session in try await explorer.operations(installation, session) }
        }
        router.get("ui/i/:installation/ops/:operation") { request, context in
            let installation = try context.parameters.require("installation")
            let operation = try context.parameters.require("operation")
            return try await explorer.page(request) { session in
                try await explorer.operationForm(installation, operation, session, submitted: nil)
            }
        }
        router.post("ui/i/:installation/ops/:operation") { request, context in
            let installation = try context.parameters.require("installation")
            let operation = try context.parameters.require("operation")
            let form = try await explorer.form(of: request)
            return try await explorer.page(request) { session in
                guard ExplorerSessions.same(form["csrf"] ?? "", session.csrf) else {
                    throw MaxError(
                        .serveCSRF, "the form did not carry this session's token",
                        hint: "submit the form from its page in the explorer")
                }
                return try await explorer.operationForm(installation, operation, session, submitted: form)
            }
        }
    }

    /// Whether the session may run operations.
    private func mayInvoke(_ session: SignedIn) -> Bool {
        session.grant.scope.actions.contains(.operationInvoke)
    }

    func operations(_ name: String, _ session: SignedIn) async throws -> ExplorerPage {
        try await allow(.operations, session, installation: name)
        let list = try await api.operations(InstallationRequest(installation: name))
        let invoke = mayInvoke(session)
        let rows = list.operations.map { operation in
            let id = operation["id"]?.stringValue ?? ""
            return Operations.Row(
                name: Link(id, href: invoke ? Self.path(name) + "/ops/" + Self.segment(id) : nil),
                summary: operation["description"]?.stringValue ?? "", mode: operation["mode"]?.stringValue ?? "")
        }
        return .operations(
            Operations(
                frame: session.frame(
                    "Operations of \(name)", [Link("Installations", href: "/"), Link(name, href: Self.path(name))]),
                rows: rows,
                readOnly: invoke
                    ? nil
                    : "This \(session.grant.scope.rawValue) session may not run operations: sign in with an operate token."
            ))
    }

    /// The form of `operation`; with `submitted`, the call it asks for and its result.
    func operationForm(_ name: String, _ operationID: String, _ session: SignedIn, submitted: [String: String]?)
        async throws -> ExplorerPage
    {
        guard mayInvoke(session) else {
            let needed = ServeTokens.Scope.narrowest(allowing: .operationInvoke)
            throw MaxError(
                .apiForbidden,
                "this \(session.grant.scope.rawValue) session may not run operations; it needs \(needed.rawValue)",
                hint: "sign in with a token made by \"max serve tokens create --scope \(needed.rawValue)\"")
        }
        try await allow(.invoke, session, installation: name, operation: operationID)
        let list = try await api.operations(InstallationRequest(installation: name))
        guard let operation = list.operations.first(where: { $0["id"]?.stringValue == operationID }) else {
            throw MaxError(
                .operationNotFound, "\(name) has no operation \(operationID)",
                hint: "its operations: " + list.operations.compactMap { $0["id"]?.stringValue }.joined(separator: ", "))
        }
        let schema = operation["inputSchema"] ?? .object([:])
        var inputs = Self.inputs(of: schema, values: submitted)
        var result: String?
        var job: Link?
        var error: InputError?
        if let submitted {
            do {
                let input = try Self.input(from: submitted, schema: schema)
                let key = submitted["idempotencyKey"].flatMap { $0.isEmpty ? nil : $0 }
                let caller = MaxNodes(local: api.local.calling(as: session.caller))
                switch try await caller.invoke(
                    InvokeRequest(installation: name, operation: operationID, input: input, idempotencyKey: key))
                {
                case .completed(let envelope): result = envelope.prettyJSONText
                case .enqueued(let queued): job = Link(queued.id, href: "/ui/jobs")
                }
                if key == nil { inputs = Self.inputs(of: schema, values: nil) }
            } catch let refused as MaxError {
                error = InputError(
                    code: refused.code.description, message: refused.message, expression: nil, caret: nil,
                    hint: refused.hint)
            }
        }
        let crumbs = [
            Link("Installations", href: "/"), Link(name, href: Self.path(name)),
            Link("Operations", href: Self.path(name) + "/ops"),
        ]
        return .operationForm(
            OperationForm(
                frame: session.frame(operationID, crumbs),
                summary: operation["description"]?.stringValue ?? "",
                action: Self.path(name) + "/ops/" + Self.segment(operationID), inputs: inputs,
                idempotencyKey: submitted?["idempotencyKey"] ?? "", result: result, job: job, error: error))
    }

    /// The schema's properties as inputs: the required first, in the schema's order, then the rest
    /// by name; with the values submitted, when the form comes back.
    static func inputs(of schema: JSONValue, values: [String: String]?) -> [OperationForm.Input] {
        let properties = schema["properties"]?.objectValue ?? [:]
        let required = (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue)
        let names =
            required.filter { properties[$0] != nil } + properties.keys.filter { !required.contains($0) }.sorted()
        return names.map { name in
            let property = properties[name] ?? .null
            let value = values?["in.\(name)"] ?? ""
            let choices = (property["enum"]?.arrayValue ?? []).compactMap(\.stringValue)
            let kind: String
            switch property["type"]?.stringValue {
            case _ where !choices.isEmpty: kind = "select"
            case "integer", "number": kind = "number"
            case "boolean": kind = "checkbox"
            case "array", "object": kind = "json"
            default: kind = "text"
            }
            return OperationForm.Input(
                name: name, required: required.contains(name), help: property["description"]?.stringValue,
                kind: kind, value: value, checked: value == "true",
                choices: choices.map { OperationForm.Input.Choice(value: $0, selected: $0 == value) })
        }
    }

    /// The JSON input a submitted form gives: each filled field converted to its property's type
    /// (the operation then checks it against the schema, naming each problem).
    ///
    /// - Throws: `operation.invalid_input` for a number or JSON that does not parse.
    static func input(from form: [String: String], schema: JSONValue) throws -> JSONValue {
        var object: [String: JSONValue] = [:]
        for (name, property) in schema["properties"]?.objectValue ?? [:] {
            let text = form["in.\(name)"] ?? ""
            switch property["type"]?.stringValue {
            case "boolean":
                if !text.isEmpty { object[name] = .bool(text == "true") }
            case "integer" where !text.isEmpty:
                guard let number = Int(text) else { throw invalid(name, "is not a whole number") }
                object[name] = .int(number)
            case "number" where !text.isEmpty:
                guard let number = Double(text) else { throw invalid(name, "is not a number") }
                object[name] = .double(number)
            case "array" where !text.isEmpty, "object" where !text.isEmpty:
                guard let json = try? JSONValue(parsing: text) else { throw invalid(name, "is not JSON") }
                object[name] = json
            default:
                if !text.isEmpty { object[name] = .string(text) }
            }
        }
        return .object(object)
    }

    private static func invalid(_ name: String, _ problem: String) -> MaxError {
        MaxError(.operationInvalidInput, "\(name) \(problem)", hint: "correct it in the form", context: ["field": name])
    }
}
