import Testing
@testable import GatehouseWeb

@Suite struct AdminWriteConditionsTests {
    @Test func entityTagListsFollowRFC9110() {
        #expect(AdminWriteConditions.entityTags("*") == ["*"])
        #expect(AdminWriteConditions.entityTags(#""abc""#) == [#""abc""#])
        #expect(AdminWriteConditions.entityTags(#"W/"a", "b,c" ,, "d""#) == [#"W/"a""#, #""b,c""#, #""d""#])
        #expect(AdminWriteConditions.entityTags(#""""#) == [#""""#])
        for bad in ["", "abc", #""a" b"#, #""a"b""#, #""é""#, #"w/"a""#, #""a"#, ",", "* , \"a\""] {
            #expect(AdminWriteConditions.entityTags(bad) == nil, "\(bad)")
        }
    }

    @Test func actionsLockTheirResource() {
        #expect(AdminWriteConditions.resourcePath("/admin/v1/tenants/a/clients/pk_1/rotate-secret") == "/admin/v1/tenants/a/clients/pk_1")
        #expect(AdminWriteConditions.resourcePath("/admin/v1/tenants/a/keys/rotate") == "/admin/v1/tenants/a/keys")
        #expect(AdminWriteConditions.resourcePath("/admin/v1/tenants/a/users") == "/admin/v1/tenants/a/users")
    }

    @Test func keyedLockRunsOneAtATimePerKey() async throws {
        let lock = KeyedAsyncLock()
        let log = LockLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await lock.withLock(i % 2 == 0 ? "a" : "b") {
                        await log.enter(i % 2 == 0 ? "a" : "b")
                        try await Task.sleep(nanoseconds: 1_000_000)
                        await log.leave(i % 2 == 0 ? "a" : "b")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await log.maxInside == 1)
    }
}

private actor LockLog {
    var inside: [String: Int] = [:]
    var maxInside = 0
    func enter(_ key: String) { inside[key, default: 0] += 1; maxInside = max(maxInside, inside[key]!) }
    func leave(_ key: String) { inside[key, default: 0] -= 1 }
}
