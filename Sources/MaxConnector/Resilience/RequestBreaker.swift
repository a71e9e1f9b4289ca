public import MaxCore
import Synchronization

/// The circuit breaker every request of one installation passes through: a ``CircuitBreaker``
/// behind a lock, waiting on an ``ElapsedClock``, remembering the last errors for its message.
public final class RequestBreaker: Sendable {
    private struct State {
        var breaker: CircuitBreaker
        var lastErrors: [String] = []
    }

    private let state: Mutex<State>
    private let clock: ElapsedClock
    /// The host the breaker guards, for messages.
    public let host: String

    /// A closed breaker for `host`.
    public init(_ settings: CircuitBreaker.Settings, host: String, clock: ElapsedClock = .continuous) {
        state = Mutex(State(breaker: CircuitBreaker(settings: settings)))
        self.host = host
        self.clock = clock
    }

    /// Waits until a request may go out.
    ///
    /// - Returns: ``CircuitBreaker/State/halfOpen`` when the request is the probe of an open
    ///   breaker, else `nil`.
    /// - Throws: `sync.circuit_open` once the breaker has been open for its maximum, naming the host
    ///   and the last errors; `CancellationError`.
    @discardableResult
    public func admit() async throws -> CircuitBreaker.State? {
        while true {
            let now = clock.elapsed()
            let (before, permit, after, errors) = state.withLock {
                let before = $0.breaker.state
                let permit = $0.breaker.permit(at: now)
                return (before, permit, $0.breaker.state, $0.lastErrors)
            }
            switch permit {
            case .proceed:
                return before != after ? after : nil
            case .wait(let duration):
                try await clock.sleep(duration)
            case .reject(let openFor):
                throw MaxError(
                    .circuitOpen,
                    "\(host) kept failing: its circuit breaker has been open for \(openFor.components.seconds) s"
                        + (errors.isEmpty ? "" : " (last errors: \(errors.joined(separator: "; ")))"),
                    hint: "check that \(host) is up; the next \"max sync\" resumes where this one stopped",
                    context: ["host": host])
            }
        }
    }

    /// Records how a request ended; returns the new state if it changed.
    @discardableResult
    public func record(failure: MaxError?) -> CircuitBreaker.State? {
        let now = clock.elapsed()
        return state.withLock { state in
            if let failure {
                let text = "\(failure.code): \(failure.message)"
                state.lastErrors.removeAll { $0 == text }
                state.lastErrors.append(text)
                if state.lastErrors.count > 3 { state.lastErrors.removeFirst() }
            }
            return state.breaker.record(failure: failure != nil, at: now)
        }
    }

    /// The state now.
    public var current: CircuitBreaker.State { state.withLock { $0.breaker.state } }
}

extension MaxError.Code {
    /// An installation's source kept failing until its circuit breaker gave up.
    public static let circuitOpen = Self(domain: "sync", name: "circuit_open", category: .transient)
}
