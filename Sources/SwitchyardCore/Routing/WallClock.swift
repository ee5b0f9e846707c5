import Foundation

/// The source of "now" for contract instants and ledger times. Injected so tests control time.
public protocol WallClock: Sendable {
    /// The current instant (UTC).
    func now() -> Date
}

/// The system clock.
public struct SystemWallClock: WallClock {
    /// Creates the system clock.
    public init() {}
    public func now() -> Date { Date() }
}
