import Foundation
import StewardAPNs
import Metrics
import Prometheus
import StewardStore

/// The service's own metrics for Prometheus (`GET /metrics`): Hummingbird's request metrics,
/// labelled by route template (`/api/v1/devices/{id}`, never a concrete path), and Steward's
/// counters, labelled by kind. No label holds a tenant, an ID or a name.
public enum ServiceMetrics {
    /// Installed as the swift-metrics backend on first use, once per process.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Call before anything records a metric: metrics made before the bootstrap go nowhere.
    static func bootstrap() { _ = registry }

    /// Check-ins by kind; made once (after the bootstrap), since every check-in counts.
    static let heartbeats = counter("steward_check_ins_total", [("kind", "heartbeat")])
    static let inventoryCheckIns = counter("steward_check_ins_total", [("kind", "inventory")])
    static let diagnosticEvents = counter("steward_diagnostic_events_total", [])
    static let ocsInventories = counter("steward_ocs_inventories_total", [])

    /// Apple MDM: check-in messages and command reports by kind, what a User Enrollment or a
    /// device sent that Steward does not keep, refused identities, and Apple's push answers.
    static func appleCheckIns(_ kind: String) -> Metrics.Counter { counter("steward_apple_mdm_messages_total", [("kind", kind)]) }
    static let appleDropped = counter("steward_apple_mdm_dropped_keys_total", [])
    static func appleRefused(_ reason: String) -> Metrics.Counter { counter("steward_apple_mdm_refused_total", [("reason", reason)]) }
    static func applePushes(_ outcome: APNsClient.Outcome) -> Metrics.Counter {
        let label = switch outcome {
        case .delivered: "delivered"
        case .badDeviceToken: "bad_device_token"
        case .unregistered: "unregistered"
        case .tooManyRequests: "too_many_requests"
        case .serverError: "server_error"
        case .refused: "refused"
        case .transport: "transport"
        }
        return counter("steward_apple_pushes_total", [("outcome", label)])
    }

    /// What OCS-protocol agents sent that the catalog does not name, by section: a fixed label
    /// set (a hostile agent's section names do not become metrics).
    static func ocsDropped(_ section: String) -> Metrics.Counter {
        let top = String(section.prefix { $0 != "." })
        let known = ["LOCAL_USERS", "LOCAL_GROUPS", "ENVS", "PROCESSES", "SOFTWARES", "HARDWARE", "CONTROLLERS", "DRIVES", "STORAGES", "NETWORKS", "BIOS", "CPUS", "OPERATINGSYSTEM", "USERS", "PRINTERS", "VIDEOS", "MONITORS", "MEMORIES", "SOUNDS", "ACCESSLOG", "FIREWALL", "REPOSITORY", "VERSIONPROVIDER", "ANTIVIRUS", "INPUTS", "PORTS", "SLOTS", "USBDEVICES"]
        return counter("steward_ocs_dropped_elements_total", [("section", known.contains(top) ? top : "other")])
    }

    private static func counter(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Counter {
        bootstrap()
        return Metrics.Counter(label: label, dimensions: dimensions)
    }

    /// Runs of the deployment jobs, by job.
    static func jobRuns(_ job: String) -> Metrics.Counter {
        Metrics.Counter(label: "steward_job_runs_total", dimensions: [("job", job)])
    }

    /// The text exposition format: the registry's metrics, then the check-in writer's load as
    /// the store counts it (read at the scrape, not copied into the registry on every write).
    static func exposition(checkIns: GroupCommitLoad) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        buffer.append(contentsOf: checkInWriterText(checkIns).utf8)
        return buffer
    }

    /// Whether the store's writer is the bound: `rate(steward_check_in_commit_seconds_total)`
    /// near the writer slots (1 on SQLite) and a `steward_check_in_writes_waiting` that stays up
    /// mean check-ins queue for it; writes per batch then grow (group commit), and past the
    /// waiting limit check-ins are refused (`steward_check_in_refused_busy_total`).
    static func checkInWriterText(_ load: GroupCommitLoad) -> String {
        let seconds = Double(load.busy.components.seconds) + Double(load.busy.components.attoseconds) / 1e18
        var families: [(name: String, type: String, help: String, value: String)] = [
            ("steward_check_in_batches_total", "counter", "Check-in write transactions run (one check-in alone, or a group).",
             String(load.counts.batches)),
            ("steward_check_in_batched_writes_total", "counter", "Check-ins in those transactions.", String(load.counts.items)),
            ("steward_check_in_batch_fallbacks_total", "counter", "Groups that failed whole and were written again one check-in at a time.",
             String(load.counts.fellBack)),
            ("steward_check_in_largest_batch", "gauge", "The most check-ins one transaction has held since the start.",
             String(load.counts.largestBatch)),
            ("steward_check_in_writes_waiting", "gauge", "Check-ins waiting now for a free writer slot.", String(load.waiting)),
            ("steward_check_in_refused_busy_total", "counter", "Check-ins refused (503 database_busy, nothing written): the waiting limit was reached.",
             String(load.counts.refused)),
            ("steward_check_in_commit_seconds_total", "counter", "Time spent writing check-ins, summed over the writer slots.",
             String(format: "%.6f", seconds)),
        ]
        if let slots = load.slots {
            families.append(("steward_check_in_writer_slots", "gauge", "Groups of check-ins that may commit at once.", String(slots)))
        }
        if let limit = load.waitingLimit {
            families.append(("steward_check_in_waiting_limit", "gauge", "Check-ins that may wait before the next is refused.", String(limit)))
        }
        return families.map { "# HELP \($0.name) \($0.help)\n# TYPE \($0.name) \($0.type)\n\($0.name) \($0.value)\n" }.joined()
    }
}
