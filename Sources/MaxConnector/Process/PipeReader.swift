public import Foundation
import NIOCore
import NIOPosix

/// Reads a pipe to its end without blocking a thread: how Max keeps a connector's log.
public enum PipeReader {
    /// Reads `descriptor` (which it takes over and closes) until it ends, giving each chunk to
    /// `body`; stops early when the task is cancelled.
    ///
    /// - Throws: when the descriptor cannot be watched, or `CancellationError`.
    public static func read(_ descriptor: CInt, _ body: @Sendable (Data) -> Void) async throws {
        let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptor(input: descriptor) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound in
            for try await chunk in inbound { body(Data(chunk.readableBytesView)) }
        }
    }
}
