/// The source's request limits, and the headers that report them.
public struct RateLimitSpec: Codable, Sendable, Hashable {
    /// Requests a second, sustained.
    public var rate: Double?
    /// Requests that may go out at once after a quiet spell.
    public var burst: Int?
    /// Requests in flight at once.
    public var concurrency: Int?
    /// The windows the source reports in headers (requests, and for some GraphQL APIs complexity):
    /// when one has nothing left, no request goes out before it resets.
    public var windows: [RateLimitWindow]?
    /// Statuses that mean "rate limited" when they come with `Retry-After` or no requests
    /// remaining (GitHub's secondary limits answer 403); 429 always does.
    public var limitedStatuses: [Int]?
}

/// One rate-limit window a source reports in its response headers.
public struct RateLimitWindow: Codable, Sendable, Hashable {
    /// The header saying how many requests (or points) are left (`x-ratelimit-remaining`).
    public var remaining: String
    /// The header saying when the window resets (`x-ratelimit-reset`).
    public var reset: String
    /// What the reset header holds: `epochSeconds` (the default), `epochMilliseconds`, or `seconds`
    /// from now.
    public var unit: String?
}
