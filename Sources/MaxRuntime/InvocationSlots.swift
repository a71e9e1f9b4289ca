import Foundation
import MaxConnector
public import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bounds how many operation calls run at once, across every process of a project
/// (SPEC-hardening §14): per installation `maxParallel` calls, with up to `queue` more waiting
/// (or none, when it is set to reject), and at most ``globalLimit`` for the whole project.
///
/// A slot is an exclusive `flock` on one of N files (`.max/slots/<installation>.<i>`), so a
/// process that dies frees its slot at once; a waiter holds a ticket file the same way, which is
/// how the queue is counted across processes.
public struct InvocationSlots: Sendable {
    /// The settings of one installation (`"operations": {…}` in `max.json`).
    public struct Limits: Sendable, Equatable {
        /// Calls of the installation that may run at once.
        public var maxParallel = 4
        /// Calls that may wait for a slot; beyond them a call is refused.
        public var queue = 32
        /// Whether a call waits for a slot (`queue`) or is refused at once (`reject`).
        public var rejectWhenBusy = false

        /// The defaults.
        public init() {}

        /// Reads `installations.<name>.operations` (`maxParallel` 1–64, `queue` 0–1000,
        /// `whenBusy` `queue` or `reject`).
        ///
        /// - Throws: `project.invalid_config` naming the key.
        public init(_ json: JSONValue?, installation: String) throws {
            guard let json else { return }
            func invalid(_ key: String, _ rule: String) -> MaxError {
                MaxError(
                    .invalidProjectFile, "installations.\(installation).operations.\(key) \(rule)",
                    hint: "fix it in max.json", context: ["installation": installation])
            }
            if let value = json["maxParallel"] {
                guard let count = value.intValue, (1...64).contains(count) else {
                    throw invalid("maxParallel", "must be a whole number from 1 to 64")
                }
                maxParallel = count
            }
            if let value = json["queue"] {
                guard let count = value.intValue, (0...1000).contains(count) else {
                    throw invalid("queue", "must be a whole number from 0 to 1000")
                }
                queue = count
            }
            if let value = json["whenBusy"] {
                guard let mode = value.stringValue, ["queue", "reject"].contains(mode) else {
                    throw invalid("whenBusy", "must be \"queue\" or \"reject\"")
                }
                rejectWhenBusy = mode == "reject"
            }
        }
    }

    /// Calls that may run at once in one project, whatever their installation.
    public static let globalLimit = 16

    /// `.max/slots/`.
    let folder: URL

    /// The slots of `project`.
    public init(project: Project) throws {
        folder = try project.runtimeFileURL("slots")
        try Project.makePrivateFolder(folder)
    }

    /// A held slot; releasing it (or the process ending) lets the next call run.
    public final class Held: Sendable {
        private let descriptors: [Int32]

        init(_ descriptors: [Int32]) { self.descriptors = descriptors }

        deinit { for descriptor in descriptors { close(descriptor) } }
    }

    /// Takes a slot of `installation` and one of the project, waiting in the queue up to
    /// `timeout` when the limits say so.
    ///
    /// - Returns: The slot, held until released.
    /// - Throws: `operation.busy` when every slot is taken and the installation rejects, or its
    ///   queue is full, or the wait passes `timeout`.
    public func acquire(_ installation: String, limits: Limits, timeout: Duration) async throws -> Held {
        if let held = tryBoth(installation, limits) { return held }
        guard !limits.rejectWhenBusy else {
            throw busy(installation, "all \(limits.maxParallel) of its slots are taken and it rejects when busy")
        }
        guard let ticket = Self.tryLock(range: 0..<limits.queue, name: "\(installation).queue", in: folder) else {
            throw busy(installation, "\(limits.maxParallel) calls run and \(limits.queue) wait already")
        }
        defer { close(ticket) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            if let held = tryBoth(installation, limits) { return held }
        }
        throw busy(installation, "no slot freed within \(timeout)")
    }

    private func tryBoth(_ installation: String, _ limits: Limits) -> Held? {
        guard let own = Self.tryLock(range: 0..<limits.maxParallel, name: installation, in: folder) else { return nil }
        guard let global = Self.tryLock(range: 0..<Self.globalLimit, name: "@project", in: folder) else {
            close(own)
            return nil
        }
        return Held([own, global])
    }

    private func busy(_ installation: String, _ why: String) -> MaxError {
        MaxError(
            .operationBusy, "\(installation) is busy: \(why)",
            hint:
                "try again shortly, or raise installations.\(installation).operations.maxParallel or queue in max.json",
            context: ["installation": installation])
    }

    /// An exclusive lock on the first free file `name.<i>` for `i` in `range`, or `nil`.
    static func tryLock(range: Range<Int>, name: String, in folder: URL) -> Int32? {
        for index in range {
            let path = folder.appendingPathComponent("\(name).\(index)").path
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return descriptor }
            close(descriptor)
        }
        return nil
    }
}
