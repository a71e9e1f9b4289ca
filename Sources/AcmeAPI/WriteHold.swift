import ServiceLifecycle
import Synchronization

/// Writes held at the door until a test lets them through (`acme-server --hold-writes`, then
/// `POST /api/holds/release`): a client can be killed while its request is certainly at the
/// source, however slow the machine is.
final class WriteHold: Sendable {
    private struct State {
        var holding: Bool
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(holding: Bool) {
        state = Mutex(State(holding: holding))
    }

    /// Returns when writes may go on: at once unless they are held.
    func pass() async {
        await withCheckedContinuation { continuation in
            let held = state.withLock { state -> Bool in
                guard state.holding else { return false }
                state.waiting.append(continuation)
                return true
            }
            if !held { continuation.resume() }
        }
    }

    /// Lets the held writes through, and holds no more unless `keepHolding`; returns how many
    /// were held.
    func release(keepHolding: Bool = false) -> Int {
        let waiting = state.withLock { state in
            state.holding = keepHolding
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
        return waiting.count
    }
}

extension WriteHold: Service {
    /// Lets every held write through when the server begins to shut down, so it never waits for
    /// a release that will not come.
    func run() async throws {
        try? await gracefulShutdown()
        _ = release()
    }
}
