import Foundation
public import MaxCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The boundary a subprocess connector runs in (SPEC-hardening §7).
///
/// On Linux the process starts in network, mount and user namespaces of its own
/// (`unshare --net --mount --map-root-user`), through `max sandbox-exec`, which
/// - hides the project's `.max/` (and any other ``hidden`` path) under an empty, unreadable
///   file system;
/// - gives it a private temporary folder, held in memory (its working folder and `TMPDIR`);
/// - sets its limits: data size (memory), CPU seconds, file size, open files and processes;
/// - drops every capability (`setpriv`), so it is root of its namespace in name only;
/// - then becomes the connector.
///
/// Its network namespace has no interface but a loopback that is down: it can neither connect
/// anywhere nor resolve a name. Its only way out is the connector protocol's `http/request`,
/// which Max sends for it only to the hosts of ``egress``: anything else is refused with
/// `sandbox.egress_denied` and logged. Max's HTTP client validates every certificate.
///
/// Where namespaces are not available (macOS), `max sandbox-exec` still sets the limits, and the
/// egress allowlist still holds; the network and the files are not held in. See
/// `docs/connector-protocol.md`.
public struct ConnectorSandbox: Sendable, Hashable {
    /// The hosts the connector may reach through `http/request`: `api.github.com`,
    /// `*.example.com` (any name under it), `127.0.0.1`; a port is not part of a pattern.
    public var egress: [String]
    /// Paths the connector must not see (the project's `.max/`).
    public var hidden: [String]
    /// CPU seconds the process may use (SIGXCPU, then SIGKILL, past it).
    public var cpuSeconds: Int = 3600
    /// The largest file it may write, in bytes.
    public var maximumFileBytes: Int = 256 << 20
    /// How many files it may have open.
    public var maximumOpenFiles: Int = 256
    /// How many processes (and threads) it may run beside those its user runs already.
    public var maximumProcesses: Int = 64
    /// The size of its private temporary folder, in bytes.
    public var temporaryBytes: Int = 64 << 20

    /// A sandbox allowing `egress` and hiding `hidden`.
    public init(egress: [String] = [], hidden: [String] = []) {
        self.egress = egress
        self.hidden = hidden
    }

    /// The `max` executable that runs `max sandbox-exec`; the `max` command sets it when it starts
    /// (a test process that hosts connectors itself has none, and starts them without a sandbox).
    public static var helper: String? {
        get { helperPath.withLock { $0 } }
        set { helperPath.withLock { $0 = newValue } }
    }
    private static let helperPath = Mutex<String?>(nil)

    /// `unshare`, where this system has it.
    static let unshare: String? = ["/usr/bin/unshare", "/bin/unshare"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Whether this machine can start a process in namespaces of its own (tried once).
    public static let namespacesWork: Bool = {
        #if os(Linux)
            guard let unshare else { return false }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: unshare)
            process.arguments = ["--net", "--mount", "--map-root-user", "--", "/bin/true"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        #else
            return false
        #endif
    }()

    /// The program and arguments that run `command` in this sandbox.
    ///
    /// - Throws: `sandbox.unavailable` when this process has no helper, or (on Linux) namespaces
    ///   cannot be made here.
    func wrapping(_ command: [String], connector: String, memoryLimit: Int?, temporary: String) throws -> (
        executable: String, arguments: [String]
    ) {
        guard let helper = Self.helper else {
            throw MaxError(
                .sandboxUnavailable, "the \(connector) connector cannot be held in a sandbox by this process",
                hint: "run it through the max command", context: ["connector": connector])
        }
        var setup = [helper, "sandbox-exec", "--tmp", temporary]
        setup += hidden.flatMap { ["--hide", $0] }
        // A program Max built into the project's `.max/connectors/` stays where it is, visible.
        if let program = command.first, hidden.contains(where: { program.hasPrefix($0 + "/") }) {
            setup += ["--expose", URL(fileURLWithPath: program).deletingLastPathComponent().path]
        }
        setup += [
            "--cpu-seconds", String(cpuSeconds), "--file-bytes", String(maximumFileBytes), "--open-files",
            String(maximumOpenFiles), "--processes", String(maximumProcesses), "--tmp-bytes", String(temporaryBytes),
        ]
        if let memoryLimit { setup += ["--memory-bytes", String(memoryLimit)] }
        #if os(Linux)
            guard let unshare = Self.unshare, Self.namespacesWork else {
                throw MaxError(
                    .sandboxUnavailable,
                    "the \(connector) connector cannot be held in a sandbox here: this system does not let Max make network and mount namespaces (unshare --net --mount --map-root-user)",
                    hint:
                        "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or, for a connector you trust, set \"sandbox\": false on its installation in max.json",
                    context: ["connector": connector])
            }
            return (unshare, ["--net", "--mount", "--map-root-user", "--"] + setup + ["--namespaced", "--"] + command)
        #else
            return (helper, Array(setup.dropFirst()) + ["--"] + command)
        #endif
    }

    /// Removes the temporary folders of connectors whose Max is gone (`max-connector-<pid>-…`,
    /// left when a Max was killed before its connector's exit could remove them).
    static func removeLeftTemporaryFolders() {
        let base = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] {
            let parts = name.split(separator: "-")
            guard name.hasPrefix("max-connector-"), parts.count > 3, let pid = pid_t(parts[2]),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
        }
    }

    /// Whether `host` is one ``egress`` allows.
    public func allows(host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
        return egress.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
            return host == pattern
        }
    }

    /// Refuses a request of `connector` to `url` unless ``egress`` allows its host.
    ///
    /// - Throws: `sandbox.egress_denied` naming the host and where to allow it.
    func check(_ url: String, connector: String) throws {
        let host = URLComponents(string: url)?.host ?? ""
        guard !host.isEmpty, allows(host: host) else {
            throw MaxError(
                .egressDenied,
                "the \(connector) connector may not reach \(host.isEmpty ? url.prefix(80) : host[...]): it is not in the connector's egress allowlist (\(egress.isEmpty ? "empty" : egress.joined(separator: ", ")))",
                hint:
                    "if it should, add the host to the installation's \"egress\" in max.json, or to the connector's description",
                context: ["connector": connector, "host": host])
        }
    }
}

extension MaxError.Code {
    /// A subprocess connector cannot be started in its sandbox here.
    public static let sandboxUnavailable = Self(domain: "sandbox", name: "unavailable", category: .permanent)
    /// A subprocess connector asked to reach a host outside its egress allowlist.
    public static let egressDenied = Self(domain: "sandbox", name: "egress_denied", category: .policyDenied)
}
