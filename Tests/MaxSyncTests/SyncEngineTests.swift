import Foundation
import MaxConnector
import MaxCore
import MaxQuery
import MaxStorage
import MaxStore
import MaxSync
import Synchronization
import Testing

/// A shelf of books behind a loader that can be told to fail for one shelf.
final class Library: Sendable {
    let books = Mutex<[String: [String]]>(["s1": (1...7).map { "b1-\($0)" }, "s2": (1...3).map { "b2-\($0)" }])
    let failingShelf = Mutex<String?>(nil)
}

struct LibraryConnector: ConnectorModule {
    struct Config: Codable, Sendable {}
    let library: Library

    static let schema = Schema(
        namespace: "library",
        entities: [
            EntityDef("Shelf", fields: [.string("name"), .collection("books", of: "Book")]),
            EntityDef("Book", fields: [.string("title"), .ref("shelf", to: "Shelf")]),
        ],
        roots: [EntityDef("Library", fields: [.collection("shelves", of: "Shelf")])])

    var def: ConnectorDef<Library> {
        ConnectorDef(
            name: "library", displayName: "Library", description: "Books", version: "1.0.0", schema: Self.schema,
            onboarding: OnboardingFlow([]),
            seeder: Seeder { _ in
                Seed(
                    entities: [EntityInput(Ref("Library", "main"))],
                    plan: SyncPlan([
                        .forRoot(Ref("Library", "main"), .loadCollection("shelves")),
                        .forAll("Shelf", .loadCollection("books")),
                        .forAll("Book", .loadFields(["title"])),
                    ]))
            },
            resolvers: [
                Resolver(
                    for: "Library",
                    collections: [
                        CollectionLoader("shelves", owner: "Library", field: "shelves", target: "Shelf") {
                            _, _, library in
                            .last(
                                library.books.withLock { $0.keys.sorted() }.map {
                                    EntityInput("Shelf", id: $0, fields: ["name": .string($0)])
                                })
                        }
                    ]),
                Resolver(
                    for: "Shelf",
                    collections: [
                        CollectionLoader("books", owner: "Shelf", field: "books", target: "Book", pageSize: 3) {
                            shelf, page, library in
                            if library.failingShelf.withLock({ $0 }) == shelf.id {
                                throw MaxError(.httpServerError, "the shelf service is down")
                            }
                            let all = library.books.withLock { $0[shelf.id] ?? [] }
                            let start = Int(page.cursor ?? "0") ?? 0
                            let slice = all[min(start, all.count)..<min(start + page.limit, all.count)]
                            let more = start + page.limit < all.count
                            return Page(
                                items: slice.map { EntityInput("Book", id: $0, fields: ["shelf": .ref(shelf)]) },
                                hasMore: more,
                                cursor: more ? String(start + page.limit) : nil)
                        }
                    ]),
                Resolver(
                    for: "Book",
                    loading: ["title"],
                    with: .batched("titles", for: "Book", batchSize: 4) { refs, _ in
                        refs.map { EntityInput($0, fields: ["title": .string("Title of \($0.id)")]) }
                    }),
            ])
    }

    func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<Library> {
        Installation(context: library)
    }
}

struct SyncEngineTests {
    let library = Library()
    let store: EntityStore
    let live: LiveInstallation

    init() throws {
        store = try EntityStore.inMemory(schema: LibraryConnector.schema)
        live = try LibraryConnector(library: library).initialise(config: [:], credentials: InMemoryCredentialStore())
    }

    private func ids(_ type: EntityType, _ filter: String? = nil) async throws -> [String] {
        try await store.page(try Query(type, filter: filter)).items.map(\.ref.id)
    }

    @Test func runsEveryStepPagesCollectionsAndLoadsFields() async throws {
        let indexes = try await store.indexNames()
        let events = Mutex<[String]>([])
        let summary = try await SyncEngine(concurrency: 3).sync(live, into: store) { event in
            if case .stepStarted(let index, _, let tasks) = event {
                events.withLock { $0.append("step \(index): \(tasks)") }
            }
        }
        #expect(summary.status == "completed")
        #expect(summary.tasksFailed == 0)
        #expect(events.withLock { $0 } == ["step 0: 1", "step 1: 2", "step 2: 1"])
        #expect(try await ids("Book").count == 10)
        #expect(try await ids("Book", #"title = "Title of b1-7""#) == ["b1-7"])
        #expect(try await ids("Shelf", #"books = "b1-5""#) == ["s1"])
        #expect(summary.entitiesWritten["Book"] == 20)  // listed, then titled
        #expect(try await store.latestRun()?.status == .completed)
        // The first sync loaded the tables without their indexes, then built them.
        #expect(try await store.indexNames() == indexes)
        #expect(indexes.contains("_max_links_by_target"))
    }

    @Test func failedTasksMakeARunPartialAndResumeRetriesThem() async throws {
        library.failingShelf.withLock { $0 = "s2" }
        let first = try await SyncEngine().sync(live, into: store)
        #expect(first.status == "partial")
        #expect(first.tasksFailed == 1)
        #expect(first.errors.first?.code == .httpServerError)
        #expect(try await ids("Book").count == 7)

        library.failingShelf.withLock { $0 = nil }
        let resumed = try await SyncEngine().sync(live, into: store, resume: true)
        #expect(resumed.status == "completed")
        #expect(resumed.runID == first.runID)
        #expect(try await ids("Book").count == 10)
        #expect(try await ids("Book", "title IS NULL").isEmpty, "the later steps ran after the resumed one")
    }

    @Test func aRunInterruptedBetweenAStepAndItsMarkerResumes() async throws {
        // A run stopped right after a step's marker task was queued, before it completed (Ctrl-C
        // can land there): the marker's payload holds only its step.
        // Step 0's task was queued first (as the engine does), then the marker.
        let run = try await store.beginRun(kind: "full")
        try await store.upsert([EntityInput(Ref("Library", "main"))])
        _ = try await store.enqueue(
            [
                NewSyncTask(
                    kind: "load_collection", entityType: "Library", entityID: "main", field: "shelves",
                    payload: #"{"step":0,"ids":["main"]}"#)
            ], in: run.id)
        _ = try await store.enqueue([NewSyncTask(kind: "step", payload: #"{"step":0}"#)], in: run.id)
        try store.cancelRun(run.id)
        let resumed = try await SyncEngine().sync(live, into: store, resume: true)
        #expect(resumed.runID == run.id)
        #expect(resumed.status == "completed")
        #expect(try await ids("Book").count == 10)
    }

    @Test func membersNoLongerListedAreTombstoned() async throws {
        _ = try await SyncEngine().sync(live, into: store)
        library.books.withLock { $0["s1"]?.removeAll { $0 == "b1-2" } }
        try await Task.sleep(for: .milliseconds(5))  // a later run start, on the millisecond clock storage keeps
        let second = try await SyncEngine().sync(live, into: store)
        #expect(second.status == "completed")
        #expect(try await ids("Book").count == 9)
        #expect(try await ids("Shelf", #"books = "b1-2""#).isEmpty)
        let tombstones = try await store.page(
            try Query("Book", filter: "_deleted_at IS NOT NULL", includeDeleted: true))
        #expect(tombstones.items.map(\.ref.id) == ["b1-2"])
    }
}
