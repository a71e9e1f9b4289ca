import MaxCore
import Synchronization

/// The calls of an ``RPCConnection`` waiting for their answers.
///
/// A lock rather than the connection's actor guards it, so that a cancelled call's handler (which
/// runs synchronously, wherever the cancellation came from) can end the wait at once.
final class CallTable: Sendable {
    private struct State {
        /// Calls waiting, by id.
        var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        /// Calls sent and not answered yet; an answer to any other id is ignored.
        var expected: Set<Int> = []
        /// Answers that arrived before their call began to wait.
        var early: [Int: Result<JSONValue, any Error>] = [:]
        /// Calls cancelled before they began to wait.
        var cancelled: Set<Int> = []
        /// Why the connection ended, once it has.
        var ended: MaxError?
    }

    private let state = Mutex(State())

    /// A call with `id` is about to be sent.
    func expect(_ id: Int) {
        state.withLock { _ = $0.expected.insert(id) }
    }

    /// The call with `id` was never sent.
    func forget(_ id: Int) {
        state.withLock { state in
            state.expected.remove(id)
            state.cancelled.remove(id)
        }
    }

    /// Waits for the answer to `id`: resumes `continuation` at once when it is already there, the
    /// call was cancelled, or the connection has ended.
    func wait(_ id: Int, _ continuation: CheckedContinuation<JSONValue, any Error>) {
        let now: Result<JSONValue, any Error>? = state.withLock { state in
            if let answer = state.early.removeValue(forKey: id) {
                state.expected.remove(id)
                return answer
            }
            if state.cancelled.remove(id) != nil {
                state.expected.remove(id)
                return .failure(CancellationError())
            }
            if let ended = state.ended {
                state.expected.remove(id)
                return .failure(ended)
            }
            state.pending[id] = continuation
            return nil
        }
        if let now { continuation.resume(with: now) }
    }

    /// The answer to `id` arrived.
    func resolve(_ id: Int, with result: Result<JSONValue, any Error>) {
        let waiting: CheckedContinuation<JSONValue, any Error>? = state.withLock { state in
            if let continuation = state.pending.removeValue(forKey: id) {
                state.expected.remove(id)
                return continuation
            }
            if state.expected.contains(id) { state.early[id] = result }
            return nil
        }
        waiting?.resume(with: result)
    }

    /// The call with `id` was cancelled: it stops waiting with `CancellationError`.
    func cancel(_ id: Int) {
        let waiting: CheckedContinuation<JSONValue, any Error>? = state.withLock { state in
            if let continuation = state.pending.removeValue(forKey: id) {
                state.expected.remove(id)
                return continuation
            }
            if state.expected.contains(id) { state.cancelled.insert(id) }
            return nil
        }
        waiting?.resume(throwing: CancellationError())
    }

    /// The connection ended: every waiting call fails with `error`, and so do later ones.
    func end(_ error: MaxError) {
        let stranded = state.withLock { state in
            state.ended = error
            let stranded = state.pending
            state.pending = [:]
            state.expected = []
            state.early = [:]
            state.cancelled = []
            return stranded
        }
        for continuation in stranded.values { continuation.resume(throwing: error) }
    }
}
