import ArgumentParser
import Foundation
import MaxConnector

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `max sandbox-exec`: the inside of a connector's sandbox (see `ConnectorSandbox`).
///
/// Started by Max in fresh user, network and mount namespaces (`--namespaced`): it hides the
/// given paths under an empty file system that no one may read, holds its temporary folder in
/// memory, sets the limits, drops every capability, and becomes the connector. Not meant to be
/// run by hand.
struct SandboxExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox-exec", abstract: "Run a connector inside its sandbox (Max starts it; not for hand use).",
        shouldDisplay: false)

    @Option(name: .customLong("hide"), help: "A path the connector must not see (repeatable).") var hidden: [String] =
        []
    @Option(help: "A path under a hidden one that stays visible: the connector's own program (repeatable).")
    var expose: [String] = []
    @Option(help: "The data-size (memory) limit in bytes.") var memoryBytes: Int?
    @Option(help: "CPU seconds.") var cpuSeconds: Int = 3600
    @Option(help: "The largest file it may write, in bytes.") var fileBytes: Int = 256 << 20
    @Option(help: "How many files it may have open.") var openFiles: Int = 256
    @Option(help: "How many processes it may run beside its user's.") var processes: Int = 64
    @Option(help: "The connector's private temporary folder (Max makes it, and removes it after).")
    var tmp: String?
    @Option(help: "The size of the private temporary folder in bytes.") var tmpBytes: Int = 64 << 20
    @Flag(help: "Running in namespaces of its own: hide paths, and hold the temporary folder in memory.")
    var namespaced = false
    @Argument(parsing: .postTerminator, help: "The connector's command.") var command: [String] = []

    func run() throws {
        guard let program = command.first else { Self.fail("no command to run") }
        let temporary = tmp ?? NSTemporaryDirectory()
        #if os(Linux)
            if namespaced {
                // In memory, of a bounded size, gone with the namespace.
                if let tmp, mount("tmpfs", tmp, "tmpfs", UInt(MS_NOSUID | MS_NODEV), "size=\(tmpBytes),mode=0700") != 0
                {
                    Self.fail("cannot mount the private temporary folder: \(String(cString: strerror(errno)))")
                }
                // What stays visible is set aside before it is hidden…
                var stashed: [(path: String, stash: String)] = []
                for (index, path) in expose.enumerated() where FileManager.default.fileExists(atPath: path) {
                    let stash = temporary + "/.max-exposed-\(index)"
                    guard mkdir(stash, 0o700) == 0, mount(path, stash, nil, UInt(MS_BIND | MS_REC), nil) == 0 else {
                        Self.fail("cannot keep \(path) visible: \(String(cString: strerror(errno)))")
                    }
                    stashed.append((path, stash))
                }
                for path in hidden where FileManager.default.fileExists(atPath: path) {
                    // Empty, and mode 111: the connector (its owner, without capabilities) cannot list it.
                    guard
                        mount("tmpfs", path, "tmpfs", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), "size=64k,mode=111") == 0
                    else { Self.fail("cannot hide \(path): \(String(cString: strerror(errno)))") }
                }
                // …and put back at its own path, alone in the hidden folder.
                for (path, stash) in stashed {
                    do {
                        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    } catch {
                        Self.fail("cannot keep \(path) visible: \(error.localizedDescription)")
                    }
                    guard mount(stash, path, nil, UInt(MS_BIND | MS_REC), nil) == 0 else {
                        Self.fail("cannot keep \(path) visible: \(String(cString: strerror(errno)))")
                    }
                    umount2(stash, Int32(MNT_DETACH))
                    rmdir(stash)
                }
            }
        #endif
        guard chdir(temporary) == 0 else { Self.fail("cannot enter \(temporary): \(String(cString: strerror(errno)))") }
        setenv("TMPDIR", temporary, 1)
        #if os(Linux)
            typealias Resource = __rlimit_resource_t
            let (cpu, size, files, count, data) = (
                Resource(RLIMIT_CPU.rawValue), Resource(RLIMIT_FSIZE.rawValue), Resource(RLIMIT_NOFILE.rawValue),
                Resource(__RLIMIT_NPROC.rawValue), Resource(RLIMIT_DATA.rawValue)
            )
        #else
            typealias Resource = Int32
            let (cpu, size, files, count, data) = (RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_DATA)
        #endif
        var limits: [(String, Resource, Int)] = [
            ("CPU seconds", cpu, cpuSeconds), ("file size", size, fileBytes), ("open files", files, openFiles),
            ("processes", count, Self.processesOfThisUser() + processes),
        ]
        if let memoryBytes { limits.append(("data size", data, memoryBytes)) }
        for (name, resource, value) in limits {
            var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
            guard setrlimit(resource, &limit) == 0 else {
                Self.fail("cannot set the \(name) limit: \(String(cString: strerror(errno)))")
            }
        }
        #if os(Linux)
            // Only the standard streams go on: Max's other descriptors stay Max's.
            closefrom(3)
        #endif
        var command = command
        #if os(Linux)
            if namespaced {
                // Root of its own namespace no more: no capability, now or after any exec, so the
                // hidden folders' mode holds it out.
                guard
                    let setpriv = ChildLauncher.setpriv
                else { Self.fail("cannot drop privileges: setpriv (util-linux) is missing") }
                command = [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"] + command
            }
        #endif
        let arguments = command.map { strdup($0) } + [nil]
        execvp(command[0], arguments)
        Self.fail("cannot run \(program): \(String(cString: strerror(errno)))")
    }

    /// How many processes this user runs now (what `RLIMIT_NPROC` counts).
    static func processesOfThisUser() -> Int {
        #if os(Linux)
            let user = getuid()
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.filter { entry in
                guard Int(entry) != nil,
                    let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8)
                else { return false }
                let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t")
                    .dropFirst()
                    .first
                return uid.flatMap { UInt32($0) } == user
            }.count
        #else
            return 0
        #endif
    }

    /// Says why the sandbox could not be set up (on the connector's log) and exits 125.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("max sandbox: \(message)\n".utf8))
        Foundation.exit(125)
    }
}
