import Synchronization

/// The sample SaaS `max demo` runs: the `max` executable supplies it (the Acme server), so the
/// command line itself does not link a server it never serves.
public protocol SampleServer: Sendable {
    /// Runs the server on a free loopback port with a seeded workspace while `body` runs.
    ///
    /// - Parameters:
    ///   - projects: Projects in the sample workspace.
    ///   - tasksPerProject: Tasks per project.
    ///   - body: Given the server's URL and an API token it accepts.
    /// - Throws: what starting the server or `body` throws.
    func withRunning(
        projects: Int, tasksPerProject: Int, _ body: @Sendable (_ url: String, _ apiKey: String) async throws -> Void
    ) async throws
}

/// What the `max` executable composes into the command line before it runs.
enum Composition {
    private static let sampleServer = Mutex<(any SampleServer)?>(nil)

    /// The demo's server, if the executable supplied one.
    static var sample: (any SampleServer)? {
        get { sampleServer.withLock { $0 } }
        set { sampleServer.withLock { $0 = newValue } }
    }
}
