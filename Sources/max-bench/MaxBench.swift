import ArgumentParser

/// `max-bench`: Max's benchmarks.
///
/// Build with `-c release`; debug builds are several times slower.
@main
struct MaxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "max-bench",
        abstract: "Measure Max's throughput and latency.",
        discussion: """
            Run in release mode, on an otherwise idle machine:
              swift run -c release max-bench store --entities 1000000
            Figures and the machine they were taken on belong in docs/benchmarks.md.
            """,
        subcommands: [
            SyncBenchmark.self, QueryBenchmark.self, StoreBenchmark.self, AcmeBenchmark.self, OperationBenchmark.self,
            ServeBenchmark.self, GitBenchmark.self, DeclarativeBenchmark.self, FilesBenchmark.self,
            PostgresBenchmark.self,
            QueueBenchmark.self, WorkersBenchmark.self,
        ]
    )
}
