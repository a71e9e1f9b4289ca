import AcmeAPI
import AcmeConnector
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

/// A Max project in a temporary folder with the Acme installation of a running Acme connected:
/// what the operation and serve benchmarks start from.
enum BenchProject {
    /// Runs `body` with the project's workspace, then removes the folder.
    static func withConnectedAcme<T>(
        _ ready: AcmeServer.Ready, label: String, _ body: (MaxWorkspace) async throws -> T
    ) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("max-bench-\(label)-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Project.initialise(at: folder)
        let workspace = MaxWorkspace(
            project: Project(root: folder), registry: ConnectorRegistry(local: ["acme": { AcmeConnector() }]))
        var runner = OnboardingRunner(config: ["baseURL": ready.url], prompter: nil)
        runner.credentialValues = ["api_token": Secret(ready.apiKey)]
        _ = try await workspace.connect("acme", runner: runner)
        return try await body(workspace)
    }
}
