import Foundation
import MaxTestSupport
import Synchronization
import Testing

/// Looks for secrets ("canaries") everywhere Max could have put them: every byte under `.max/`
/// (credential files, SQLite databases and their WAL, logs), `max.json`, what the processes
/// printed, and the arguments of every process while they ran.
enum CanaryScan {
    /// Expects none of `secrets` (or secret prefixes) in the project in `folder` or in `outputs`.
    static func expectNoSecret(
        _ secrets: [String], in folder: URL, outputs: [Outcome], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var written = [folder.appendingPathComponent("max.json")]
        let runtime = folder.appendingPathComponent(".max")
        let enumerator = FileManager.default.enumerator(at: runtime, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL { written.append(url) }
        let names = written.map(\.lastPathComponent)
        #expect(names.contains("credentials.json"), sourceLocation: sourceLocation)
        #expect(names.contains { $0.hasSuffix(".log") }, sourceLocation: sourceLocation)
        for url in written {
            guard let bytes = FileManager.default.contents(atPath: url.path) else { continue }  // a folder
            for secret in secrets {
                #expect(
                    bytes.range(of: Data(secret.utf8)) == nil, "\(url.path) holds \(secret.prefix(8))… in clear",
                    sourceLocation: sourceLocation)
            }
        }
        for outcome in outputs {
            for secret in secrets {
                #expect(
                    !outcome.output.contains(secret), "a process printed \(secret.prefix(8))…",
                    sourceLocation: sourceLocation)
            }
        }
    }

    /// Runs `body` while sampling the arguments of the processes working on `folder` (Linux's
    /// `/proc/*/cmdline`, those naming the folder) every few milliseconds; returns the samples
    /// that held a secret.
    ///
    /// Other tests running meanwhile pass literal secrets on purpose (to see them refused), so
    /// only this test's processes are judged.
    static func watchingProcessArguments<T: Sendable>(
        of folder: URL, for secrets: [String], _ body: () async throws -> T
    ) async throws -> (result: T, leaks: [String], samples: Int) {
        let scope = folder.path
        let watch = ArgumentWatch()
        let sampler = Thread {
            while watch.watching.load(ordering: .relaxed) {
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
                where entry.allSatisfy(\.isNumber) {
                    guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
                    let arguments = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
                    guard arguments.contains(scope) else { continue }
                    watch.samples.add(1, ordering: .relaxed)
                    for secret in secrets where arguments.contains(secret) {
                        watch.leaks.withLock { $0.append("\(entry): \(secret.prefix(8))…") }
                    }
                }
                usleep(5_000)
            }
        }
        sampler.start()
        defer { watch.watching.store(false, ordering: .relaxed) }
        let result = try await body()
        return (result, watch.leaks.withLock { $0 }, watch.samples.load(ordering: .relaxed))
    }
}

/// What the sampler of ``CanaryScan/watchingProcessArguments(for:_:)`` shares with the test.
private final class ArgumentWatch: Sendable {
    let leaks = Mutex<[String]>([])
    let samples = Atomic<Int>(0)
    let watching = Atomic<Bool>(true)
}
