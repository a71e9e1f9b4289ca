import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Have a source push its changes to max serve.",
        subcommands: [Register.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register",
            abstract: "Register this project's max serve as a webhook of an installation's source.",
            discussion: """
                Runs the connector's registerWebhook operation with --url (the URL the source can \
                reach: <max serve URL>/v1/webhooks/<installation>) and keeps the signing secret the \
                source returns among the installation's credentials, never shown. "max serve" then \
                accepts signed deliveries there (a timestamp within 5 minutes, each id once) and \
                syncs the installation's changes.
                """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The installation.") var installation: String
        @Option(help: "The URL the source delivers to.") var url: String

        func run() async throws {
            let outcome = try await global.api().invoke(
                InvokeRequest(installation: installation, operation: "registerWebhook", input: ["url": .string(url)]))
            guard case .completed(let envelope) = outcome else { return }
            let id = envelope["data"]?["id"]?.stringValue ?? "?"
            Terminal.out("Registered webhook \(id) of \(installation) to \(url)")
            Terminal.err(
                "its signing secret is kept as the credential webhook_secret_\(id); run \"max serve\" to receive")
        }
    }
}
