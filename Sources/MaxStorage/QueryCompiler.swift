import GRDB
import MaxCore
package import MaxQuery

/// A ``CheckedQuery`` as SQLite runs it: MaxQuery's ``SQLCompiler`` for the SQLite dialect, with
/// its values as GRDB's.
///
/// The SQL is shared with the PostgreSQL store, so both answer the same filters, orderings and
/// cursors with the same rows.
package struct QueryCompiler: Sendable {
    let compiler: SQLCompiler

    package init(_ query: CheckedQuery) {
        self.compiler = SQLCompiler(query, dialect: .sqlite)
    }

    /// One page, with one row more than its limit (see ``SQLCompiler/selectPage()``).
    package func selectPage() -> SQLFragment { SQLFragment(compiler.selectPage()) }

    /// The rows after `cursor`, at most `limit`.
    func select(after cursor: QueryCursor?, limit: Int) -> SQLFragment {
        SQLFragment(compiler.select(after: cursor, limit: limit))
    }

    /// The count of the matching rows.
    package func count() -> SQLFragment { SQLFragment(compiler.count()) }
    /// `SELECT <fields>, COUNT(*) … GROUP BY …`.
    package func countGroups() -> SQLFragment { SQLFragment(compiler.countGroups()) }

    /// The statements that remove the matching rows for good.
    func erase() -> [SQLFragment] { compiler.erase().map(SQLFragment.init) }
}

extension SQLFragment {
    /// A statement of the SQLite dialect, its values as GRDB's.
    init(_ statement: SQLStatement) {
        self.init(
            statement.sql,
            statement.values.map { value in
                switch value {
                case .null: .null
                case .int(let number): number.databaseValue
                case .double(let number): number.databaseValue
                case .text(let text): text.databaseValue
                case .bool(let flag): (flag ? 1 as Int64 : 0).databaseValue
                }
            })
    }
}
