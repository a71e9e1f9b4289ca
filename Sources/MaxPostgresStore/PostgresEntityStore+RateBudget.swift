import Foundation
import MaxCore
import MaxQuery
import PostgresNIO

/// A source's request budget kept in the database, so every worker of every machine draws on the
/// same one: a token bucket whose row each request updates in one statement, timed by the
/// server's clock (the workers' clocks need not agree).
extension PostgresEntityStore {
    /// Takes one token from the bucket `key`, filled at `rate` a second up to `burst`.
    ///
    /// An empty bucket still gives the token, reserved ahead: the bucket goes below zero and the
    /// caller waits the time it takes to fill back to zero, so requests leave at the rate however
    /// many workers ask at once.
    ///
    /// - Returns: How long to wait before sending the request.
    /// - Throws: `storage.postgres_failed`.
    public func takeToken(_ key: String, rate: Double, burst: Int) async throws -> Duration {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    INSERT INTO _max_rate_buckets AS b (key, tokens, updated_at)
                    SELECT $1, $3::double precision - 1, extract(epoch FROM clock_timestamp()) * 1000
                    ON CONFLICT (key) DO UPDATE SET
                      tokens = least($3::double precision,
                        b.tokens + greatest(excluded.updated_at - b.updated_at, 0) * $2::double precision / 1000) - 1,
                      updated_at = greatest(excluded.updated_at, b.updated_at)
                    RETURNING tokens
                    """,
                values: [.text(key), .double(rate), .double(Double(burst))]))
        let tokens = try rows.first?.decode(Double.self) ?? 0
        guard tokens < 0, rate > 0 else { return .zero }
        return .milliseconds(Int64((-tokens / rate * 1000).rounded(.up)))
    }
}
