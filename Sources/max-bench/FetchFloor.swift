import Foundation
import MaxConnector
import MaxCore
import Synchronization

/// The fetch floor: the list requests a sync of Acme makes, bodies discarded.
///
/// The client does nothing with a body but find the next page's cursor, so what Max takes beyond
/// it is Max's own cost.
struct FetchFloor {
    let baseURL: String
    let apiKey: String
    let pageSize: Int
    /// Requests in flight, as many as the sync's workers.
    var concurrency = 8

    struct Result {
        let wall: Double
        let requests: Int
        let bytes: Int
    }

    func run() async throws -> Result {
        let client = Client(baseURL: baseURL, apiKey: apiKey, pageSize: pageSize)
        let started = ContinuousClock.now
        let workspaces = try await client.get("/api/workspaces")
        guard let workspace = Self.lastID(in: workspaces) else { throw FloorError("no workspace") }
        _ = try await client.get("/api/workspaces/\(workspace)")
        _ = try await client.walk("/api/users", "workspaceId=\(workspace)")
        let projects = try await client.walk("/api/projects", "workspaceId=\(workspace)")
        let lists = projects.flatMap { [("/api/tasks", "projectId=\($0)"), ("/api/files", "projectId=\($0)")] }
        try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, list) in lists.enumerated() {
                if index >= concurrency { _ = try await group.next() }
                group.addTask { try await client.walk(list.0, list.1) }
            }
            try await group.waitForAll()
        }
        let (requests, bytes) = client.totals.withLock { $0 }
        return Result(wall: Measurements.seconds(since: started), requests: requests, bytes: bytes)
    }

    /// The requests, counted.
    private final class Client: Sendable {
        let baseURL: String
        let headers: [(String, String)]
        let pageSize: Int
        let http: ConnectorHTTPClient
        let totals = Mutex((requests: 0, bytes: 0))

        init(baseURL: String, apiKey: String, pageSize: Int) {
            self.baseURL = baseURL
            self.headers = [("Authorization", "Bearer \(apiKey)")]
            self.pageSize = pageSize
            var http = ConnectorHTTPClient.shared
            http.retryPolicy = .none
            self.http = http
        }

        func get(_ pathAndQuery: String) async throws -> Data {
            let response = try await http.send(.init(.get, baseURL + pathAndQuery, headers: headers)).requireSuccess()
            totals.withLock {
                $0.requests += 1
                $0.bytes += response.body.count
            }
            return response.body
        }

        /// Every page of one list, in order; returns the ids it listed for projects (to walk next).
        func walk(_ path: String, _ filter: String) async throws -> [String] {
            var after: String?
            var ids: [String] = []
            while true {
                let body = try await get(path + "?\(filter)&limit=\(pageSize)" + (after.map { "&after=\($0)" } ?? ""))
                if path == "/api/projects" { ids += FetchFloor.ids(in: body) }
                guard let last = FetchFloor.lastID(in: body), FetchFloor.count(in: body) == pageSize else { return ids }
                after = last
            }
        }
    }

    private static let idKey = Array(#""id":""#.utf8)

    /// The value of the last `"id":"…"` in the body: a list's last item's id, the next cursor.
    static func lastID(in body: Data) -> String? {
        body.withUnsafeBytes { raw -> String? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = bytes.count - idKey.count
            while index >= 0 {
                if bytes[index] == UInt8(ascii: "\""), matches(bytes, at: index) {
                    let start = index + idKey.count
                    guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                    return String(decoding: bytes[start..<end], as: UTF8.self)
                }
                index -= 1
            }
            return nil
        }
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        for offset in 1..<idKey.count where bytes[index + offset] != idKey[offset] { return false }
        return true
    }

    /// How many items a list body holds (its `"id":"` keys).
    static func count(in body: Data) -> Int { ranges(in: body).count }

    /// Every id in a list body (small lists only: projects).
    static func ids(in body: Data) -> [String] {
        ranges(in: body).map { String(decoding: body[$0], as: UTF8.self) }
    }

    private static func ranges(in body: Data) -> [Range<Int>] {
        body.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var found: [Range<Int>] = []
            var index = 0
            while index + idKey.count <= bytes.count {
                if bytes[index] == UInt8(ascii: "\""), matches(bytes, at: index) {
                    let start = index + idKey.count
                    let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) ?? bytes.count
                    found.append(start..<end)
                    index = end
                }
                index += 1
            }
            return found
        }
    }
}

struct FloorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
