import MaxQuery
import Testing

/// `max sql`'s rewrite of `installation.View` names: only names, never strings or comments, and
/// every position maps back to the text the user wrote.
struct SQLTextTests {
    static let views = [
        "acme": ["acmetask": "\"acme.AcmeTask\"", "acmeuser": "\"acme.AcmeUser\""],
        "acme-1": ["acmetask": "\"acme-1.AcmeTask\""],
    ]

    @Test(arguments: [
        ("SELECT * FROM acme.AcmeTask", "SELECT * FROM \"acme.AcmeTask\""),
        ("select * from ACME . acmetask t", "select * from \"acme.AcmeTask\" t"),
        ("SELECT acme.AcmeTask.title FROM acme.AcmeTask", "SELECT \"acme.AcmeTask\".title FROM \"acme.AcmeTask\""),
        ("SELECT * FROM \"acme-1\".AcmeTask", "SELECT * FROM \"acme-1.AcmeTask\""),
        ("SELECT * FROM \"acme\".\"AcmeUser\"", "SELECT * FROM \"acme.AcmeUser\""),
        (
            "SELECT 'acme.AcmeTask' -- acme.AcmeTask\n/* acme.AcmeTask */",
            "SELECT 'acme.AcmeTask' -- acme.AcmeTask\n/* acme.AcmeTask */"
        ),
        ("SELECT x.acme.AcmeTask, acme.title, other.AcmeTask", "SELECT x.acme.AcmeTask, acme.title, other.AcmeTask"),
    ])
    func rewritesQualifiedViewNamesOnly(sql: String, expected: String) {
        #expect(SQLText(sql, qualifiedViews: Self.views, dialect: .sqlite).rewritten == expected)
    }

    @Test func postgresDollarQuotedStringsAreLeftAlone() {
        let sql = "SELECT $tag$ acme.AcmeTask $tag$, $$acme.AcmeUser$$ FROM acme.AcmeTask"
        #expect(
            SQLText(sql, qualifiedViews: Self.views, dialect: .postgres).rewritten
                == "SELECT $tag$ acme.AcmeTask $tag$, $$acme.AcmeUser$$ FROM \"acme.AcmeTask\"")
    }

    @Test func postgresGetsTheCaseOfViewsAndColumnsQuoted() {
        let text = SQLText(
            "SELECT duedate, DueDate, count(*), t.assignee FROM acmetask t WHERE \"dueDate\" > 'dueDate'",
            qualifiedViews: [:], dialect: .postgres,
            foldedNames: ["duedate": "\"dueDate\"", "acmetask": "\"AcmeTask\"", "count": "\"Count\""])
        #expect(
            text.rewritten
                == "SELECT \"dueDate\", \"dueDate\", count(*), t.assignee FROM \"AcmeTask\" t WHERE \"dueDate\" > 'dueDate'"
        )
    }

    @Test func positionsInTheRewrittenTextMapBackToTheUsers() throws {
        let sql = "SELECT t.title\nFROM acme.AcmeTask t JOIN acme.AcmeUser u ON u._id = t.asignee"
        let text = SQLText(sql, qualifiedViews: Self.views, dialect: .sqlite)
        let rewrittenOffset = try #require(text.rewritten.utf8.firstRange(of: "t.asignee".utf8)).lowerBound
        let offset = text.rewritten.utf8.distance(from: text.rewritten.utf8.startIndex, to: rewrittenOffset)
        let original = text.originalOffset(of: offset)
        let position = text.position(ofOriginalOffset: original)
        #expect(position.line == 2)
        #expect(position.column == 54)
        #expect(Array(position.text)[53...].starts(with: "t.asignee"))
        // Inside a rewritten name: the name's start.
        let inside = text.originalOffset(of: 20)
        #expect(text.position(ofOriginalOffset: inside).column == 6)
    }

    @Test(arguments: [
        ("SELECT _deleted FROM AcmeTask", true),
        ("SELECT count(*) FROM AcmeTask WHERE \"_deleted_at\" IS NOT NULL", true),
        ("SELECT '_deleted' FROM AcmeTask", false), ("SELECT deleted FROM AcmeTask -- _deleted", false),
    ])
    func namingDeletedBringsTombstonesIn(sql: String, mentions: Bool) {
        #expect(SQLText(sql, qualifiedViews: [:], dialect: .sqlite).mentionsDeleted == mentions)
    }

    @Test func firstWordsAndBlanks() {
        #expect(
            SQLText("  -- hi\n  with x as (select 1) select * from x", qualifiedViews: [:], dialect: .sqlite).firstWord
                == "with")
        #expect(SQLText("/* */", qualifiedViews: [:], dialect: .sqlite).firstWord == nil)
        #expect(SQLText.isBlank(" ; -- done\n ;", dialect: .sqlite))
        #expect(!SQLText.isBlank("; DELETE FROM x", dialect: .sqlite))
    }
}
