import Foundation
import MaxCore

/// Where the next page of a stream's request starts: the sync task's page cursor, as JSON, so an
/// interrupted sync resumes at the page it was on.
struct PagePosition: Codable, Sendable, Hashable {
    /// The next page's URL (`link`, `nextURL`).
    var url: String?
    /// The token to send (`cursor`).
    var cursor: String?
    /// The offset to send (`offset`).
    var offset: Int?
    /// The page number to send (`page`).
    var number: Int?
    /// Pages read so far.
    var pages = 0
    /// The position before this one, as its key, to notice a source that sends two positions in turn.
    var previous: String?

    /// What tells two positions apart.
    var key: String { url ?? cursor ?? offset.map { "o\($0)" } ?? number.map { "p\($0)" } ?? "" }

    /// As a page cursor.
    var text: String { (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? "{}" }

    /// From a page cursor; the first page's position when there is none.
    init(text: String?, first: PagePosition) {
        guard let text, let position = try? JSONDecoder().decode(PagePosition.self, from: Data(text.utf8)) else {
            self = first
            return
        }
        self = position
    }

    init(url: String? = nil, cursor: String? = nil, offset: Int? = nil, number: Int? = nil) {
        self.url = url
        self.cursor = cursor
        self.offset = offset
        self.number = number
    }
}

/// A stream's pagination as a pure state machine: what each page's request carries, and where the
/// next page starts after an answer, with the guards that keep a sync from looping.
///
/// `keyset` sends the last record's key (`path`, `id` by default) as `param` (`?after=<id>`).
///
/// A read stops at an empty page, whatever the answer says of more; at a page shorter than the page
/// size for `offset`, `page` and `keyset`; when the next link, URL or token is missing (or `hasMorePath` is
/// false). It fails with `manifest.pagination_loop` when the next position is the current or the
/// previous one, or after `maxPages` pages.
struct Paginator: Sendable {
    /// The most pages one read takes unless the manifest says otherwise.
    static let defaultMaximumPages = 10_000

    let spec: PaginationSpec
    let pageSize: Int

    init(_ spec: PaginationSpec?, pageSize: Int) {
        self.spec = spec ?? PaginationSpec(type: "none")
        self.pageSize = pageSize
    }

    /// The first page's position.
    var first: PagePosition {
        switch spec.type {
        case "offset": PagePosition(offset: 0)
        case "page": PagePosition(number: spec.startAt ?? 1)
        default: PagePosition()
        }
    }

    /// `page` in a template's scope: `{{page.size}}`, `{{page.cursor}}`, `{{page.offset}}`, `{{page.number}}`.
    func scope(_ position: PagePosition) -> JSONValue {
        var page: [String: JSONValue] = ["size": .int(pageSize)]
        if let cursor = position.cursor { page["cursor"] = .string(cursor) }
        if let offset = position.offset { page["offset"] = .int(offset) }
        if let number = position.number { page["number"] = .int(number) }
        return .object(page)
    }

    /// What the request for `position` carries beyond its template: a whole URL, a query parameter or
    /// a GraphQL variable.
    func extras(_ position: PagePosition) -> (url: String?, query: [(String, String)], variables: [String: JSONValue]) {
        var value: JSONValue?
        switch spec.type {
        case "link", "nextURL": return (position.url, [], [:])
        case "cursor", "keyset": value = position.cursor.map(JSONValue.string)
        case "offset": value = position.offset.map(JSONValue.int)
        case "page": value = position.number.map(JSONValue.int)
        default: return (nil, [], [:])
        }
        guard let param = spec.param else { return (nil, [], [:]) }
        if spec.variable == true { return (nil, [], [param: value ?? .null]) }
        guard let value else { return (nil, [], [:]) }
        return (nil, [(param, Template.text(of: value))], [:])
    }

    /// Where the next page starts after `position` answered `body` with `count` records; `nil` when
    /// the read is done.
    ///
    /// - Throws: ``Loop`` when the next position repeats the current or previous one, or the pages
    ///   exceed the most allowed.
    func next(
        after position: PagePosition, body: JSONValue, link: String?, count: Int, last: JSONValue? = nil
    ) throws(Loop) -> PagePosition? {
        guard count > 0 else { return nil }
        var next: PagePosition
        switch spec.type {
        case "keyset":
            guard count >= pageSize, let key = last?.at(dotted: spec.path ?? "id"), !Template.text(of: key).isEmpty
            else { return nil }
            next = PagePosition(cursor: Template.text(of: key))
        case "link":
            guard let url = Self.nextLink(link) else { return nil }
            next = PagePosition(url: url)
        case "nextURL":
            guard let url = body.at(dotted: spec.path).flatMap(\.stringValue), !url.isEmpty else { return nil }
            next = PagePosition(url: url)
        case "cursor":
            if let flag = spec.hasMorePath.flatMap({ body.at(dotted: $0) }), flag.boolValue != true { return nil }
            guard let token = body.at(dotted: spec.path), !token.isNull, !Template.text(of: token).isEmpty else {
                return nil
            }
            next = PagePosition(cursor: Template.text(of: token))
        case "offset":
            guard count >= pageSize else { return nil }
            next = PagePosition(offset: (position.offset ?? 0) + count)
        case "page":
            guard count >= pageSize else { return nil }
            next = PagePosition(number: (position.number ?? spec.startAt ?? 1) + 1)
        default:
            return nil
        }
        next.pages = position.pages + 1
        next.previous = position.key
        if next.key == position.key || next.key == position.previous {
            // A URL is shown without its query, which may carry a key the source echoed back.
            let shown = next.url.map { String($0.prefix { $0 != "?" }) } ?? next.key
            throw Loop(message: "the next page's position repeats one already read (\(String(shown.prefix(80))))")
        }
        let maximum = spec.maxPages ?? Self.defaultMaximumPages
        if next.pages >= maximum {
            throw Loop(message: "it has read \(maximum) pages without an end (pagination.maxPages)")
        }
        return next
    }

    /// The `rel="next"` target of an RFC 8288 `Link` header.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for link in header.split(separator: ",") {
            let parts = link.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">") else { continue }
            let isNext = parts.dropFirst().contains { parameter in
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0].lowercased() == "rel" else { return false }
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: " ")
                    .contains("next")
            }
            if isNext { return String(target.dropFirst().dropLast()) }
        }
        return nil
    }

    /// Why a read stopped: its pagination does not end.
    struct Loop: Error, Sendable {
        let message: String
    }
}
