import Foundation
import GRDB

/// Generates Acme data deterministically: the same seed and options give the same ids, values and
/// timestamps, so tests can compare what Max synced with what the API holds.
///
/// Seeded rows are the starting state, not changes: they are not written to the change log.
struct AcmeSeeder {
    /// What a seeding added.
    struct Counts: Codable, Sendable, Equatable {
        var workspaces = 0
        var users = 0
        var projects = 0
        var tasks = 0
        var files = 0
    }

    fileprivate static let firstNames = [
        "Ada", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Alan", "Edsger",
    ]
    fileprivate static let lastNames = [
        "Lovelace", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "Turing", "Dijkstra",
    ]
    fileprivate static let verbs = [
        "Write", "Review", "Fix", "Ship", "Design", "Test", "Refactor", "Document", "Plan", "Measure",
    ]
    fileprivate static let nouns = [
        "login flow", "billing page", "search index", "release notes", "API client", "onboarding", "dashboard",
        "export", "webhooks", "sync engine",
    ]
    fileprivate static let tags = ["bug", "feature", "urgent", "backend", "frontend", "design", "ops"]
    fileprivate static let mimeTypes = [
        ("pdf", "application/pdf"), ("png", "image/png"), ("txt", "text/plain"), ("json", "application/json"),
    ]

    let seed: UInt64

    /// Adds `options`' data to `database` and returns what was added: one transaction per workspace.
    func seed(_ options: AcmeOptions.Seeding, into database: AcmeDatabase) async throws -> Counts {
        let existing = try await database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM workspaces") ?? 0
        }
        var random = AcmeRandom(seed: seed ^ AcmeRandom.mix(0x5EED, UInt64(existing)))
        var clock = 0  // seconds after the seed epoch; advances with every entity
        var counts = Counts()
        for workspaceIndex in 0..<options.workspaces {
            let (state, added) = try await database.writer.write { [random, clock] db in
                var generator = Generator(random: random, clock: clock)
                let added = try generator.workspace(existing + workspaceIndex + 1, options, in: db)
                return (generator, added)
            }
            random = state.random
            clock = state.clock
            counts.workspaces += added.workspaces
            counts.users += added.users
            counts.projects += added.projects
            counts.tasks += added.tasks
            counts.files += added.files
        }
        return counts
    }

    /// The generator's state, carried from one workspace's transaction to the next.
    private struct Generator: Sendable {
        var random: AcmeRandom
        var clock: Int

        mutating func timestamp() -> String {
            clock += 1 + random.below(600)
            return AcmeTime.format(AcmeTime.seedEpoch.addingTimeInterval(Double(clock)))
        }

        mutating func workspace(_ number: Int, _ options: AcmeOptions.Seeding, in db: Database) throws -> Counts {
            var counts = Counts()
            let workspaceID = random.id("ws_")
            let created = timestamp()
            try db.execute(
                sql: "INSERT INTO workspaces (id, name, createdAt, updatedAt) VALUES (?, ?, ?, ?)",
                arguments: [workspaceID, "Workspace \(number)", created, created])
            counts.workspaces += 1

            var userIDs: [String] = []
            let userStatement = try db.cachedStatement(
                sql: """
                    INSERT INTO users (id, workspaceId, email, displayName, role, active, createdAt, updatedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let systemID = random.id("usr_")
            let systemCreated = timestamp()
            try userStatement.execute(arguments: [
                systemID, workspaceID, number == 1 ? "system@acme.local" : "system+\(number)@acme.local", "Acme System",
                "admin", true, systemCreated, systemCreated,
            ])
            userIDs.append(systemID)
            for userIndex in 0..<options.usersPerWorkspace {
                let first = AcmeSeeder.firstNames[random.below(AcmeSeeder.firstNames.count)]
                let last = AcmeSeeder.lastNames[random.below(AcmeSeeder.lastNames.count)]
                let id = random.id("usr_")
                let created = timestamp()
                let email = "\(first.lowercased()).\(last.lowercased()).\(number)-\(userIndex + 1)@acme.example"
                try userStatement.execute(arguments: [
                    id, workspaceID, email, "\(first) \(last)", User.roles[1 + random.below(2)], random.below(10) != 0,
                    created, created,
                ])
                userIDs.append(id)
            }
            counts.users += userIDs.count

            for projectIndex in 0..<options.projectsPerWorkspace {
                let projectID = random.id("prj_")
                let created = timestamp()
                let noun = AcmeSeeder.nouns[random.below(AcmeSeeder.nouns.count)]
                try db.execute(
                    sql: """
                        INSERT INTO projects (id, workspaceId, name, description, status, ownerId, createdAt, updatedAt)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        projectID, workspaceID, "Project \(projectIndex + 1): \(noun)",
                        random.below(3) == 0 ? nil : "Everything about the \(noun).",
                        Project.statuses[random.below(Project.statuses.count)], userIDs[random.below(userIDs.count)],
                        created, created,
                    ])
                counts.projects += 1
                try AcmeSeeder.seedTasks(
                    options.tasksPerProject, project: projectID, users: userIDs, random: &random, clock: &clock, in: db)
                counts.tasks += options.tasksPerProject
                try AcmeSeeder.seedFiles(
                    options.filesPerProject, project: projectID, users: userIDs, random: &random, clock: &clock, in: db)
                counts.files += options.filesPerProject
            }
            return counts
        }
    }

    fileprivate static func seedTasks(
        _ count: Int, project: String, users: [String], random: inout AcmeRandom, clock: inout Int, in db: Database
    ) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO tasks (id, projectId, title, description, status, priority, assigneeId, createdById,
                    lastModifiedById, dueDate, tags, completedAt, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for index in 0..<count {
            clock += 1 + random.below(60)
            let createdDate = AcmeTime.seedEpoch.addingTimeInterval(Double(clock))
            let created = AcmeTime.format(createdDate)
            let updated = AcmeTime.format(createdDate.addingTimeInterval(Double(random.below(86_400))))
            let status = AcmeTask.statuses[random.below(AcmeTask.statuses.count)]
            let creator = users[random.below(users.count)]
            let verb = Self.verbs[random.below(Self.verbs.count)]
            let noun = Self.nouns[random.below(Self.nouns.count)]
            var tagList: [String] = []
            for tag in Self.tags where random.below(5) == 0 { tagList.append(tag) }
            let due: String? =
                random.below(10) < 3
                ? nil : AcmeTime.format(createdDate.addingTimeInterval(Double(86_400 * (1 + random.below(60)))))
            statement.setUncheckedArguments([
                random.id("tsk_"), project, "\(verb) the \(noun) (#\(index + 1))",
                random.below(4) == 0 ? nil : "\(verb) the \(noun) and tell the team.", status,
                AcmeTask.priorities[random.below(AcmeTask.priorities.count)],
                random.below(5) == 0 ? nil : users[random.below(users.count)], creator, creator, due,
                "[" + tagList.map { "\"\($0)\"" }.joined(separator: ",") + "]", status == "done" ? updated : nil,
                created,
                updated,
            ])
            try statement.execute()
        }
    }

    fileprivate static func seedFiles(
        _ count: Int, project: String, users: [String], random: inout AcmeRandom, clock: inout Int, in db: Database
    ) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO files (id, projectId, name, mimeType, sizeBytes, createdById, lastModifiedById, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for index in 0..<count {
            clock += 1 + random.below(60)
            let created = AcmeTime.format(AcmeTime.seedEpoch.addingTimeInterval(Double(clock)))
            let (ext, mime) = Self.mimeTypes[random.below(Self.mimeTypes.count)]
            let creator = users[random.below(users.count)]
            statement.setUncheckedArguments([
                random.id("fil_"), project, "file-\(index + 1).\(ext)", mime, 1024 + random.below(10_000_000), creator,
                creator, created, created,
            ])
            try statement.execute()
        }
    }

    /// The tenant's API key, made once from the seed and kept.
    func apiKey(in database: AcmeDatabase) async throws -> String {
        try await database.writer.write { [seed] db in
            if let key = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'apiKey'") { return key }
            var random = AcmeRandom(seed: seed ^ 0xA91_4E7)
            let key = "acme_" + random.hex32()
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('apiKey', ?)", arguments: [key])
            try db.execute(sql: "INSERT INTO apiKeys (key, active) VALUES (?, 1)", arguments: [key])
            return key
        }
    }
}
