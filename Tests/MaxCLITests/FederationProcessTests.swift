import Foundation
import MCP
import MaxCore
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Two Max nodes on loopback: node B reads node A's installation through a remote entry.
struct FederationProcessTests {
    @Test func nodeBReadsNodeAsInstallationAsNodeADoes() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "4", "--tasks-per-project", "30"])
        let nodeA = try await ResilienceProcessTests.connectedProject(acme)
        #expect(try await runMax(["-C", nodeA.url.path, "sync", "acme"]).status == 0)
        let token =
            try await runMax(["-C", nodeA.url.path, "serve", "tokens", "create", "--scope", "read"])
            .stdout.split(separator: "\n").last.map(String.init) ?? ""
        let (server, base) = try await startServe(nodeA.url)
        try #require(!base.isEmpty, "\(server.stderrSoFar)")

        let nodeB = try TemporaryDirectory(prefix: "node-b")
        _ = try await runMax(["init", nodeB.url.path])
        let wrong = try await runMax(
            [
                "-C", nodeB.url.path, "connect", "acme", "--remote", base, "--name", "acme-a", "--credential",
                "token=env:T",
            ],
            environment: ["T": "mxt_wrong"])
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.stderr.contains("error[serve.unauthorized]"), "\(wrong.stderr)")
        let connected = try await runMax(
            [
                "-C", nodeB.url.path, "connect", "acme", "--remote", base, "--name", "acme-a", "--credential",
                "token=env:T",
            ],
            environment: ["T": token])
        #expect(connected.status == 0, "\(connected.output)")
        let file = try String(contentsOf: nodeB.file("max.json"), encoding: .utf8)
        let entry = try JSONValue(parsing: file)["installations"]?["acme-a"]
        #expect(entry?["provider"] == "remote", "\(file)")
        #expect(entry?["location"]?["url"]?.stringValue == base + "/v1/installations/acme")
        #expect(entry?["credentials"]?["token"] == "env:T")
        #expect(!file.contains(token))

        let environment = ["T": token]
        for filter in [#"status = "todo""#, #"priority IN ("high", "critical") AND title ~= "test""#] {
            let local = try await runMax([
                "-C", nodeA.url.path, "search", "acme", "AcmeTask", "--filter", filter, "--fields",
                "title,status,priority",
                "--order-by", "title", "-o", "json",
            ])
            let remote = try await runMax(
                [
                    "-C", nodeB.url.path, "search", "acme-a", "AcmeTask", "--filter", filter, "--fields",
                    "title,status,priority", "--order-by", "title", "-o", "json",
                ], environment: environment)
            #expect(remote.status == 0, "\(remote.stderr)")
            #expect(try JSONValue(parsing: remote.stdout)["data"] == (try JSONValue(parsing: local.stdout))["data"])
            let localCount = try await runMax(["-C", nodeA.url.path, "count", "acme", "AcmeTask", "--filter", filter])
            let remoteCount = try await runMax(
                ["-C", nodeB.url.path, "count", "acme-a", "AcmeTask", "--filter", filter], environment: environment)
            #expect(remoteCount.stdout == localCount.stdout)
        }
        let listed = try await runMax(["-C", nodeB.url.path, "ls", "-o", "json"], environment: environment)
        let row = try JSONValue(parsing: listed.stdout).arrayValue?.first
        let own = try JSONValue(parsing: try await runMax(["-C", nodeA.url.path, "ls", "-o", "json"]).stdout)
            .arrayValue?.first
        #expect(row?["status"] == "active")
        #expect(row?["entities"] == own?["entities"])

        // Schema, sync history and every page (--all) as node A has them.
        for command in [["schema", "INSTALLATION", "-o", "json"], ["runs", "INSTALLATION", "-o", "json"]] {
            let local = try await runMax(
                ["-C", nodeA.url.path] + command.map { $0 == "INSTALLATION" ? "acme" : $0 })
            let remote = try await runMax(
                ["-C", nodeB.url.path] + command.map { $0 == "INSTALLATION" ? "acme-a" : $0 },
                environment: environment)
            #expect(remote.status == 0, "\(command): \(remote.stderr)")
            #expect(try JSONValue(parsing: remote.stdout) == (try JSONValue(parsing: local.stdout)), "\(command)")
        }
        let everyLocal = try await runMax([
            "-C", nodeA.url.path, "search", "acme", "AcmeTask", "--all", "--fields", "title", "-o", "ndjson",
        ])
        let everyRemote = try await runMax(
            [
                "-C", nodeB.url.path, "search", "acme-a", "AcmeTask", "--all", "--limit", "7", "--fields", "title",
                "-o", "ndjson",
            ], environment: environment)
        #expect(everyRemote.status == 0, "\(everyRemote.stderr)")
        #expect(everyRemote.stdout == everyLocal.stdout)
        #expect(everyRemote.stdout.split(separator: "\n").count > 20)

        let status = try await runMax(
            ["-C", nodeB.url.path, "status", "acme-a", "-o", "json"], environment: environment)
        #expect(try JSONValue(parsing: status.stdout).arrayValue?.first?["status"] == "healthy", "\(status.output)")

        // The node's errors come back with their codes.
        let bad = try await runMax(
            ["-C", nodeB.url.path, "count", "acme-a", "AcmeTask", "--filter", "status ="], environment: environment)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("error[search.invalid_filter]"), "\(bad.stderr)")
        let revoked = try await runMax(
            ["-C", nodeB.url.path, "count", "acme-a", "AcmeTask"], environment: ["T": "mxt_revoked"])
        #expect(revoked.stderr.contains("error[serve.unauthorized]"))
        // A sync runs on node A: refused to a read token, run for an operate one, in node A's history.
        let readOnly = try await runMax(["-C", nodeB.url.path, "sync", "acme-a"], environment: environment)
        #expect(readOnly.status == 1, "\(readOnly.output)")
        #expect(readOnly.stderr.contains("error[api.forbidden]"), "\(readOnly.stderr)")
        #expect(readOnly.stderr.contains("connector.instance.manage"), "\(readOnly.stderr)")
        let operate =
            try await runMax(["-C", nodeA.url.path, "serve", "tokens", "create", "--scope", "operate"])
            .stdout.split(separator: "\n").last.map(String.init) ?? ""
        let runsBefore =
            try JSONValue(parsing: try await runMax(["-C", nodeA.url.path, "runs", "acme", "-o", "json"]).stdout)
            .arrayValue?.count ?? 0
        let synced = try await runMax(
            ["-C", nodeB.url.path, "sync", "acme-a", "--full"], environment: ["T": operate])
        #expect(synced.status == 0, "\(synced.output)")
        #expect(synced.stderr.contains("Syncing acme-a on the Max node at \(base)/v1/installations/acme"))
        let tasks = try #require(row?["entities"]?.intValue)
        #expect(synced.stdout.contains("Synced acme-a in "), "\(synced.stdout)")
        #expect(synced.stdout.contains("AcmeTask 120"), "\(synced.stdout)")
        let runsAfter = try JSONValue(
            parsing: try await runMax(["-C", nodeA.url.path, "runs", "acme", "-o", "json"]).stdout)
        #expect(runsAfter.arrayValue?.count == runsBefore + 1)
        #expect(runsAfter.arrayValue?.first?["kind"] == "full", "\(runsAfter)")
        #expect(tasks > 0)

        // Operations: listed as node A lists them, run there with an operate token only.
        func withoutName(_ text: String) throws -> JSONValue? {
            guard case .object(var object) = try JSONValue(parsing: text) else { return nil }
            object["installation"] = nil
            return .object(object)
        }
        let localOps = try await runMax(["-C", nodeA.url.path, "ops", "acme", "-o", "json"])
        let remoteOps = try await runMax(
            ["-C", nodeB.url.path, "ops", "acme-a", "-o", "json"], environment: environment)
        #expect(remoteOps.status == 0, "\(remoteOps.stderr)")
        #expect(try withoutName(remoteOps.stdout) == (try withoutName(localOps.stdout)))
        let input = try await OperationProcessTests.taskInput(acme, title: "Made through node B")
        let refused = try await runMax(
            ["-C", nodeB.url.path, "invoke", "acme-a", "createTask", "--input", input], environment: environment)
        #expect(refused.stderr.contains("error[api.forbidden]"), "\(refused.stderr)")
        let invalid = try await runMax(
            ["-C", nodeB.url.path, "invoke", "acme-a", "createTask", "--input", "{}"], environment: ["T": operate])
        #expect(invalid.status == 2, "\(invalid.output)")
        #expect(invalid.stderr.contains("error[operation.invalid_input]"), "\(invalid.stderr)")
        for attempt in 1...2 {
            let created = try await runMax(
                [
                    "-C", nodeB.url.path, "invoke", "acme-a", "createTask", "--input", input, "--idempotency-key",
                    "through-b",
                ], environment: ["T": operate])
            #expect(created.status == 0, "attempt \(attempt): \(created.output)")
            #expect(try JSONValue(parsing: created.stdout)["title"] == "Made through node B", "\(created.stdout)")
            #expect(created.stderr.contains(attempt == 2 ? "(replayed from the idempotency key)" : "done in"))
        }
        #expect(try await OperationProcessTests.tasks(acme, titled: "Made through node B") == 1)
        // --async queues the call as a job on node A, whose runner does it.
        let later = try await OperationProcessTests.taskInput(acme, title: "Queued through node B")
        let queued = try await runMax(
            ["-C", nodeB.url.path, "invoke", "acme-a", "createTask", "--input", later, "--async"],
            environment: ["T": operate])
        #expect(queued.status == 0, "\(queued.output)")
        let job = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(job.hasPrefix("job_"), "\(queued.stdout)")
        #expect(queued.stderr.contains("\"max jobs show \(job)\" on that node"), "\(queued.stderr)")
        var state: JSONValue?
        for _ in 0..<200 where state != "succeeded" {
            let shown = try await runMax(["-C", nodeA.url.path, "jobs", "show", job])
            state = try? JSONValue(parsing: shown.stdout)["state"]
            if state != "succeeded" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(state == "succeeded", "the job ran on node A")
        #expect(try await OperationProcessTests.tasks(acme, titled: "Queued through node B") == 1)

        // An agent on node B reaches node A's installation the same way.
        let session = try await MCPProcessTests.Session(
            ["-C", nodeB.url.path, "--allow-operations", "--allow-sync"], environment: ["T": operate])
        let listedOps = try await session.call("max_ops", ["installation": "acme-a"])
        #expect(
            MCPProcessTests.json(listedOps.structuredContent)
                == (try withoutName(localOps.stdout)).map {
                    guard case .object(var object) = $0 else { return $0 }
                    object["installation"] = "acme-a"
                    return .object(object)
                })
        let agentInput = try JSONValue(
            parsing: try await OperationProcessTests.taskInput(acme, title: "Made by an agent"))
        let agentInvoked = try await session.call(
            "max_invoke",
            [
                "installation": "acme-a", "operation": "createTask",
                "input": try JSONDecoder().decode(Value.self, from: Data(agentInput.jsonText.utf8)),
            ])
        #expect(agentInvoked.isError == false, "\(agentInvoked)")
        #expect(MCPProcessTests.json(agentInvoked.structuredContent)["data"]?["title"] == "Made by an agent")
        let agentSynced = try await session.call("max_sync", ["installation": "acme-a"])
        #expect(MCPProcessTests.json(agentSynced.structuredContent)["status"] == "completed", "\(agentSynced)")
        await session.close()
        #expect(try await OperationProcessTests.tasks(acme, titled: "Made by an agent") == 1)
        server.send(SIGTERM)
        _ = try await server.outcome()
    }
}
