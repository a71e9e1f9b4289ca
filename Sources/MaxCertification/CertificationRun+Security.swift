import Foundation
import MaxCore
import MaxRuntime

extension CertificationRun {
    /// Every request the installations logged went to a proxy, and the sandbox refused nothing.
    func egress() async -> CertificationReport.Check {
        let id = "security.egress"
        let title = "Egress"
        let allowed = Set(proxies.values.map(\.1))
        var hosts: [String: Int] = [:]
        var refused: [String] = []
        var requests = 0
        let logs = workspace.project.runtimeURL.appendingPathComponent("logs", isDirectory: true)
        let files = (try? FileManager.default.contentsOfDirectory(at: logs, includingPropertiesForKeys: nil)) ?? []
        for file in files where file.lastPathComponent.hasPrefix(installation) {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                if line.contains("egress refused") {
                    let host = line.split(separator: " ").first { $0.hasPrefix("host=") }?.dropFirst(5) ?? "?"
                    refused.append("the sandbox refused a request to \(host)")
                }
                guard line.hasSuffix("request finished"), let range = line.range(of: "http.request=") else { continue }
                let rest = line[range.upperBound...].split(separator: " ")
                guard rest.count > 1, let origin = FaultProxy.origin(of: String(rest[1])) else { continue }
                requests += 1
                hosts[origin, default: 0] += 1
            }
        }
        var findings = refused
        for (origin, count) in hosts.sorted(by: { $0.key < $1.key }) where !allowed.contains(origin) {
            findings.append("\(count) requests went to \(origin), which is not the source")
        }
        let runs = (try? await describeIsolation()) ?? "unknown"
        guard requests > 0 || !findings.isEmpty else {
            return .init(
                id: id, title: title, status: .skipped,
                summary:
                    "no request went through Max's HTTP client (\(runs)): a connector with its own HTTP library is held in only by its sandbox"
            )
        }
        return .init(
            id: id, title: title, status: findings.isEmpty ? .passed : .failed,
            summary: findings.isEmpty
                ? "all \(requests) requests went to the source (\(runs))"
                : "requests left the allowlist (\(runs))",
            findings: findings, figures: ["requests": Double(requests)])
    }

    /// How the connector ran: in Max's process, or in a sandboxed subprocess.
    func describeIsolation() async throws -> String {
        let record = try workspace.record(installation)
        let file = try workspace.project.load()
        guard file.otherKeys["connectors"]?[suite.options.connector] != nil || record.provider == "subprocess" else {
            return "in Max's process"
        }
        if !record.sandboxed { return "a subprocess without a sandbox" }
        return ConnectorSandbox.helper == nil
            ? "a subprocess; this max cannot sandbox it" : "a subprocess in its sandbox, egress limited to the source"
    }

    /// No credential value appears in any file of the throwaway project (logs, audit, store,
    /// max.json, the sealed credentials), in what the suite said, or in its checks.
    func secrets() -> CertificationReport.Check {
        let id = "security.secrets"
        let title = "Secrets never written"
        let values = suite.options.credentials.filter { $0.value.revealed.count >= 6 }
        guard !values.isEmpty else {
            return .init(
                id: id, title: title, status: .skipped, summary: "no credential of 6 characters or more to look for")
        }
        var findings: [String] = []
        var scanned = 0
        let root = workspace.project.root
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                let data = FileManager.default.contents(atPath: url.path)
            else { continue }
            scanned += 1
            for (name, secret) in values where data.range(of: Data(secret.revealed.utf8)) != nil {
                findings.append(
                    "the credential \(name) is written in \(url.path.replacingOccurrences(of: root.path + "/", with: ""))"
                )
            }
        }
        let text = (said + checks.map { "\($0.summary) \($0.findings.joined(separator: " "))" }).joined(separator: "\n")
        for (name, secret) in values where text.contains(secret.revealed) {
            findings.append("the credential \(name) appears in the suite's output")
        }
        return .init(
            id: id, title: title, status: findings.isEmpty ? .passed : .failed,
            summary: findings.isEmpty
                ? "no credential value in \(scanned) files of the project (logs, audit, store, max.json) nor in the report"
                : "a credential value was written out",
            findings: findings, figures: ["files": Double(scanned)])
    }
}
