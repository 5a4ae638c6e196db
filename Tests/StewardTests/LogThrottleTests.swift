import Foundation
import StewardModel
@testable import StewardServer
import Testing

@Suite struct LogThrottleTests {
    /// A repeated line is let through once per interval and key, then says how many it held back.
    @Test func aRepeatedLineIsSaidOncePerIntervalWithTheCountHeldBack() {
        let clock = ManualClock()
        let throttle = LogThrottle(interval: 10, clock: clock.clock)
        #expect(throttle.admit("http busy") == 0)
        for _ in 0..<3 { #expect(throttle.admit("http busy") == nil) }
        #expect(throttle.admit("http full") == 0, "another kind has its own interval")
        clock.advance(9.5)
        #expect(throttle.admit("http busy") == nil)
        clock.advance(0.5)
        #expect(throttle.admit("http busy") == 4)
        #expect(throttle.admit("http busy") == nil)
        clock.advance(60)
        #expect(throttle.admit("http busy") == 1)
        #expect(throttle.admit("http full") == 0)
    }
}
