import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage", abstract: "Work on where the project stores what it syncs.",
        subcommands: [StorageMigrateCommand.self])
}

struct StorageMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy installations' SQLite stores into the project's PostgreSQL database, and check the copy.",
        discussion: """
            First name the database in max.json: "storage": {"postgres": {"host": …, "database": …, \
            "user": …, "password": "env:PGPASSWORD"}}. Then this copies every installation synced \
            here (or the ones named) into a schema of its own: every entity, tombstones included, \
            with its fields and collections, the change feed's position (the next sync applies only \
            the changes) and the last completed run. It then checks that each type's live and \
            deleted counts are equal in both stores and reads back up to 25 records of each type \
            from both. The SQLite files stay; remove .max/installations/<name>/data.db once you \
            no longer need them. Rows' own sync and deletion times become the copy's time, and \
            older runs are not copied. An installation whose schema already holds data is refused \
            unless --replace, which drops that schema first.
            """)

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case postgres
    }

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(help: "Where to: postgres (the database max.json names).") var to: Target
    @Argument(help: "The installations (every one synced here when none is named).") var installations: [String] = []
    @Flag(help: "Drop what the database holds for an installation before copying.") var replace = false

    func run() async throws {
        let workspace = try global.workspace()
        let reports = try await workspace.migrateToPostgres(installations, replace: replace) { name in
            Terminal.err("Copying \(name) …")
        }
        guard !reports.isEmpty else {
            Terminal.err("Nothing to migrate: no installation has a SQLite store here")
            return
        }
        for report in reports {
            let types = report.types.map { "\($0.type) \(ProgressReporter.grouped($0.live + $0.deleted))" }
                .joined(separator: ", ")
            Terminal.out(
                "Migrated \(report.installation) to \(report.target): \(ProgressReporter.grouped(report.total)) entities (\(types)); counts equal, \(report.sampled) sampled records equal"
            )
        }
    }
}
