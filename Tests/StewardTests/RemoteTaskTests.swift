import Foundation
import Logging
import Testing
import StewardAgent
import StewardModel
import StewardPostgres
import StewardServer
import StewardStore

/// Remote tasks: their life, their permissions, the agent that carries them out only where its
/// owner allows, and delivery in seconds across replicas.
@Suite struct RemoteTaskTests {
    @Test(arguments: StoreKind.available) func aTaskLivesItsLifeAndEveryStepIsAudited(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate, platformId: "tasks")
            let path = APIRoute.createRemoteTask.path(device.deviceId.rawValue)
            let made: RemoteTaskView = try await api.created(.POST, path, RemoteTaskRequest(kind: .sync))
            #expect(made.state == .pending && made.createdBy != nil)
            #expect(made.expiresAt == env.clock.now.addingTimeInterval(86_400))

            // The device learns of it at its next check-in (its row counts pending tasks).
            let heartbeat = try await api.checkIn(device.deviceSecret, CheckInRequest(agentVersion: "t", hashes: SectionHashes(), managedAppsVersion: 0))
                .decode(CheckInResponse.self)
            #expect(heartbeat.remoteTasks == [RemoteTaskInstruction(id: made.id, kind: .sync)])
            let again = try await api.checkIn(device.deviceSecret, CheckInRequest(agentVersion: "t", hashes: SectionHashes(), managedAppsVersion: 0))
                .decode(CheckInResponse.self)
            #expect(again.remoteTasks == nil, "sent once")

            func report(_ state: RemoteTaskState, code: String? = nil) async throws -> APIResponse {
                try await api.send(
                    .POST, APIRoute.reportAgentTask.path(made.id.rawValue), token: device.deviceSecret,
                    json: RemoteTaskReport(state: state, result: code.map { RemoteTaskResult(code: $0) }))
            }
            env.clock.advance(5)
            #expect(try await report(.acknowledged).decode(RemoteTaskView.self).state == .acknowledged)
            env.clock.advance(5)
            #expect(try await report(.expired).errorCode == "invalid_value", "an agent cannot expire a task")
            #expect(try await report(.succeeded, code: "ok").status == .ok)
            #expect(try await report(.failed).errorCode == "invalid_transition", "a finished task stays finished")
            let shown = try await api.send(.GET, APIRoute.getRemoteTask.path(device.deviceId.rawValue, made.id.rawValue), token: api.adminToken)
                .decode(RemoteTaskView.self)
            #expect(shown.state == .succeeded && shown.result?.code == "ok")
            #expect(shown.sentAt != nil && shown.acknowledgedAt == made.createdAt.addingTimeInterval(5))
            #expect(shown.completedAt == made.createdAt.addingTimeInterval(10))

            // Cancelled before it is acknowledged; not after.
            let lock: RemoteTaskView = try await api.created(.POST, path, RemoteTaskRequest(kind: .lock))
            let cancelled = try await api.send(.DELETE, APIRoute.cancelRemoteTask.path(device.deviceId.rawValue, lock.id.rawValue), token: api.adminToken)
            #expect(try cancelled.decode(RemoteTaskView.self).state == .cancelled)
            #expect(try await api.send(.DELETE, APIRoute.cancelRemoteTask.path(device.deviceId.rawValue, made.id.rawValue), token: api.adminToken)
                .errorCode == "task_not_cancellable")
            let taken = try await api.send(.GET, APIRoute.agentTasks.path, token: device.deviceSecret).decode(RemoteTaskInstructions.self)
            #expect(taken.tasks.isEmpty, "a cancelled task never reaches the device")

            // Waiting tasks expire.
            let late: RemoteTaskView = try await api.created(.POST, path, RemoteTaskRequest(kind: .shutdown, expiresInMinutes: 1))
            env.clock.advance(120)
            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger)
            try await jobs.runJobs()
            #expect(try await api.send(.GET, APIRoute.getRemoteTask.path(device.deviceId.rawValue, late.id.rawValue), token: api.adminToken)
                .decode(RemoteTaskView.self).state == .expired)
            let list = try await api.send(.GET, APIRoute.listRemoteTasks.path(device.deviceId.rawValue), token: api.adminToken)
                .decode(Page<RemoteTaskView>.self).items
            #expect(list.map(\.id) == [late.id, lock.id, made.id], "newest first")

            // Audited: each task issued, the agent's outcome (actor: the device), the cancel, the expiry.
            let log = try await api.send(.GET, APIRoute.listAuditEntries.path + "?activity=RemoteTask", token: api.adminToken)
                .decode(Page<AuditEntryView>.self).items
            #expect(log.filter { $0.actorType == .admin || $0.actorType == .apiToken }.count == 4)
            let outcome = try #require(log.first { $0.actorType == .device })
            #expect(outcome.actorId == device.deviceId.rawValue && outcome.modifiedProperties.contains { $0.name == "state" && $0.newValue == "succeeded" })
            #expect(log.contains { $0.actorType == .system && $0.modifiedProperties.first?.newValue == "1" })
            #expect(try await env.storage.verifyAuditChain(tenantID: env.tenant.tenantId, chain: TestEnvironment.masterKey.auditChain).firstBroken == nil)
        }
    }

    /// Wipe and retire need their own permission and a confirmation; a scoped Help Desk
    /// Operator reaches only its group's devices, one by one or as a group.
    @Test(arguments: StoreKind.available) func destructiveTasksNeedTheirPermissionAndAConfirmation(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let outside = try await api.enroll(.corporate, platformId: "outside")
            let path = APIRoute.createRemoteTask.path(world.device.deviceId.rawValue)
            #expect(try await api.send(.POST, path, token: api.adminToken, json: RemoteTaskRequest(kind: .wipe)).errorCode == "invalid_value")
            #expect(try await api.send(.POST, path, token: api.adminToken, json: RemoteTaskRequest(kind: .wipe, confirm: "yes")).errorCode == "invalid_value")
            #expect(try await api.send(.POST, path, token: api.adminToken, json: RemoteTaskRequest(kind: .wipe, confirm: "wipe")).status == .created)

            let helpDesk = try await world.admin(role: .helpDeskOperator, scope: [world.deviceGroup.id])
            #expect(try await api.send(.POST, path, token: helpDesk, json: RemoteTaskRequest(kind: .retire, confirm: "retire")).status == .forbidden)
            #expect(try await api.send(.POST, path, token: helpDesk, json: RemoteTaskRequest(kind: .restart)).status == .created)
            #expect(try await api.send(
                .POST, APIRoute.createRemoteTask.path(outside.deviceId.rawValue), token: helpDesk, json: RemoteTaskRequest(kind: .restart)
            ).status == .notFound, "outside the operator's groups")
            let group = try await api.send(
                .POST, APIRoute.createGroupRemoteTasks.path(world.deviceGroup.id.rawValue), token: helpDesk, json: RemoteTaskRequest(kind: .sync))
            #expect(try group.decode(GroupRemoteTasksView.self).tasks.map(\.deviceId) == [world.device.deviceId])
            #expect(try await api.send(
                .POST, APIRoute.createGroupRemoteTasks.path(world.userGroup.id.rawValue), token: api.adminToken, json: RemoteTaskRequest(kind: .sync)
            ).errorCode == "invalid_value", "users take no tasks")
        }
    }

    /// Delivery is at least once: a task handed out and not acknowledged comes again once
    /// `taskRedeliverySeconds` have passed (at a check-in or a poll), and never once acknowledged.
    @Test(arguments: StoreKind.available) func anUnacknowledgedTaskIsHandedOutAgain(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            let made: RemoteTaskView = try await api.created(
                .POST, APIRoute.createRemoteTask.path(device.deviceId.rawValue), RemoteTaskRequest(kind: .lock))
            let heartbeat = CheckInRequest(agentVersion: "t", hashes: SectionHashes(), managedAppsVersion: 0)
            func checkIn() async throws -> [RemoteTaskInstruction]? {
                try await api.checkIn(device.deviceSecret, heartbeat).decode(CheckInResponse.self).remoteTasks
            }
            func poll() async throws -> [RemoteTaskInstruction] {
                try await api.send(.GET, APIRoute.agentTasks.path, token: device.deviceSecret).decode(RemoteTaskInstructions.self).tasks
            }
            let instruction = RemoteTaskInstruction(id: made.id, kind: .lock)
            #expect(try await checkIn() == [instruction])
            // The answer is lost: nothing comes again at once...
            #expect(try await checkIn() == nil)
            #expect(try await poll().isEmpty)
            env.clock.advance(59)
            #expect(try await checkIn() == nil)
            // ...but once the redelivery time has passed, at a poll or a check-in.
            env.clock.advance(2)
            #expect(try await poll() == [instruction])
            env.clock.advance(61)
            #expect(try await checkIn() == [instruction])
            // Acknowledged: never again.
            #expect(try await api.send(
                .POST, APIRoute.reportAgentTask.path(made.id.rawValue), token: device.deviceSecret,
                json: RemoteTaskReport(state: .acknowledged)).status == .ok)
            env.clock.advance(3600)
            #expect(try await checkIn() == nil)
            #expect(try await poll().isEmpty)
        }
    }

    /// A check-in's writes commit together: when any of them fails (here the managed-app states,
    /// made to fail by a trigger), neither the inventory nor the hand-out of its tasks is kept,
    /// and the next check-in hands the task out.
    @Test(arguments: StoreKind.available) func aCheckInsWritesCommitTogether(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let app: ManagedAppView = try await api.created(
                .POST, APIRoute.createApp.path, ManagedAppCreateRequest(name: "Tool", platform: .linux, packageId: "tool"))
            let device = try await api.enroll(.corporate)
            let made: RemoteTaskView = try await api.created(
                .POST, APIRoute.createRemoteTask.path(device.deviceId.rawValue), RemoteTaskRequest(kind: .sync))
            var request = try SampleInventory.fullRequest(SampleInventory.make())
            request.appStates = [AppStateReport(appId: app.id, state: .installed)]
            switch store {
            case .sqlite:
                try await env.execute("CREATE TRIGGER refuse BEFORE INSERT ON app_install_states BEGIN SELECT RAISE(ABORT, 'refused'); END")
            case .postgres:
                try await env.execute("""
                    CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$
                    """)
                try await env.execute("CREATE TRIGGER refuse BEFORE INSERT ON app_install_states FOR EACH ROW EXECUTE FUNCTION refuse()")
            }
            let failed = try await api.checkIn(device.deviceSecret, request)
            #expect(failed.status == .internalServerError)
            #expect(try await api.appCount(device.deviceId) == 0, "the inventory went with the failed states")
            let task = try await api.send(.GET, APIRoute.getRemoteTask.path(device.deviceId.rawValue, made.id.rawValue), token: api.adminToken)
            #expect(try task.decode(RemoteTaskView.self).state == .pending, "and the task was not handed out")

            try await env.execute(store == .sqlite ? "DROP TRIGGER refuse" : "DROP TRIGGER refuse ON app_install_states")
            let answer = try await api.checkIn(device.deviceSecret, request).decode(CheckInResponse.self)
            #expect(answer.remoteTasks == [RemoteTaskInstruction(id: made.id, kind: .sync)])
            #expect(try await api.appCount(device.deviceId) == 5)
            let states = try await api.send(.GET, APIRoute.listDeviceManagedApps.path(device.deviceId.rawValue), token: api.adminToken)
                .decode([DeviceManagedAppView].self)
            #expect(states.map(\.state) == [.installed])
        }
    }

    /// The agent remembers what it ran: a task handed out again (its reports were lost) is
    /// reported from memory, not run twice.
    @Test(arguments: StoreKind.available) func theAgentNeverRunsATaskTwice(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let work = try TemporaryDirectory()
        let ran = work.url.appendingPathComponent("ran").path
        let owner = AgentConfiguration(remoteTasks: .init(lock: true, commands: ["lock": ["/bin/sh", "-c", "echo locked >> \(ran)"]]))
        try await env.withEnrolledAgent(.corporate, owner: owner) { enrolled in
            let lock = try await enrolled.admin.createRemoteTask(enrolled.deviceID, RemoteTaskRequest(kind: .lock))
            #expect(try await enrolled.agent.waitForTasks(seconds: 5).map(\.state) == [.succeeded])
            // As if the acknowledgement and outcome never reached the server.
            try await env.execute(
                "UPDATE remote_tasks SET state = 'sent', acknowledged_at = NULL, completed_at = NULL WHERE id = '\(lock.id.rawValue)'")
            try await env.execute("UPDATE devices SET pending_tasks = 1 WHERE id = '\(enrolled.deviceID.rawValue)'")
            env.clock.advance(61)
            let again = try await enrolled.agent.waitForTasks(seconds: 0)
            #expect(again.map(\.task.id) == [lock.id] && again.map(\.state) == [.succeeded])
            #expect(try String(contentsOfFile: ran, encoding: .utf8) == "locked\n", "run once")
            #expect(try await enrolled.admin.remoteTask(enrolled.deviceID, lock.id).state == .succeeded)
        }
    }

    /// A collect-diagnostics bundle is identified data: exported with its device's user, gone
    /// with an erasure, and deleted 30 days after its task ended.
    @Test(arguments: StoreKind.available) func diagnosticsBundlesAreExportedErasedAndExpire(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let user: UserView = try await api.created(
                .POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Dana", upn: "dana@example.test"))
            let owned = try await api.enroll(.corporate)
            let unowned = try await api.enroll(.corporate)
            _ = try await api.send(
                .PATCH, APIRoute.updateDevice.path(owned.deviceId.rawValue), token: api.adminToken, json: DevicePatch(userId: user.id))
            var tasks: [RemoteTaskView] = []
            for device in [owned, unowned] {
                let task: RemoteTaskView = try await api.created(
                    .POST, APIRoute.createRemoteTask.path(device.deviceId.rawValue), RemoteTaskRequest(kind: .collectDiagnostics))
                _ = try await api.send(.GET, APIRoute.agentTasks.path, token: device.deviceSecret)
                for state in [RemoteTaskState.acknowledged, .succeeded] {
                    let bundle = state == .succeeded ? #"{"note":"bundle-\#(device.deviceId.rawValue)"}"# : nil
                    _ = try await api.send(
                        .POST, APIRoute.reportAgentTask.path(task.id.rawValue), token: device.deviceSecret,
                        json: RemoteTaskReport(state: state, bundle: bundle))
                }
                tasks.append(task)
            }
            let exported = try await api.send(
                .POST, APIRoute.privacyExport.path, token: api.adminToken, json: DataSubjectRequest(userId: user.id))
                .decode(PrivacyExportBundle.self)
            #expect(exported.devices.flatMap(\.remoteTasks).compactMap(\.bundle) == [#"{"note":"bundle-\#(owned.deviceId.rawValue)"}"#])

            #expect(try await api.send(
                .POST, APIRoute.privacyErasure.path, token: api.adminToken, json: DataSubjectRequest(userId: user.id)).status == .ok)
            var stored = try await env.rawRows("remote_tasks").joined()
            #expect(!stored.contains("bundle-\(owned.deviceId.rawValue)") && stored.contains("bundle-\(unowned.deviceId.rawValue)"))

            // 30 days after the task ended the bundle goes (the task stays).
            env.clock.advance(31 * 86_400)
            _ = try await api.checkIn(unowned.deviceSecret, CheckInRequest(agentVersion: "t", hashes: SectionHashes(), managedAppsVersion: 0))
            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: Logger(label: "test"))
            try await jobs.runJobs()
            let kept = try await api.send(.GET, APIRoute.getRemoteTask.path(unowned.deviceId.rawValue, tasks[1].id.rawValue), token: api.adminToken)
                .decode(RemoteTaskView.self)
            #expect(kept.state == .succeeded && kept.bundle == nil)
            stored = try await env.rawRows("remote_tasks").joined()
            #expect(!stored.contains("bundle-"))
        }
    }

    /// The real agent: a wipe it was not allowed answers not supported and touches nothing; an
    /// allowed lock runs the owner's command; collectDiagnostics uploads a bounded bundle without
    /// the secret; retire leaves the agent unenrolled and the device retired.
    @Test(arguments: StoreKind.available) func theAgentDoesOnlyWhatItsOwnerEnabled(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let owner = AgentConfiguration(remoteTasks: .init(lock: true, commands: ["lock": ["/bin/true"]]))
        try await env.withEnrolledAgent(.corporate, owner: owner) { enrolled in
            let (base, admin, agent, deviceID) = (enrolled.base, enrolled.admin, enrolled.agent, enrolled.deviceID)
            let identity = try #require(try agent.state.identity())
            // Through the server's own HTTP API: its notifier wakes the waiting agent.
            func issue(_ request: RemoteTaskRequest) async throws -> RemoteTaskView { try await admin.createRemoteTask(deviceID, request) }
            func shown(_ id: RemoteTaskID) async throws -> RemoteTaskView { try await admin.remoteTask(deviceID, id) }

            let wipe = try await issue(RemoteTaskRequest(kind: .wipe, confirm: "wipe"))
            let lock = try await issue(RemoteTaskRequest(kind: .lock))
            let bundle = try await issue(RemoteTaskRequest(kind: .collectDiagnostics))
            let performed = try await agent.waitForTasks(seconds: 5)
            #expect(performed.map(\.state) == [.notSupported, .succeeded, .succeeded])
            #expect(try await shown(wipe.id).result?.code == "disabled_by_owner")
            #expect(try agent.state.identity() == identity, "the wipe touched nothing")
            #expect(try await agent.checkIn().deviceId == deviceID, "and the device still checks in")
            #expect(try await shown(lock.id).state == .succeeded)
            let collected = try #require(try await shown(bundle.id).bundle)
            #expect(collected.contains(deviceID.rawValue) && !collected.contains(identity.deviceSecret))
            #expect(collected.utf8.count <= RemoteTaskReport.maxBundleBytes)

            // A sync waiting in a long-poll: the agent checks in at once.
            let before = try await admin.device(deviceID).lastCheckInAt
            env.clock.advance(60)
            async let woken = agent.waitForTasks(seconds: 20)
            await enrolled.notifier.parked(tenantID: env.tenant.tenantId, atLeast: 1)
            let sync = try await issue(RemoteTaskRequest(kind: .sync))
            #expect(try await woken.map(\.task.id) == [sync.id], "woken: a poll that timed out would bring nothing")
            #expect(try await shown(sync.id).state == .succeeded)
            let after = try await admin.device(deviceID).lastCheckInAt
            #expect(after != nil && after != before, "checked in: \(String(describing: before)) → \(String(describing: after))")

            // Retire: the agent unenrolls, the device is retired and its secret no longer works.
            let retire = try await issue(RemoteTaskRequest(kind: .retire, confirm: "retire"))
            #expect(try await agent.waitForTasks(seconds: 5).map(\.state) == [.succeeded])
            #expect(try agent.state.identity() == nil)
            #expect(!FileManager.default.fileExists(atPath: agent.state.directory.appendingPathComponent("device.json").path))
            #expect(try await shown(retire.id).state == .succeeded)
            #expect(try await admin.device(deviceID).retiredAt != nil)
            await #expect(throws: AgentError.self) { _ = try await StewardClient(server: base).tasks(secret: identity.deviceSecret, wait: 0) }
            await #expect(throws: AgentError.self) { _ = try await admin.createRemoteTask(deviceID, RemoteTaskRequest(kind: .sync)) }
        }
    }

    /// A sync issued through one replica wakes an agent's long-poll on another (PostgreSQL
    /// LISTEN/NOTIFY between the replicas): it answers long before the poll would time out.
    /// The delivery time itself is measured by `steward-bench tasks` (~20 ms here), not here.
    @Test(.enabled(if: StoreKind.postgresURL != nil)) func aSyncCrossesReplicasInUnderTwoSeconds() async throws {
        let env = try await TestEnvironment(.postgres)
        let second = try PostgresStorage(url: try #require(env.postgresURL), maximumConnections: 4, logger: TestPostgres.logger)
        var dependenciesB = env.dependencies
        dependenciesB.storage = second
        var loopback = env.configuration
        loopback.port = 0
        let (configuration, replicaB) = (loopback, dependenciesB)
        let work = try TemporaryDirectory()
        let backgroundB = BackgroundServices(configuration: configuration, dependencies: replicaB)
        try await withInProcessServer(configuration: configuration, dependencies: env.dependencies) { portA in
            try await withInProcessServer(configuration: configuration, dependencies: replicaB, background: backgroundB) { portB in
                let adminA = AdminClient(server: "http://127.0.0.1:\(portA)", token: env.tenant.adminToken)
                let token = try await adminA.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate))
                let agent = Agent(state: AgentState(directory: work.url))
                guard case .enrolled(let deviceID) = try await agent.enroll(server: "http://127.0.0.1:\(portB)", token: token.token ?? "") else {
                    throw TestFailure("not enrolled")
                }
                let secret = try #require(try agent.state.identity()).deviceSecret
                let clientB = StewardClient(server: "http://127.0.0.1:\(portB)")
                // Once B listens, a task from A reaches it (the first may wait for B's LISTEN to start).
                let warm = try await adminA.createRemoteTask(deviceID, RemoteTaskRequest(kind: .lock))
                var received: [RemoteTaskInstruction] = []
                for _ in 0..<3 where received.isEmpty { received = try await clientB.tasks(secret: secret, wait: 30) }
                #expect(received.map(\.id) == [warm.id])

                var latencies: [Duration] = []
                for _ in 0..<3 {
                    async let arrived = clientB.tasks(secret: secret, wait: 30)
                    await backgroundB.notifier.parked(tenantID: env.tenant.tenantId, atLeast: 1)
                    let start = ContinuousClock.now
                    let sync = try await adminA.createRemoteTask(deviceID, RemoteTaskRequest(kind: .sync))
                    #expect(try await arrived.map(\.id) == [sync.id])
                    latencies.append(ContinuousClock.now - start)
                }
                #expect(latencies.allSatisfy { $0 < .seconds(15) }, "woken, not timed out: \(latencies)")
                // And the agent carries it out through B; A sees the outcome.
                let last = try await adminA.createRemoteTask(deviceID, RemoteTaskRequest(kind: .sync))
                #expect(try await agent.waitForTasks(seconds: 10).map(\.state) == [.succeeded])
                #expect(try await adminA.remoteTask(deviceID, last.id).state == .succeeded)
            }
        }
        await second.close()
    }
}
