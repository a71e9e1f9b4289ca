public import MaxCore

/// What the shared HTTP client reports as it deals with failures, for progress output and logs.
///
/// Requests are described as `GET https://host/path`: never a query string or a header.
public enum HTTPEvent: Sendable {
    /// An attempt failed transiently; the next one starts after `wait`.
    case retrying(request: String, attempt: Int, wait: Duration, code: MaxError.Code)
    /// The server answered 429; requests of the installation slow down, and pause for `wait` when
    /// the server said how long (`Retry-After`).
    case rateLimited(request: String, wait: Duration?, rate: Double?)
    /// The installation's circuit breaker changed state (open, half-open, closed).
    case breaker(state: CircuitBreaker.State, host: String)
}
