import AcmeAPI
import AcmeConnector
import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// The Acme connector against an in-process Acme server, over real HTTP.
struct AcmeConnectorTests {
    let connector = AcmeConnector()

    static func options(tasksPerProject: Int = 10) -> AcmeOptions {
        var options = AcmeOptions()
        options.port = 0
        options.seeding.tasksPerProject = tasksPerProject
        return options
    }

    @Test func theSchemaCoversTheAPI() throws {
        try connector.validateDefinition()
        let schema = connector.info.schema
        #expect(schema.namespace == "acme")
        #expect(schema.entityTypes == ["AcmeWorkspace", "AcmeUser", "AcmeProject", "AcmeTask", "AcmeFile", "AcmeRoot"])
        #expect(schema.roots == ["AcmeRoot"])
        let task = try #require(schema.definition(named: "AcmeTask"))
        #expect(
            task.fields.map(\.name) == [
                "title", "description", "status", "priority", "assignee", "project", "createdBy", "lastModifiedBy",
                "tags",
                "dueDate", "completedAt", "createdAt", "updatedAt",
            ])
        let relationships = Set(schema.relationships.map(\.description))
        for expected in [
            "AcmeTask.assignee -> AcmeUser (one)", "AcmeTask.project -> AcmeProject (one)",
            "AcmeTask.createdBy -> AcmeUser (one)", "AcmeProject.tasks -> AcmeTask (many)",
            "AcmeProject.files -> AcmeFile (many)", "AcmeWorkspace.users -> AcmeUser (many)",
            "AcmeWorkspace.projects -> AcmeProject (many)", "AcmeFile.project -> AcmeProject (one)",
            "AcmeUser.workspace -> AcmeWorkspace (one)", "AcmeProject.owner -> AcmeUser (one)",
        ] {
            #expect(relationships.contains(expected), "\(expected)")
        }
        #expect(connector.onboarding.configFields == ["baseURL", "auth", "workspaceId"])
        #expect(connector.onboarding.credentialNames == ["api_token", "refresh_token", "access_token"])
    }

    @Test func onboardingStoresTheTokenAndReturnsPlainConfig() async throws {
        try await AcmeServer.withRunning(Self.options()) { ready in
            let store = InMemoryCredentialStore()
            let state = try await ScriptedOnboarding(
                answers: ["baseURL": ready.url + "/"], secrets: ["api_token": ready.apiKey]
            ).run(connector.onboarding, store: store)
            let workspaces = try await AcmeHarnessLite(ready).get("/api/workspaces")
            #expect(state == ["baseURL": .string(ready.url), "auth": "token", "workspaceId": workspaces[0]["id"]!])
            #expect(!JSONValue.object(state).jsonText.contains(ready.apiKey))
            #expect(try await store.get(AcmeCredentials.apiToken) == ready.apiKey)
            let config = try connector.decodeConfig(.object(state))
            #expect(config.baseURL == ready.url)
        }
    }

    @Test func aRejectedTokenIsNamedAsSuch() async throws {
        try await AcmeServer.withRunning(Self.options()) { ready in
            let error = try await #require(throws: MaxError.self) {
                try await ScriptedOnboarding(
                    answers: ["baseURL": ready.url], secrets: ["api_token": "acme_" + String(repeating: "0", count: 32)]
                ).run(connector.onboarding, store: InMemoryCredentialStore())
            }
            #expect(error.code == .onboardingValidationFailed)
            #expect(error.message == "the API token was rejected by \(ready.url)")
            #expect(!error.description.contains("acme_0000"), "the rejected token is not echoed")
        }
    }

    @Test func anUnreachableURLIsNamedAsSuch() async throws {
        // A port that was just free: nothing listens there now.
        let url = try await AcmeServer.withRunning(Self.options()) { $0.url }
        let error = try await #require(throws: MaxError.self) {
            try await ScriptedOnboarding(answers: ["baseURL": url], secrets: ["api_token": "acme_x"])
                .run(connector.onboarding, store: InMemoryCredentialStore())
        }
        #expect(error.code == .onboardingValidationFailed)
        #expect(error.message == "\(url) is unreachable")
        #expect(error.hint == "check the tenant URL and that Acme is running")
    }

    @Test(arguments: ["acme.example.com", "ftp://acme.example.com", ""])
    func aMalformedURLIsRefusedBeforeAnyRequest(_ url: String) async throws {
        let error = try await #require(throws: MaxError.self) {
            try await ScriptedOnboarding(answers: ["baseURL": url], secrets: ["api_token": "acme_x"])
                .run(connector.onboarding, store: InMemoryCredentialStore())
        }
        #expect(error.code == .onboardingInvalidInput)
    }

    @Test func aURLThatIsNotAcmeIsNamedAsSuch() async throws {
        try await AcmeServer.withRunning(Self.options()) { ready in
            let error = try await #require(throws: MaxError.self) {
                try await ScriptedOnboarding(
                    answers: ["baseURL": ready.url + "/elsewhere"], secrets: ["api_token": ready.apiKey]
                )
                .run(connector.onboarding, store: InMemoryCredentialStore())
            }
            #expect(error.code == .onboardingValidationFailed)
            #expect(error.message.contains("does not look like an Acme tenant"))
        }
    }

    @Test func everyLoaderReadsWhatTheAPIHoldsAcrossPageBoundaries() async throws {
        try await AcmeServer.withRunning(Self.options(tasksPerProject: 1234)) { ready in
            let api = AcmeHarnessLite(ready)
            let workspaceID = try #require(try await api.get("/api/workspaces")[0]["id"]?.stringValue)
            let installation = try connector.initialise(
                config: ["baseURL": .string(ready.url), "workspaceId": .string(workspaceID)],
                credentials: InMemoryCredentialStore(["api_token": ready.apiKey]))
            try await installation.start()
            #expect(await installation.health() == .healthy)

            let seed = try await installation.seed()
            #expect(seed.entities.map(\.ref) == [Ref("AcmeRoot", workspaceID)])
            #expect(seed.plan.leafSteps.count == 5)

            let roots = try await loadAll(installation, "AcmeRoot", "workspaces", owner: workspaceID)
            #expect(roots.map(\.ref.id) == [workspaceID])
            #expect(roots[0]["name"] == "Workspace 1")

            let users = try await loadAll(installation, "AcmeWorkspace", "users", owner: workspaceID)
            let apiUsers = try await api.get("/api/users?workspaceId=\(workspaceID)")
            #expect(users.map(\.ref.id) == apiUsers.map { $0["id"]!.stringValue! })
            #expect(users[0]["workspace"] == .ref(Ref("AcmeWorkspace", workspaceID)))

            let projects = try await loadAll(installation, "AcmeWorkspace", "projects", owner: workspaceID)
            #expect(projects.count == 3)
            let project = projects[0]

            let loader = try installation.collectionLoader(for: "AcmeProject", field: "tasks")
            #expect(loader.pageSize == AcmeLoaders.pageSize)
            var pages = 0
            var tasks: [EntityInput] = []
            // Smaller pages than the loader's own, to cross page boundaries.
            var request = PageRequest.first(500)
            while true {
                let page = try await loader.load(project.ref, request)
                pages += 1
                tasks += page.items
                guard page.hasMore, let cursor = page.cursor else { break }
                request.cursor = cursor
            }
            #expect(pages == 3)  // 500 + 500 + 234
            let apiTasks = try await api.get("/api/tasks?projectId=\(project.ref.id)")
            #expect(tasks.count == 1234)
            #expect(tasks.map(\.ref.id) == apiTasks.map { $0["id"]!.stringValue! })
            for (input, json) in zip(tasks, apiTasks) {
                #expect(input["title"] == .string(json["title"]!.stringValue!))
                #expect(input["status"] == .string(json["status"]!.stringValue!))
                #expect(input["priority"] == .string(json["priority"]!.stringValue!))
                #expect(input["project"] == .ref(Ref("AcmeProject", project.ref.id)))
                #expect(
                    input["assignee"] == (json["assigneeId"]?.stringValue.map { .ref(Ref("AcmeUser", $0)) } ?? .null))
                #expect(input["description"] == (json["description"]?.stringValue.map(FieldValue.string) ?? .null))
                #expect(input["tags"] == .json(json["tags"]!))
                #expect(input["updatedAt"] == .date(ISO8601.parse(json["updatedAt"]!.stringValue!)!))
                #expect(input["dueDate"] == (json["dueDate"]?.stringValue.map { .date(ISO8601.parse($0)!) } ?? .null))
            }

            let files = try await loadAll(installation, "AcmeProject", "files", owner: project.ref.id)
            #expect(files.count == 5)
            #expect(files.allSatisfy { $0["sizeBytes"] != nil && $0["project"] == .ref(project.ref) })

            for (type, id) in [
                ("AcmeTask", tasks[7].ref.id), ("AcmeUser", users[1].ref.id), ("AcmeProject", project.ref.id),
                ("AcmeFile", files[0].ref.id), ("AcmeWorkspace", workspaceID),
            ] {
                let type = EntityType(type)
                let groups = try installation.loaders(for: type, fields: ["createdAt"])
                let loaded = try await groups[0].loader.load([Ref(type, id)])
                #expect(loaded.map(\.ref.id) == [id], "\(type)")
            }
            let gone = try await installation.loaders(for: "AcmeTask", fields: ["title"])[0].loader.load([
                Ref("AcmeTask", "tsk_gone")
            ])
            #expect(gone.isEmpty, "a 404 means the entity is gone, not an error")
        }
    }

    @Test func aRevokedTokenMakesTheInstallationsCredentialExpired() async throws {
        try await AcmeServer.withRunning(Self.options()) { ready in
            let installation = try connector.initialise(
                config: ["baseURL": .string(ready.url), "workspaceId": "ws_x"],
                credentials: InMemoryCredentialStore(["api_token": "acme_revoked"]))
            guard case .credentialExpired(let reason) = await installation.health() else {
                Issue.record("expected credential_expired")
                return
            }
            #expect(reason.contains("the API token was rejected"))
            let error = try await #require(throws: MaxError.self) { try await installation.start() }
            #expect(error.code == .httpUnauthorized)
        }
    }

    private func loadAll(_ installation: LiveInstallation, _ type: EntityType, _ field: String, owner: String)
        async throws
        -> [EntityInput]
    {
        let loader = try installation.collectionLoader(for: type, field: field)
        var request = PageRequest.first(loader.pageSize)
        var items: [EntityInput] = []
        while true {
            let page = try await loader.load(Ref(type, owner), request)
            items += page.items
            guard page.hasMore, let cursor = page.cursor else { return items }
            request.cursor = cursor
        }
    }
}

/// Reads the API directly, to compare with what the connector loads.
struct AcmeHarnessLite: Sendable {
    let ready: AcmeServer.Ready

    init(_ ready: AcmeServer.Ready) { self.ready = ready }

    func get(_ path: String) async throws -> [JSONValue] {
        let response = try await ConnectorHTTPClient.shared.send(
            .init(.get, ready.url + path, headers: [("Authorization", "Bearer \(ready.apiKey)")]))
        return try JSONValue(parsing: String(decoding: try response.requireSuccess().body, as: UTF8.self)).arrayValue
            ?? []
    }
}
