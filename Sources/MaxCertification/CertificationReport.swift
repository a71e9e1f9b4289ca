import Foundation

/// What `max connector certify` found.
///
/// One ``Check`` per part of the suite, and a verdict. Written as JSON (for `max install`, which can require a passing one) and as Markdown (for people).
public struct CertificationReport: Codable, Sendable {
    /// How a check ended.
    public enum Status: String, Codable, Sendable {
        /// It held.
        case passed
        /// It did not: see ``Check/findings``.
        case failed
        /// It could not run (say why in ``Check/summary``); a skipped check does not fail the suite.
        case skipped
    }

    /// One check of the suite.
    public struct Check: Codable, Sendable {
        /// Its stable id (`faults.rate-limit-storm`).
        public var id: String
        /// What it checks, in a few words.
        public var title: String
        /// How it ended.
        public var status: Status
        /// One sentence: what happened.
        public var summary: String
        /// What went wrong, precisely (for a failed check), or what was seen.
        public var findings: [String]
        /// Figures (requests, seconds, records).
        public var figures: [String: Double]

        /// A check.
        public init(
            id: String, title: String, status: Status, summary: String, findings: [String] = [],
            figures: [String: Double] = [:]
        ) {
            self.id = id
            self.title = title
            self.status = status
            self.summary = summary
            self.findings = findings
            self.figures = figures
        }
    }

    /// The connector certified.
    public struct Subject: Codable, Sendable {
        /// Its name.
        public var name: String
        /// Its version.
        public var version: String
        /// Where it comes from: `built-in`, or its source in the `connectors` table.
        public var source: String
        /// The SHA-256 of its source (a manifest's bytes, a package's files, a program), as
        /// `max connector sign` computes it; `nil` for a built-in.
        public var digest: String?
        /// How it runs: `in-process`, or `subprocess` (sandboxed or not).
        public var runs: String
    }

    /// The report's format version.
    public var format = 1
    /// The connector.
    public var connector: Subject
    /// The source's origins it was certified against.
    public var sources: [String]
    /// When the suite started (ISO 8601).
    public var startedAt: String
    /// How long it took, in seconds.
    public var seconds: Double
    /// The seed of the fuzzer (a run with the same seed mutates the same way).
    public var seed: UInt64
    /// Whether every check passed or was skipped.
    public var passed: Bool
    /// The checks, in the order they ran.
    public var checks: [Check]

    /// The report as Markdown.
    public var markdown: String {
        var lines = [
            "# Certification of \(connector.name) \(connector.version)", "",
            "**\(passed ? "PASSED" : "FAILED")**: \(checks.filter { $0.status == .passed }.count) of \(checks.count) checks passed"
                + (checks.contains { $0.status == .failed }
                    ? ", \(checks.filter { $0.status == .failed }.count) failed" : "")
                + (checks.contains { $0.status == .skipped }
                    ? ", \(checks.filter { $0.status == .skipped }.count) skipped" : "") + ".",
            "",
            "- Connector: \(connector.name) \(connector.version) (\(connector.source); runs \(connector.runs))",
            "- Digest: \(connector.digest ?? "none (built into max)")",
            "- Source: \(sources.joined(separator: ", "))",
            "- Started: \(startedAt); took \(String(format: "%.1f", seconds)) s; fuzzer seed \(seed)", "",
            "| Check | Result | Summary |", "| --- | --- | --- |",
        ]
        for check in checks {
            lines.append(
                "| \(check.title) (`\(check.id)`) | \(check.status.rawValue) | \(Self.cell(check.summary)) |")
        }
        for check in checks where !check.findings.isEmpty || !check.figures.isEmpty {
            lines += ["", "## \(check.title): \(check.status.rawValue)", "", check.summary]
            if !check.findings.isEmpty {
                lines.append("")
                lines += check.findings.map { "- \($0)" }
            }
            if !check.figures.isEmpty {
                lines.append("")
                lines += check.figures.sorted { $0.key < $1.key }.map { "- \($0.key): \(Self.figure($0.value))" }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func figure(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.3f", value)
    }
}
