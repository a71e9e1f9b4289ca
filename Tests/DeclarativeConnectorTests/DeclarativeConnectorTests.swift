import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

@testable import DeclarativeConnector

/// Templates: placeholders, filters, and the values a body keeps.
struct TemplateTests {
    let scope: JSONValue = [
        "config": ["owner": "octo", "repos": ["a", "b"], "count": 3],
        "record": ["url": "https://api.github.com/repos/octo/hello/issues/12", "n": 12],
        "parent": ["id": "octo/hello"],
    ]

    @Test(arguments: [
        ("/repos/{{parent.id}}/issues", "/repos/octo/hello/issues"),
        ("{{record.url | lastPathComponent}}", "12"),
        ("{{record.url | lastPathComponents:4}}", "octo/hello/issues/12"),
        ("{{config.repos}}", "a,b"),
        ("{{config.missing}}", ""),
        ("{{ config.owner }}-{{record.n}}", "octo-12"),
        ("{{config.repos | json}}", #"["a","b"]"#),
        ("{{config.missing | default:1970-01-01T00:00:00Z}}", "1970-01-01T00:00:00Z"),
        ("{{config.owner | default:nobody}}", "octo"),
    ])
    func rendersPlaceholders(template: String, expected: String) throws {
        #expect(try Template(template).render(scope) == expected)
    }

    @Test func aWholePlaceholderKeepsItsType() throws {
        #expect(try Template("{{config.count}}").value(scope) == 3)
        #expect(try Template("{{config.missing}}").value(scope) == .null)
        #expect(try Template("n{{config.count}}").value(scope) == "n3")
    }

    @Test(arguments: [
        ("{{confg.owner}}", "starts with one of"), ("{{config.owner | upper}}", "applies 'upper'"),
        ("/a/{{config.owner", "does not close"), ("{{}}", "empty"),
    ])
    func aBadTemplateIsExplained(template: String, message: String) {
        #expect(throws: Template.Problem.self) { try Template(template) }
        do {
            _ = try Template(template)
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}

/// Pagination as a pure state machine, with its guards.
struct PaginatorTests {
    @Test func aLinkHeaderGivesTheNextPage() throws {
        let header = #"<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last""#
        #expect(Paginator.nextLink(header) == "https://api.github.com/x?page=2")
        #expect(Paginator.nextLink(#"<https://a/x?page=5>; rel="last""#) == nil)
        let paginator = Paginator(PaginationSpec(type: "link"), pageSize: 100)
        let next = try paginator.next(after: paginator.first, body: [], link: header, count: 100)
        #expect(next?.url == "https://api.github.com/x?page=2" && next?.pages == 1)
        #expect(try paginator.next(after: paginator.first, body: [], link: nil, count: 100) == nil)
    }

    @Test func aCursorInTheBodyAndGraphQLPageInfo() throws {
        let paginator = Paginator(
            PaginationSpec(
                type: "cursor", path: "data.issues.pageInfo.endCursor", hasMorePath: "data.issues.pageInfo.hasNextPage",
                param: "after", variable: true), pageSize: 50)
        let more: JSONValue = ["data": ["issues": ["pageInfo": ["hasNextPage": true, "endCursor": "c1"]]]]
        let next = try #require(try paginator.next(after: paginator.first, body: more, link: nil, count: 50))
        #expect(paginator.extras(next).variables == ["after": "c1"])
        #expect(paginator.extras(paginator.first).variables == ["after": .null], "the first page sends null")
        let last: JSONValue = ["data": ["issues": ["pageInfo": ["hasNextPage": false, "endCursor": "c2"]]]]
        #expect(try paginator.next(after: next, body: last, link: nil, count: 50) == nil)
    }

    @Test func offsetPageAndKeysetStopAtAShortPage() throws {
        let offset = Paginator(PaginationSpec(type: "offset", param: "offset"), pageSize: 10)
        let second = try #require(try offset.next(after: offset.first, body: [], link: nil, count: 10))
        #expect(second.offset == 10 && offset.extras(second).query.first?.1 == "10")
        #expect(try offset.next(after: second, body: [], link: nil, count: 4) == nil)
        let page = Paginator(PaginationSpec(type: "page", param: "page", startAt: 1), pageSize: 10)
        #expect(try page.next(after: page.first, body: [], link: nil, count: 10)?.number == 2)
        let keyset = Paginator(PaginationSpec(type: "keyset", param: "after"), pageSize: 2)
        let next = try keyset.next(after: keyset.first, body: [], link: nil, count: 2, last: ["id": "b"])
        #expect(next?.cursor == "b")
        #expect(try keyset.next(after: keyset.first, body: [], link: nil, count: 1, last: ["id": "a"]) == nil)
    }

    @Test func anEmptyPageEndsTheReadWhateverTheAnswerSays() throws {
        let paginator = Paginator(PaginationSpec(type: "nextURL", path: "next"), pageSize: 10)
        #expect(try paginator.next(after: paginator.first, body: ["next": "https://x/2"], link: nil, count: 0) == nil)
    }

    @Test func aRepeatedPositionOrTooManyPagesIsALoop() throws {
        let paginator = Paginator(PaginationSpec(type: "cursor", path: "next", param: "after"), pageSize: 10)
        let a = try #require(try paginator.next(after: paginator.first, body: ["next": "A"], link: nil, count: 10))
        #expect(throws: Paginator.Loop.self) { try paginator.next(after: a, body: ["next": "A"], link: nil, count: 10) }
        let b = try #require(try paginator.next(after: a, body: ["next": "B"], link: nil, count: 10))
        #expect(throws: Paginator.Loop.self, "A, B, A") {
            try paginator.next(after: b, body: ["next": "A"], link: nil, count: 10)
        }
        let capped = Paginator(PaginationSpec(type: "offset", param: "o", maxPages: 3), pageSize: 1)
        var position = capped.first
        position = try #require(try capped.next(after: position, body: [], link: nil, count: 1))
        position = try #require(try capped.next(after: position, body: [], link: nil, count: 1))
        #expect(throws: Paginator.Loop.self) { try capped.next(after: position, body: [], link: nil, count: 1) }
    }

    @Test func aPositionSurvivesAsThePageCursor() throws {
        var position = PagePosition(cursor: "abc")
        position.pages = 4
        let text = position.text
        #expect(PagePosition(text: text, first: PagePosition()) == position)
        #expect(PagePosition(text: nil, first: PagePosition(offset: 0)).offset == 0)
    }
}

/// Records into entity inputs.
struct RecordMapperTests {
    static let manifest = """
        name: t
        displayName: T
        description: d
        version: 1.0.0
        base: https://example.com
        streams:
          - name: items
            entity: Item
            request: {path: /items}
            id: "{{record.repo}}#{{record.number}}"
            emits: [{path: owner, stream: people}]
            fields:
              title: {type: string}
              count: {type: int, path: stats.count}
              when: {type: date, path: at}
              tags: {type: json, path: labels, item: name}
              owner: {type: ref, to: Person, path: owner.login}
              watchers: {type: refs, to: Person, item: login}
          - name: people
            entity: Person
            id: login
            fields:
              login: {type: string}
        """

    @Test func fieldsAreReadAndConverted() throws {
        let compiled = try ManifestLoader.load(Self.manifest, source: "test")
        let stream = try #require(compiled.stream("items"))
        let mapper = RecordMapper(stream, compiled: compiled)
        let record: JSONValue = [
            "repo": "octo/hello", "number": 7, "title": 42, "stats": ["count": "12"], "at": "2025-01-02T03:04:05Z",
            "labels": [["name": "bug"], ["name": "ui"]], "owner": ["login": "ada"],
            "watchers": [["login": "ada"], ["login": "bob"], ["login": "ada"]],
        ]
        let input = try mapper.input(record, parent: nil, config: [:])
        #expect(input.ref == Ref("Item", "octo/hello#7"))
        #expect(input["title"] == "42", "a number where text is expected is kept as text")
        #expect(input["count"] == .int(12))
        #expect(input["when"] == .date(try #require(ISO8601.parse("2025-01-02T03:04:05Z"))))
        #expect(input["tags"] == .json(["bug", "ui"]))
        #expect(input["owner"] == .ref(Ref("Person", "ada")))
        #expect(input["watchers"] == .refs([Ref("Person", "ada"), Ref("Person", "bob")]))
        let sparse = try mapper.input(["repo": "r", "number": 1], parent: nil, config: [:])
        #expect(sparse["title"] == .null && sparse["watchers"] == .refs([]), "missing values are null, not errors")
        #expect(throws: MaxError.self, "a record without its id") {
            try RecordMapper(try #require(compiled.stream("people")), compiled: compiled).input(
                ["name": "x"], parent: nil, config: [:])
        }
    }
}

/// What the loader refuses, with the path of each problem.
struct ManifestLoaderTests {
    static func problems(_ text: String) -> String {
        do {
            _ = try ManifestLoader.load(text, source: "test.yaml")
            return ""
        } catch let error as MaxError {
            #expect(error.code == .manifestInvalid)
            return error.message
        } catch {
            return "\(error)"
        }
    }

    static let head = """
        name: t
        displayName: T
        description: d
        version: 1.0.0
        base: https://example.com

        """

    @Test(arguments: [
        ("streams: []", "streams: must have at least 1"),
        (
            "streams:\n  - {name: a, entity: A, request: {path: /a}, fields: {x: {type: text}}}",
            "streams[0].fields.x.type"
        ),
        (
            "streams:\n  - {name: a, entity: A, parent: b, request: {path: /a}, fields: {}}",
            "'b' is not a stream declared before"
        ),
        (
            "streams:\n  - {name: a, entity: A, request: {path: /a}, fields: {p: {type: ref, to: B}}}",
            "streams[0].fields.p.to: 'B' is not an entity type"
        ),
        (
            "streams:\n  - {name: a, entity: A, request: {path: \"/{{parent.name}}\"}, fields: {}}",
            "of the parent only {{parent.id}} is known"
        ),
        (
            "streams:\n  - {name: a, entity: A, request: {path: /a}, incremental: {cursorField: u}, fields: {}}",
            "never reads {{since}}"
        ),
        ("streams:\n  - {name: a, entity: A, fields: {}}", "nothing fills it"),
        (
            "auth: {type: bearer, credential: nope}\nstreams:\n  - {name: a, entity: A, request: {path: /a}, fields: {}}",
            "auth.credential: 'nope' is not one of the manifest's credentials"
        ),
        ("streams:\n  - {name: a, entity: A, request: {path: /a}, fields: {}, extra: 1}", "streams[0].extra"),
        ("streams: [oops", "not valid YAML"),
    ])
    func aProblemIsNamedWithItsPath(streams: String, expected: String) {
        let message = Self.problems(Self.head + streams)
        #expect(message.contains(expected), "\(message)")
        #expect(message.contains("test.yaml"))
    }

    @Test func fieldsKeepTheOrderTheManifestWritesThem() throws {
        let yaml =
            Self.head
            + "streams:\n  - {name: a, entity: A, request: {path: /a}, fields: {zeta: {type: string}, alpha: {type: int}, mid: {type: bool}}}"
        let fromYAML = try ManifestLoader.load(yaml, source: "test.yaml")
        #expect(fromYAML.schema.definition(named: "A")?.fields.map(\.name) == ["zeta", "alpha", "mid"])
        let json = #"""
            {"name": "t", "displayName": "T", "description": "d", "version": "1.0.0", "base": "https://x",
             "streams": [{"name": "a", "entity": "A", "request": {"path": "/a"},
                          "fields": {"zeta": {"type": "string"}, "alpha": {"type": "int"}}}]}
            """#
        let fromJSON = try ManifestLoader.load(json, source: "test.json")
        #expect(fromJSON.schema.definition(named: "A")?.fields.map(\.name) == ["zeta", "alpha"])
    }

    @Test func jsonIsReadAsJSONWithItsOwnErrors() {
        #expect(Self.problems(#"{"name": "t", "name": "u"}"#).contains("not valid JSON"))
    }

    @Test(arguments: BundledManifests.names)
    func everyBundledManifestIsValid(name: String) throws {
        let connector = try BundledManifests.connector(named: name)
        try connector.validateDefinition()
        #expect(connector.def.name == name)
        #expect(!connector.info.schema.entityTypes.isEmpty)
    }

    @Test func theSchemaInTheDocsIsTheOneManifestsAreCheckedAgainst() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/declarative-connector.schema.json")
        let written = try JSONValue(parsing: String(contentsOf: docs, encoding: .utf8))
        let same = written == ManifestSchema.schema
        #expect(same, "regenerate it: max connector schema > docs/declarative-connector.schema.json")
    }

    @Test func theScaffoldIsValid() throws {
        let compiled = try ManifestLoader.load(ManifestScaffold.text(name: "my-api"), source: "scaffold")
        #expect(compiled.schema.entityTypes.map(\.name).contains("MyApiRecord"))
    }
}

/// A source's reset headers become waits, and a pause holds requests already queued.
struct RateLimitHeaderTests {
    @Test(arguments: [
        ("1700000010", "epochSeconds", Duration.seconds(10)),
        ("1700000002500", "epochMilliseconds", .milliseconds(2500)),
        ("7", "seconds", .seconds(7)), ("1699999990", "epochSeconds", .zero),
    ])
    func resetHeadersBecomeWaits(value: String, unit: String, expected: Duration) {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(ManifestRequester.wait(until: value, unit: unit, now: now) == expected)
    }

    @Test func aPauseHoldsARequestThatAlreadyHadItsToken() async throws {
        let clock = ManualClock()
        let limiter = RequestLimiter(RateLimit(rate: 100, burst: 10), clock: ElapsedClock(clock))
        #expect(try await limiter.acquire() == .zero)
        limiter.pause(for: .seconds(3))
        async let held: Void = limiter.waitOutPause()
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(3))
        try await held
        #expect(try await limiter.acquire() == .zero, "the rate is kept after the pause")
    }
}
