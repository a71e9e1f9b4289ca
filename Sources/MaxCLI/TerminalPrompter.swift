import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

/// Asks on the terminal: prompts on stderr, answers from stdin, secrets without echo, selects as
/// numbered lists, defaults in brackets.
struct TerminalPrompter: Prompter {
    func show(step: String, description: String?) async {
        Terminal.err(Terminal.style(step, "1", on: Terminal.colorOnStderr))
        if let description { Terminal.err("  " + description) }
    }

    func ask(_ label: String, default value: String?, placeholder: String?) async throws -> String {
        var prompt = "  \(label)"
        if let value { prompt += " [\(value)]" } else if let placeholder { prompt += " (e.g. \(placeholder))" }
        Terminal.errRaw(prompt + ": ")
        guard let line = readLine(strippingNewline: true) else { throw Self.closed() }
        return line
    }

    func askSecret(_ label: String) async throws -> String {
        guard let line = Terminal.readSecretLine(prompt: "  \(label) (input hidden): ") else { throw Self.closed() }
        return line
    }

    func choose(_ label: String, options: [SelectOption]) async throws -> Int {
        list(label, options)
        while true {
            Terminal.errRaw("  Choose 1-\(options.count) [1]: ")
            guard let line = readLine(strippingNewline: true) else { throw Self.closed() }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { return 0 }
            if let number = Int(text), (1...options.count).contains(number) { return number - 1 }
            if let index = options.firstIndex(where: { $0.value == text || $0.label == text }) { return index }
            // The answer is never repeated: it may be a secret typed at the wrong prompt.
            Terminal.err(
                "  That is not one of the options: type a number from 1 to \(options.count), or an option's value.")
        }
    }

    func chooseSeveral(_ label: String, options: [SelectOption]) async throws -> [Int] {
        list(label, options)
        while true {
            Terminal.errRaw("  Choose one or more, separated by commas (e.g. 1,3) [1]: ")
            guard let line = readLine(strippingNewline: true) else { throw Self.closed() }
            let items = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            if items.isEmpty { return [0] }
            var chosen: [Int] = []
            var unknown = false
            for item in items {
                let index =
                    Int(item).flatMap { (1...options.count).contains($0) ? $0 - 1 : nil }
                    ?? options.firstIndex { $0.value == item || $0.label == item }
                guard let index else {
                    unknown = true
                    break
                }
                if !chosen.contains(index) { chosen.append(index) }
            }
            if unknown {
                // The answer is never repeated: it may be a secret typed at the wrong prompt.
                Terminal.err(
                    "  One of those is not an option: type numbers from 1 to \(options.count), or options' values.")
                continue
            }
            return chosen
        }
    }

    /// Prints the label and the numbered options.
    private func list(_ label: String, _ options: [SelectOption]) {
        Terminal.err(Terminal.style(label, "1", on: Terminal.colorOnStderr))
        for (index, option) in options.enumerated() {
            Terminal.err(
                "  \(index + 1)) \(option.label)  \(Terminal.style(option.value, "2", on: Terminal.colorOnStderr))")
        }
    }

    func report(_ message: String) async {
        Terminal.err("  " + message)
    }

    private static func closed() -> MaxError {
        MaxError(.onboardingMissingInput, "standard input closed before onboarding finished")
    }
}
