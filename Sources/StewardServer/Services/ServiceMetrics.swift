import StewardAPNs
import Metrics
import Prometheus

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

    /// The text exposition format.
    static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
