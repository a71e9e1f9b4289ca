import AcmeAPI
import MaxCLI

/// `max demo`'s sample SaaS: the Acme server, seeded and on a free loopback port.
struct AcmeSampleServer: SampleServer {
    func withRunning(
        projects: Int, tasksPerProject: Int, _ body: @Sendable (_ url: String, _ apiKey: String) async throws -> Void
    ) async throws {
        var options = AcmeOptions()
        options.port = 0
        options.seeding.projectsPerWorkspace = projects
        options.seeding.tasksPerProject = tasksPerProject
        try await AcmeServer.withRunning(options) { ready in try await body(ready.url, ready.apiKey) }
    }
}
