import MaxConnector

/// The subprocess connectors this process has described, so each is asked once per process.
actor SubprocessConnectors {
    static let shared = SubprocessConnectors()

    private var described: [ConnectorProcess.Settings: SubprocessConnector] = [:]

    /// The module for `settings`, described on first use.
    func describe(name: String, settings: ConnectorProcess.Settings) async throws -> SubprocessConnector {
        if let module = described[settings] { return module }
        let module = try await SubprocessConnector.describe(name: name, settings: settings)
        described[settings] = module
        return module
    }
}
