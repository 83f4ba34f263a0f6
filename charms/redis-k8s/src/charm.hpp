// RedisK8sCharm: Redis with Sentinel high availability on Kubernetes.
//
// The charm runs two workload containers: `redis` (redis-server and the
// metrics exporter) and `sentinel` (redis-server --sentinel). The leader
// generates the Redis and Sentinel passwords into the peer application
// databag and names the master (`leader-host`); every other unit replicates
// from it (`--replicaof`). Sentinel promotes a replica when the master goes
// away; the leader follows Sentinel's view of the master, keeps the Sentinel
// quorum at a majority of the planned units, and forces a failover when the
// departing unit is the master. docs/redis-k8s.md describes the behaviour
// hook by hook and every deliberate difference from the Python reference.
//
// The containers are the Model's ops::Container (the Harness's and the
// Context's in-memory Pebble in tests). Everything else the charm talks to
// besides Juju is injectable through RedisCharmCollaborators, so the unit
// tests run it against scripted answers: Redis and Sentinel
// (RedisWorkload), this unit's FQDN, host name resolution, the random
// source of passwords, and the clock and sleep of the handover. A
// default-constructed set means production: the real Redis client,
// local_fqdn(), resolve_ipv4(), getrandom(2),
// std::chrono::steady_clock and std::this_thread::sleep_for.
//
// Handover (a fix of the reference, which sends SENTINEL FAILOVER while the
// departing master still takes writes and then SENTINEL RESET, wiping the
// failover): when the departing unit is the master, the departing unit
// itself and the leader both run hand_over_master (pause writes, replicas
// catch up, Sentinel failover, old master demoted), bounded in time; the
// leader then names the new master and resets the Sentinels. Past the bound
// it defers without resetting, and the retry follows the failover instead
// of starting a second one.
//
// Errors: handlers let ops::ModelError (Juju cannot answer) and
// ops::pebble::Error (Pebble failed mid-way) escape, which fails the hook so
// that Juju retries it; Redis and Sentinel errors are handled (statuses,
// logs, deferral) and never escape.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "charms/grafana_k8s/v0/grafana_dashboard.hpp"
#include "charms/loki_k8s/v1/loki_push_api.hpp"
#include "charms/prometheus_k8s/v0/prometheus_scrape.hpp"
#include "charms/redis_k8s/v0/redis.hpp"
#include "ops/charm.hpp"
#include "ops/pebble.hpp"
#include "redis_config.hpp"
#include "workload.hpp"

namespace redis_k8s {

// What the charm talks to besides Juju. Unset members take the production
// default (see the top of this file).
struct RedisCharmCollaborators {
  // Redis and Sentinel; borrowed, must outlive the charm.
  RedisWorkload* workload = nullptr;
  // This unit's fully qualified host name.
  std::function<std::string()> fqdn;
  // A host name's IPv4 address (Python's socket.gethostbyname).
  std::function<std::string(const std::string& hostname)> resolve;
  // Cryptographically strong random bytes for passwords.
  RandomBytes random;
  // The clock and the sleep of the handover of a departing master.
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  // How often the handover polls (replication offsets, the local
  // Sentinel), how long the replicas get to catch up, how long the
  // failover may take, and how long writes stay paused at most.
  std::chrono::milliseconds failover_poll_interval{kFailoverPollIntervalMs};
  std::chrono::milliseconds catch_up_timeout{kCatchUpWaitMs};
  std::chrono::milliseconds failover_timeout{kFailoverWaitMs};
  std::chrono::milliseconds handover_pause{kHandoverPauseMs};
};

// The redis-k8s charm. Handle root "RedisK8sCharm".
class RedisK8sCharm : public ops::CharmBase {
 public:
  // The production charm (ops::main<RedisK8sCharm>).
  explicit RedisK8sCharm(ops::Framework& framework);
  // The charm with injected collaborators (tests, tools).
  RedisK8sCharm(ops::Framework& framework, RedisCharmCollaborators collaborators);
  ~RedisK8sCharm() override;

  // ---- state read from the peer relation (empty when there is none yet) ----

  // Peer app `leader-host`: the host of the Redis master, if known.
  std::optional<std::string> current_master();
  // The Redis password; nullopt in legacy mode (`enable-password` "false") or before it exists.
  std::optional<std::string> redis_password();
  // The Sentinel password, if generated.
  std::optional<std::string> sentinel_password();
  // Peer app `enable-password` == "false": a legacy `redis` relation wants no password.
  bool legacy_mode();
  // This unit's FQDN and its IPv4 address.
  std::string unit_fqdn();
  std::string unit_ip();
  // The Kubernetes host name of a unit of this application.
  std::string unit_k8s_hostname(const std::string& unit_name);

  // ---- what the charm writes to the workload ----

  // The `redis` Pebble layer for the current state (no role in it).
  ops::pebble::Layer redis_layer();
  // The redis.conf text for the current state.
  std::string redis_config();
  // The start script of the `redis` service for the current state.
  std::string redis_start_script_text();
  // The `sentinel` Pebble layer.
  static ops::pebble::Layer sentinel_layer();
  // The sentinel.conf text for the current state.
  std::string sentinel_config();

  // ---- handlers (named in deferred notices; keep the names stable) ----
  void on_redis_pebble_ready(ops::PebbleReadyEvent& event);
  void on_sentinel_pebble_ready(ops::PebbleReadyEvent& event);
  void on_leader_elected(ops::LeaderElectedEvent& event);
  void on_config_changed(ops::ConfigChangedEvent& event);
  void on_upgrade_charm(ops::UpgradeCharmEvent& event);
  void on_update_status(ops::UpdateStatusEvent& event);
  // Both containers: the scrape address (a new pod has a new address).
  void on_workload_pebble_ready(ops::PebbleReadyEvent& event);
  void on_peer_relation_changed(ops::RelationChangedEvent& event);
  void on_peer_relation_departed(ops::RelationDepartedEvent& event);
  void on_redis_relation_created(ops::RelationCreatedEvent& event);
  void on_redis_relation_changed(ops::RelationChangedEvent& event);
  void on_redis_relation_broken(ops::RelationBrokenEvent& event);
  void on_check_service_action(ops::ActionEvent& event);
  void on_get_initial_admin_password_action(ops::ActionEvent& event);
  void on_get_sentinel_password_action(ops::ActionEvent& event);

 private:
  ops::Relation* peers();
  std::optional<std::string> peer_app_value(const std::string& key);
  ops::Container& container(const std::string& name);
  // Starts those of `services` that are not running; returns their names.
  // (ops::Container has no ensure-running call.)
  static std::vector<std::string> ensure_running(ops::Container& container,
                                                 const std::vector<std::string>& services);
  // chown -R redis:redis /var/lib/redis/ through Pebble exec when it exists
  // (an ExecError is logged, not fatal), else makes it 0770 redis:redis.
  void take_ownership_of_working_dir(ops::Container& redis);
  bool unit_is_active();
  bool valid_app_databag();
  // The three TLS resources' paths (nullopt when not attached), in
  // cert-file, key-file, ca-cert-file order.
  std::vector<std::optional<std::string>> certificates();
  std::optional<std::string> resource_path(const std::string& name);
  void store_certificates();
  void update_layer();
  // True when the layer is in place (status Active).
  bool update_sentinel_layer();
  bool redis_check();
  // application-version-set and the app's status-set, each only when the
  // value differs from the last one this unit set (kept in stored_): Juju
  // keeps both between hooks. Leader-elected forgets the app status.
  void set_workload_version(const std::string& version);
  void set_app_status(const ops::StatusBase& status);
  // Writes `hostname` and `host` = the master's IP to this unit's bag of
  // every `redis` relation.
  void publish_master_address();
  void update_application_master();
  // Sets `leader-host` to `host` in the peer app bag and every `redis`
  // relation's app bag (leader only), then publishes the master's address.
  void set_application_master(const std::string& host);
  // A running Redis that is master while leader-host (agreed by Sentinel)
  // names another host is made its replica with REPLICAOF, never restarted.
  void ensure_replication_role(const std::optional<std::map<std::string, std::string>>& info);
  // The departing master hands over: writes paused, replicas caught up,
  // Sentinel failover (see hand_over_master).
  HandoverResult hand_over(const std::string& master_host);
  bool master_up_to_date();
  bool is_failover_finished(const std::string& host = "localhost");
  std::vector<std::string> sentinel_hosts();
  void update_quorum();
  void reset_sentinel();
  WorkloadSettings workload_settings();
  // Leader: peer app `enable-password` follows the `redis` relations ("false"
  // while a legacy requirer is related, "true" after one was); true when it changed.
  bool sync_auth_mode(std::optional<int> broken_relation);

  RedisCharmCollaborators collaborators_;
  // The last workload version and app status set ("workload-version",
  // "app-status": [name, message]).
  ops::StoredState stored_{*this, "_stored"};
  std::unique_ptr<RedisWorkload> owned_workload_;
  std::optional<std::string> fqdn_;
  std::optional<std::string> ip_;
  charms::redis_k8s::v0::RedisProvides redis_provides_;
  // metrics-endpoint, grafana-dashboard and logging (rules and dashboard from the charm dir).
  charms::prometheus_k8s::v0::MetricsEndpointProvider metrics_endpoint_;
  charms::grafana_k8s::v0::GrafanaDashboardProvider grafana_dashboards_;
  charms::loki_k8s::v1::LogForwarder log_forwarder_;
};

// The factory ops::run_dispatch, the Harness and the Context take, building
// the charm on `collaborators`.
std::function<std::unique_ptr<ops::CharmBase>(ops::Framework&)> make_redis_charm_factory(
    RedisCharmCollaborators collaborators);

}  // namespace redis_k8s
