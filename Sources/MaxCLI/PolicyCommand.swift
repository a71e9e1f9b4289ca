import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Explain who may do what, as max.json's \"policy\" says.",
        subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Decide an action for a user, as max serve, MCP over HTTP and the explorer would.",
            discussion: """
                Prints the decision and the rule that made it: the grant that allows it, or \
                "default deny", or the tenancy rule of an installation with a "group" (exit 0 when \
                allowed; policy.denied, exit 1, when not). It records nothing. Without a "policy" \
                (and no installation in a group) a token's scope alone decides, and this says so.

                The actions: connector.catalog.read, connector.operation.read, \
                connector.operation.invoke, connector.instance.manage, connector.credential.manage.

                Examples:
                  max policy check --user ann connector.operation.invoke acme createTask
                  max policy check --user bob --group support connector.catalog.read linear
                  max policy check --user ann connector.operation.read -     # the whole project
                """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: "The user.") var user: String
        @Option(name: .customLong("group"), help: "A group the user is in (repeatable).") var groups: [String] = []
        @Argument(help: "The action (connector.catalog.read, …).") var action: String
        @Argument(help: "The installation, or - for the whole project.") var installation: String
        @Argument(help: "The operation, for connector.operation.invoke and .read.") var operation: String?

        func validate() throws {
            guard PolicyAction(rawValue: action) != nil else {
                throw ValidationError(
                    "'\(action.prefix(80))' is not an action; the actions are "
                        + PolicyAction.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }

        func run() async throws {
            let workspace = try global.workspace()
            let target = installation == "-" ? nil : installation
            if let target { _ = try workspace.record(target) }
            let principal = Principal(user: user, groups: groups)
            guard let policy = try AccessControl(workspace: workspace).policy() else {
                Terminal.out(
                    "allowed: max.json has no \"policy\", so a token's scope alone decides (\(action) needs "
                        + "\(ServeTokens.Scope.narrowest(allowing: PolicyAction(rawValue: action) ?? .credentialManage).rawValue))"
                )
                return
            }
            let request = ProjectPolicy.Request(
                action: PolicyAction(rawValue: action) ?? .credentialManage, installation: target, operation: operation)
            let decision = policy.decide(request, for: principal)
            let subject = (operation.map { "\($0) of " } ?? "") + (target ?? "the project")
            guard decision.allowed else {
                throw MaxError(
                    .policyDenied, "\(principal.description) may not \(action) on \(subject): \(decision.rule)",
                    hint: decision.rule.hasPrefix("tenancy")
                        ? "only members of the installation's group reach it; add the user to it (a token's --group, or \"policy.groups\" in max.json)"
                        : "no grant in max.json's \"policy\" gives it; add one, or use another user or group",
                    context: ["action": action, "rule": decision.rule])
            }
            Terminal.out("allowed: \(principal.description) may \(action) on \(subject), by \(decision.rule)")
        }
    }
}
