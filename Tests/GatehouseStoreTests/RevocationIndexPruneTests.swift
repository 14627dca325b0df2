import Foundation
@testable import GatehouseStore
import Testing

/// The amortized prune keeps the index close to one lifetime of revocations (bench/soak measured a
/// sawtooth between one and two lifetimes under a pure doubling rule).
@Suite("Revocation index: amortized pruning")
struct RevocationIndexPruneTests {
    @Test("under a steady revocation rate the index stays within a minute's revocations of one lifetime")
    func steadyRateStaysNearOneLifetime() {
        let index = RevocationIndex()
        index.setHorizon(300)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var peak = 0
        // 20 revocations a second for 1500 s: one lifetime holds 6000.
        for step in 0..<30_000 {
            let at = start.addingTimeInterval(Double(step) / 20)
            index.revokeGrants(["g\(step)"], at: at)
            if at.timeIntervalSince(start) > 600 { peak = max(peak, index.counts.grants) }
        }
        // One lifetime (6000) plus at most one prune interval's revocations (60 s × 20).
        #expect(peak <= 6000 + Int(RevocationIndex.pruneInterval) * 20 + 1, "peak \(peak)")
        #expect(peak >= 6000)
    }
}
