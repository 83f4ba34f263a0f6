// RedisK8sCharm's handlers and the workload plumbing behind them.
#include "charm.hpp"

#include <fstream>
#include <sstream>
#include <thread>

#include "ops/log.hpp"
#include "ops/model.hpp"
#include "python_aliases.hpp"

namespace redis_k8s {

namespace {

constexpr const char* kRedisContainer = "redis";
constexpr const char* kSentinelContainer = "sentinel";
constexpr const char* kLocalHost = "localhost";
const std::vector<std::string> kRedisServices = {"redis", "redis_exporter"};
const std::vector<std::string> kSentinelServices = {"sentinel"};
const std::vector<std::string> kCertificateResources = {"cert-file", "key-file", "ca-cert-file"};
// stored_'s keys.
constexpr const char* kStoredVersionKey = "workload-version";
constexpr const char* kStoredAppStatusKey = "app-status";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ops::Error("cannot read resource file " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The services of `plan` that `layer` defines, to compare like with like.
std::map<std::string, ops::pebble::Service> planned(
    const std::map<std::string, ops::pebble::Service>& plan, const ops::pebble::Layer& layer) {
  std::map<std::string, ops::pebble::Service> out;
  for (const auto& [name, _] : layer.services) {
    if (auto it = plan.find(name); it != plan.end()) out.emplace(name, it->second);
  }
  return out;
}

// The master's address in a SENTINEL MASTER answer, if there is one.
std::optional<std::string> master_ip(
    const std::optional<std::map<std::string, std::string>>& info) {
  if (!info) return std::nullopt;
  auto ip = info->find("ip");
  if (ip == info->end() || ip->second.empty()) return std::nullopt;
  return ip->second;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

}  // namespace

// ------------------------------------------------------------- RedisK8sCharm

RedisK8sCharm::RedisK8sCharm(ops::Framework& framework)
    : RedisK8sCharm(framework, RedisCharmCollaborators{}) {}

RedisK8sCharm::RedisK8sCharm(ops::Framework& framework, RedisCharmCollaborators collaborators)
    : CharmBase(framework, "RedisK8sCharm"),
      collaborators_(std::move(collaborators)),
      redis_provides_(
          *this, kRedisPort,
          [this]() -> std::optional<std::string> {
            auto master = current_master();
            if (!master) return std::nullopt;
            return collaborators_.resolve(*master);
          },
          [this] { return redis_password(); }),
      // Not on update-status (the reference's library falls back to it when
      // a charm has two containers): the address changes only with a new
      // pod, which runs pebble-ready (observed below) and upgrade-charm.
      metrics_endpoint_(*this, {.jobs = {{{"metrics_path", "/metrics"},
                                          {"static_configs", {{{"targets", {"*:9121"}}}}}}},
                                .fqdn = [this] { return unit_fqdn(); },
                                .refresh_on_update_status_and_pebble_ready = false}),
      grafana_dashboards_(*this),
      log_forwarder_(*this) {
  if (!collaborators_.workload) {
    owned_workload_ =
        std::make_unique<ProductionRedisWorkload>([this] { return workload_settings(); });
    collaborators_.workload = owned_workload_.get();
  }
  if (!collaborators_.fqdn) collaborators_.fqdn = local_fqdn;
  if (!collaborators_.resolve) collaborators_.resolve = charms::redis_k8s::v0::resolve_ipv4;
  if (!collaborators_.random) collaborators_.random = system_random_bytes;
  if (!collaborators_.now) collaborators_.now = [] { return std::chrono::steady_clock::now(); };
  if (!collaborators_.sleep) {
    collaborators_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }

  ops::Framework& fw = framework;
  for (const char* name : {kRedisContainer, kSentinelContainer}) {
    fw.observe<&RedisK8sCharm::on_workload_pebble_ready>(on.container(name).pebble_ready, *this);
  }
  fw.observe<&RedisK8sCharm::on_redis_pebble_ready>(on.container(kRedisContainer).pebble_ready,
                                                    *this);
  fw.observe<&RedisK8sCharm::on_sentinel_pebble_ready>(
      on.container(kSentinelContainer).pebble_ready, *this);
  fw.observe<&RedisK8sCharm::on_leader_elected>(on.leader_elected, *this);
  fw.observe<&RedisK8sCharm::on_config_changed>(on.config_changed, *this);
  fw.observe<&RedisK8sCharm::on_upgrade_charm>(on.upgrade_charm, *this);
  fw.observe<&RedisK8sCharm::on_update_status>(on.update_status, *this);
  fw.observe<&RedisK8sCharm::on_peer_relation_changed>(on[kPeerRelation].relation_changed, *this);
  fw.observe<&RedisK8sCharm::on_peer_relation_departed>(on[kPeerRelation].relation_departed, *this);
  fw.observe<&RedisK8sCharm::on_redis_relation_created>(on[kRedisRelation].relation_created, *this);
  fw.observe<&RedisK8sCharm::on_redis_relation_changed>(on[kRedisRelation].relation_changed, *this);
  fw.observe<&RedisK8sCharm::on_redis_relation_broken>(on[kRedisRelation].relation_broken, *this);
  fw.observe<&RedisK8sCharm::on_check_service_action>(on.action("check-service").action, *this);
  fw.observe<&RedisK8sCharm::on_get_initial_admin_password_action>(
      on.action("get-initial-admin-password").action, *this);
  fw.observe<&RedisK8sCharm::on_get_sentinel_password_action>(
      on.action("get-sentinel-password").action, *this);
  declare_python_aliases(fw);  // the reference charm's handler names (python_aliases.hpp)
}

RedisK8sCharm::~RedisK8sCharm() = default;

// ---- state ------------------------------------------------------------------

ops::Relation* RedisK8sCharm::peers() { return model().get_relation(kPeerRelation); }

std::optional<std::string> RedisK8sCharm::peer_app_value(const std::string& key) {
  ops::Relation* relation = peers();
  if (relation == nullptr) return std::nullopt;
  auto value = relation->data(app()).get(key);
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::optional<std::string> RedisK8sCharm::current_master() {
  return peer_app_value(kLeaderHostKey);
}

bool RedisK8sCharm::legacy_mode() { return peer_app_value(kEnablePasswordKey) == "false"; }

std::optional<std::string> RedisK8sCharm::redis_password() {
  if (legacy_mode()) return std::nullopt;
  return peer_app_value(kPeerPasswordKey);
}

std::optional<std::string> RedisK8sCharm::sentinel_password() {
  return peer_app_value(kSentinelPasswordKey);
}

std::string RedisK8sCharm::unit_fqdn() {
  if (!fqdn_) fqdn_ = collaborators_.fqdn();
  return *fqdn_;
}

std::string RedisK8sCharm::unit_ip() {
  if (!ip_) ip_ = collaborators_.resolve(unit_fqdn());
  return *ip_;
}

std::string RedisK8sCharm::unit_k8s_hostname(const std::string& unit_name) {
  return k8s_hostname(unit_name, model().name());
}

bool RedisK8sCharm::unit_is_active() { return unit().status().name() == "active"; }

bool RedisK8sCharm::valid_app_databag() {
  // In legacy mode Redis runs without a password, so none is needed.
  bool password_ready = legacy_mode() || peer_app_value(kPeerPasswordKey).has_value();
  return password_ready && current_master().has_value();
}

WorkloadSettings RedisK8sCharm::workload_settings() {
  WorkloadSettings settings;
  settings.redis_password = redis_password().value_or("");
  settings.sentinel_password = sentinel_password().value_or("");
  settings.tls = config().get_optional<bool>("enable-tls").value_or(false);
  if (settings.tls) settings.ca_cert_file = resource_path("ca-cert-file");
  if (settings.tls) settings.local_server_name = unit_fqdn();
  return settings;
}

// ---- layers -------------------------------------------------------------------

std::string RedisK8sCharm::redis_config() {
  RedisServerSettings settings;
  settings.fqdn = unit_fqdn();
  settings.password = redis_password().value_or("");
  settings.legacy = legacy_mode();
  settings.tls = config().get_optional<bool>("enable-tls").value_or(false);
  return redis_conf(settings);
}

std::string RedisK8sCharm::redis_start_script_text() {
  return redis_start_script(
      StartScriptSettings{.app_name = app().name(),
                          .fqdn = unit_fqdn(),
                          .current_master = current_master().value_or(""),
                          .tls = config().get_optional<bool>("enable-tls").value_or(false)});
}

ops::pebble::Layer RedisK8sCharm::redis_layer() {
  ops::pebble::Layer layer;
  layer.summary = "Redis layer";
  layer.description = "Redis layer";
  // No password and no role on the command line: redis.conf holds the
  // settings (its digest here restarts Redis when they change), the start
  // script asks Sentinel for the role.
  layer.services["redis"] =
      ops::pebble::Service{.summary = "Redis service",
                           .override = "replace",
                           .command = kRedisStartCommand,
                           .startup = "enabled",
                           .environment = {{"REDIS_CONF_SHA256", sha256_hex(redis_config())},
                                           {"SENTINEL_PASSWORD", sentinel_password().value_or("")}},
                           .user = kRedisUser,
                           .group = kRedisUser};
  layer.services["redis_exporter"] =
      ops::pebble::Service{.summary = "Redis metric exporter",
                           .override = "replace",
                           .command = "bin/redis_exporter",
                           .startup = "enabled",
                           .environment = {{"REDIS_PASSWORD", redis_password().value_or("")}},
                           .user = kRedisUser,
                           .group = kRedisUser};
  return layer;
}

ops::pebble::Layer RedisK8sCharm::sentinel_layer() {
  ops::pebble::Layer layer;
  layer.summary = "Sentinel layer";
  layer.description = "Sentinel layer";
  layer.services["sentinel"] = ops::pebble::Service{
      .summary = "Sentinel service",
      .override = "replace",
      .command = std::string("redis-server ") + kSentinelConfigPath + " --sentinel",
      .startup = "enabled",
      .user = kRedisUser,
      .group = kRedisUser};
  return layer;
}

std::string RedisK8sCharm::sentinel_config() {
  SentinelSettings settings;
  settings.app_name = app().name();
  settings.current_master = current_master().value_or("");
  settings.quorum = expected_quorum(app().planned_units());
  settings.redis_password = redis_password();
  settings.sentinel_password = sentinel_password().value_or("");
  settings.fqdn = unit_fqdn();
  settings.tls = config().get_optional<bool>("enable-tls").value_or(false);
  return sentinel_conf(settings);
}

ops::Container& RedisK8sCharm::container(const std::string& name) {
  return unit().get_container(name);
}

std::vector<std::string> RedisK8sCharm::ensure_running(ops::Container& container,
                                                       const std::vector<std::string>& services) {
  std::vector<std::string> stopped;
  for (const auto& [name, info] : container.get_services(services)) {
    if (!info.is_running()) stopped.push_back(name);
  }
  if (!stopped.empty()) container.start(stopped);
  return stopped;
}

void RedisK8sCharm::take_ownership_of_working_dir(ops::Container& redis) {
  if (!redis.exists(kWorkingDir)) {
    redis.make_dir(
        kWorkingDir,
        ops::pebble::MakeDirOptions{
            .make_parents = true, .permissions = 0770, .user = kRedisUser, .group = kRedisUser});
    return;
  }
  // On Kubernetes the storage is mounted root-owned; redis-server runs as redis.
  const std::vector<std::string> command{"chown", "-R", std::string(kRedisUser) + ":" + kRedisUser,
                                         kWorkingDir};
  try {
    redis.exec(command)->wait();
  } catch (const ops::pebble::ExecError& e) {
    ops::log::error("Cannot take ownership of " + std::string(kWorkingDir) + ": exit code " +
                    std::to_string(e.exit_code()) + ", " + e.stderr().value_or(""));
  }
}

void RedisK8sCharm::update_layer() {
  ops::Container& redis = container(kRedisContainer);
  if (!redis.can_connect()) {
    unit().set_status(ops::WaitingStatus("Waiting for Pebble in workload container"));
    return;
  }
  take_ownership_of_working_dir(redis);
  if (!valid_app_databag()) {
    unit().set_status(ops::WaitingStatus("Waiting for peer data to be updated"));
    return;
  }
  if (!redis.exists(kConfigDir)) {
    redis.make_dir(
        kConfigDir,
        ops::pebble::MakeDirOptions{
            .make_parents = true, .permissions = 0750, .user = kRedisUser, .group = kRedisUser});
  }
  redis.push(
      kRedisConfigPath, redis_config(),
      ops::pebble::PushOptions{.permissions = 0600, .user = kRedisUser, .group = kRedisUser});
  redis.push(
      kStartScriptPath, redis_start_script_text(),
      ops::pebble::PushOptions{.permissions = 0750, .user = kRedisUser, .group = kRedisUser});
  ops::pebble::Layer layer = redis_layer();
  if (planned(redis.get_plan().services, layer) != layer.services) {
    redis.add_layer("redis", layer, /*combine=*/true);
    redis.restart(kRedisServices);
    ops::log::info("Updated layer 'redis' and restarted redis and redis_exporter");
  } else if (auto started = ensure_running(redis, kRedisServices); !started.empty()) {
    // The plan is current but a service is down: a dispatch killed between
    // stopping and starting them, retried by Juju, must still end running.
    ops::log::warning("Started stopped services with a current plan: " + join(started));
  }
  unit().set_status(ops::ActiveStatus());
}

bool RedisK8sCharm::update_sentinel_layer() {
  ops::Container& sentinel = container(kSentinelContainer);
  if (!sentinel.can_connect()) {
    unit().set_status(ops::WaitingStatus("Waiting for Pebble in sentinel container"));
    return false;
  }
  if (!valid_app_databag()) {
    unit().set_status(ops::WaitingStatus("Databag has not been populated"));
    return false;
  }
  if (!sentinel.exists(kConfigDir)) {
    sentinel.make_dir(
        kConfigDir,
        ops::pebble::MakeDirOptions{
            .make_parents = true, .permissions = 0750, .user = kRedisUser, .group = kRedisUser});
  }
  if (config().get_optional<bool>("enable-tls").value_or(false)) {
    // Sentinel's own copies of the certificate, key and CA (sentinel.conf
    // names them): its container does not see the redis container's files.
    const std::vector<std::string> paths = {kSentinelCertPath, kSentinelKeyPath,
                                            kSentinelCaCertPath};
    const auto files = certificates();
    for (std::size_t i = 0; i < paths.size(); ++i) {
      if (!files[i]) continue;  // config-changed blocked on the missing resource
      sentinel.push(
          paths[i], read_file(*files[i]),
          ops::pebble::PushOptions{.permissions = 0600, .user = kRedisUser, .group = kRedisUser});
    }
  }
  sentinel.push(
      kSentinelConfigPath, sentinel_config(),
      ops::pebble::PushOptions{.permissions = 0660, .user = kRedisUser, .group = kRedisUser});
  ops::pebble::Layer layer = sentinel_layer();
  if (planned(sentinel.get_plan().services, layer) != layer.services) {
    sentinel.add_layer("sentinel", layer, /*combine=*/true);
    sentinel.restart(kSentinelServices);
    ops::log::info("Updated layer 'sentinel' and restarted sentinel");
  } else if (auto started = ensure_running(sentinel, kSentinelServices); !started.empty()) {
    ops::log::warning("Started stopped services with a current plan: " + join(started));
  }
  unit().set_status(ops::ActiveStatus());
  return true;
}

// ---- certificates -----------------------------------------------------------

std::optional<std::string> RedisK8sCharm::resource_path(const std::string& name) {
  try {
    return model().resources().fetch(name).string();
  } catch (const ops::ModelError& e) {
    ops::log::debug("resource " + name + " is not available: " + e.what());
    return std::nullopt;
  }
}

std::vector<std::optional<std::string>> RedisK8sCharm::certificates() {
  std::vector<std::optional<std::string>> out;
  for (const auto& name : kCertificateResources) out.push_back(resource_path(name));
  return out;
}

void RedisK8sCharm::store_certificates() {
  std::vector<std::pair<std::string, std::string>> files;  // (container path, content)
  for (const auto& name : kCertificateResources) {
    auto path = resource_path(name);
    if (!path) continue;
    std::string filename = std::filesystem::path(*path).filename().string();
    if (auto it = meta().resources.find(name);
        it != meta().resources.end() && it->second.filename) {
      filename = *it->second.filename;
    }
    files.emplace_back(std::string(kWorkingDir) + filename, read_file(*path));
  }
  if (files.empty()) return;
  ops::Container& redis = container(kRedisContainer);
  if (!redis.can_connect()) {
    ops::log::warning("Cannot store the certificates yet: no Pebble in the redis container");
    return;
  }
  for (const auto& [path, content] : files) {
    redis.push(
        path, content,
        ops::pebble::PushOptions{
            .make_dirs = true, .permissions = 0600, .user = kRedisUser, .group = kRedisUser});
  }
}

// ---- Redis and Sentinel -------------------------------------------------------

bool RedisK8sCharm::redis_check() {
  bool leader = unit().is_leader();
  try {
    auto info = collaborators_.workload->info_server(kLocalHost);
    auto version = info.find("redis_version");
    if (version == info.end()) throw RedisError("INFO server has no redis_version");
    unit().set_status(ops::ActiveStatus());
    set_workload_version(version->second);
    if (leader) set_app_status(ops::ActiveStatus());
    return true;
  } catch (const RedisError& e) {
    ops::log::info(std::string("Redis is not answering: ") + e.what());
    unit().set_status(ops::WaitingStatus(kWaitingMessage));
    if (leader) set_app_status(ops::WaitingStatus(kWaitingMessage));
    return false;
  }
}

void RedisK8sCharm::set_workload_version(const std::string& version) {
  // Only this unit sets its workload version, and Juju keeps it.
  if (stored_.contains(kStoredVersionKey) && stored_.get(kStoredVersionKey) == version) return;
  unit().set_workload_version(version);
  stored_.set(kStoredVersionKey, version);
}

void RedisK8sCharm::set_app_status(const ops::StatusBase& status) {
  // Only the leader sets the app status: what this unit set since it was
  // elected is what Juju shows.
  const nlohmann::json value = {status.name(), status.message()};
  if (stored_.contains(kStoredAppStatusKey) && stored_.get(kStoredAppStatusKey) == value) return;
  app().set_status(status);
  stored_.set(kStoredAppStatusKey, value);
}

void RedisK8sCharm::publish_master_address() {
  const auto& relations = model().relations(kRedisRelation);
  auto master = current_master();
  if (relations.empty() || !master) return;
  std::string ip;
  try {
    ip = collaborators_.resolve(*master);
  } catch (const std::exception& e) {
    ops::log::warning("Cannot resolve the master " + *master + ": " + e.what());
    return;
  }
  for (ops::Relation* relation : relations) {
    relation->data(unit()).set("hostname", ip);
    relation->data(unit()).set("host", ip);
  }
}

void RedisK8sCharm::update_application_master() {
  auto ip = master_ip(sentinel_master_info(*collaborators_.workload, kLocalHost, app().name()));
  if (!ip) {
    ops::log::warning("Could not update current master");
    return;
  }
  set_application_master(*ip);
}

void RedisK8sCharm::set_application_master(const std::string& host) {
  ops::Relation* relation = peers();
  if (relation == nullptr) return;
  // Each juju-log is a hook-tool process: INFO only when the master changes.
  const std::string line = "Unit " + unit().name() + " updating master info to " + host;
  if (current_master() == host) {
    ops::log::debug(line);
  } else {
    ops::log::info(line);
  }
  relation->data(app()).set(kLeaderHostKey, host);
  // Clients follow the master through each relation's app bag, as the
  // reference writes it there too.
  for (ops::Relation* client : model().relations(kRedisRelation)) {
    client->data(app()).set(kLeaderHostKey, host);
  }
  publish_master_address();
}

void RedisK8sCharm::ensure_replication_role(
    const std::optional<std::map<std::string, std::string>>& info) {
  auto master = current_master();
  // Promotion is Sentinel's alone; the charm only demotes a stray master,
  // and only where Sentinel agrees with leader-host.
  if (!master || *master == unit_fqdn() || !redis_k8s::master_up_to_date(info, *master)) return;
  try {
    if (collaborators_.workload->role(kLocalHost) != "master") return;
    const std::string port =
        info->count("port") != 0 ? info->at("port") : std::to_string(kRedisPort);
    collaborators_.workload->replicaof(kLocalHost, *master, port);
    ops::log::warning("Redis ran as a master while " + *master +
                      " is the master: made it a replica (REPLICAOF, no restart)");
  } catch (const RedisError& e) {
    ops::log::info(std::string("Cannot check the replication role: ") + e.what());
  }
}

HandoverResult RedisK8sCharm::hand_over(const std::string& master_host) {
  HandoverTiming timing{.now = collaborators_.now,
                        .sleep = collaborators_.sleep,
                        .poll_interval = collaborators_.failover_poll_interval,
                        .catch_up_timeout = collaborators_.catch_up_timeout,
                        .failover_timeout = collaborators_.failover_timeout,
                        .pause = collaborators_.handover_pause};
  return hand_over_master(*collaborators_.workload, master_host, kLocalHost, app().name(), timing,
                          [](const std::string& line) { ops::log::info(line); });
}

bool RedisK8sCharm::master_up_to_date() {
  auto info = sentinel_master_info(*collaborators_.workload, kLocalHost, app().name());
  return redis_k8s::master_up_to_date(info, current_master().value_or(""));
}

bool RedisK8sCharm::is_failover_finished(const std::string& host) {
  auto info = sentinel_master_info(*collaborators_.workload, host, app().name());
  if (!info) {
    ops::log::warning("Could not check failover status");
    return false;
  }
  if (!failover_finished(info)) {
    auto state = info->find("failover-state");
    ops::log::warning("Failover taking place. Current status: " +
                      (state == info->end() ? std::string("unknown") : state->second));
    return false;
  }
  return true;
}

std::vector<std::string> RedisK8sCharm::sentinel_hosts() {
  std::vector<std::string> hosts;
  if (ops::Relation* relation = peers()) {
    for (ops::Unit* peer : relation->units()) hosts.push_back(unit_k8s_hostname(peer->name()));
  }
  hosts.push_back(unit_fqdn());
  return hosts;
}

void RedisK8sCharm::update_quorum() {
  int quorum = expected_quorum(app().planned_units());
  for (const auto& [host, error] : broadcast_sentinel_quorum(
           *collaborators_.workload, sentinel_hosts(), app().name(), quorum)) {
    ops::log::error("Error connecting to instance: " + host + " - " + error);
  }
}

void RedisK8sCharm::reset_sentinel() {
  for (const auto& [host, error] :
       broadcast_sentinel_reset(*collaborators_.workload, sentinel_hosts(), app().name())) {
    ops::log::error("Error connecting to instance: " + host + " - " + error);
  }
}

// ---- handlers ---------------------------------------------------------------

void RedisK8sCharm::on_redis_pebble_ready(ops::PebbleReadyEvent& event) {
  store_certificates();
  update_layer();
  if (!unit_is_active()) {
    event.defer();
    return;
  }
  // Clients are told the master's address (a restarted pod may have a new IP).
  publish_master_address();
}

void RedisK8sCharm::on_sentinel_pebble_ready(ops::PebbleReadyEvent& event) {
  if (!update_sentinel_layer()) {
    // Waiting for Pebble or for the leader's peer data: both come by themselves.
    event.defer();
    return;
  }
  // The layer is in place; the unit's status is what Redis says, not a
  // blanket Active, and there is nothing left to retry here.
  redis_check();
}

void RedisK8sCharm::on_leader_elected(ops::LeaderElectedEvent& event) {
  // Another leader may have set the app status since this unit last did.
  stored_.erase(kStoredAppStatusKey);
  ops::Relation* relation = peers();
  if (relation == nullptr) {
    ops::log::debug("No peer relation yet; deferring leader setup");
    event.defer();
    return;
  }
  ops::RelationDataContent& bag = relation->data(app());
  if (bag.get(kPeerPasswordKey).value_or("").empty()) {
    ops::log::debug("Creating password for application");
    bag.set(kPeerPasswordKey, generate_password(collaborators_.random));
  }
  if (bag.get(kSentinelPasswordKey).value_or("").empty()) {
    ops::log::debug("Creating sentinel password");
    bag.set(kSentinelPasswordKey, generate_password(collaborators_.random));
  }
  if (!current_master()) {
    ops::log::debug("Initial replication, setting leader-host to " + unit_fqdn());
    set_application_master(unit_fqdn());
    return;
  }
  update_application_master();
  update_quorum();
  if (!is_failover_finished()) {
    ops::log::info("Failover didn't finish, deferring");
    event.defer();
    return;
  }
  ops::log::debug("Resetting sentinel");
  reset_sentinel();
}

void RedisK8sCharm::on_config_changed(ops::ConfigChangedEvent& event) {
  if (config().get_optional<bool>("enable-tls").value_or(false)) {
    for (const auto& path : certificates()) {
      if (!path) {
        ops::log::warning("Not enough certificates found for TLS");
        unit().set_status(ops::BlockedStatus("Not enough certificates found"));
        return;
      }
    }
  }
  update_layer();
  update_sentinel_layer();
  if (!unit_is_active()) {
    event.defer();
    return;
  }
  redis_check();
}

void RedisK8sCharm::on_upgrade_charm(ops::UpgradeCharmEvent& event) {
  store_certificates();
  ops::Relation* relation = peers();
  if (relation == nullptr) {
    event.defer();
    return;
  }
  if (relation->units().empty()) {
    // A single unit: it is the master. A pod restart may have changed its IP
    // without any relation event, so clients are told here.
    if (unit().is_leader()) {
      set_application_master(unit_fqdn());
    } else {
      publish_master_address();
    }
    return;
  }
  const std::string k8s_host = unit_k8s_hostname(relation->units().front()->name());
  if (!is_failover_finished(k8s_host)) {
    ops::log::info("Failover didn't finish, deferring");
    event.defer();
    return;
  }
  if (unit().is_leader()) {
    auto ip = master_ip(sentinel_master_info(*collaborators_.workload, k8s_host, app().name()));
    if (!ip) {
      // The reference crashes here (a None subscript); a retry later can succeed.
      ops::log::warning("Sentinel at " + k8s_host + " gave no master info; deferring");
      event.defer();
      return;
    }
    set_application_master(*ip);
  } else if (!model().relations(kRedisRelation).empty()) {
    // Makes the leader's peer relation-changed run and refresh clients' data.
    relation->data(unit()).set(kUpgradingKey, "true");
  }
}

void RedisK8sCharm::on_update_status(ops::UpdateStatusEvent&) {
  ops::log::debug("Beginning update_status");
  if (unit().is_leader()) {
    // The leader follows Sentinel's master. An unchanged master needs no
    // republishing: the relation bags are ours alone and were written when
    // it changed; a new address of the same master comes with the peer
    // relation-changed of its new pod.
    auto ip = master_ip(sentinel_master_info(*collaborators_.workload, kLocalHost, app().name()));
    if (!ip) {
      ops::log::warning("Could not update current master");
    } else if (ip != current_master()) {
      set_application_master(*ip);
    }
  }
  redis_check();
}

void RedisK8sCharm::on_workload_pebble_ready(ops::PebbleReadyEvent&) {
  metrics_endpoint_.set_scrape_job_spec();
}

void RedisK8sCharm::on_peer_relation_changed(ops::RelationChangedEvent& event) {
  auto info = sentinel_master_info(*collaborators_.workload, kLocalHost, app().name());
  if (!redis_k8s::master_up_to_date(info, current_master().value_or(""))) {
    ops::log::error("Unit " + unit().name() + " doesn't agree on tracked master");
    if (!is_failover_finished()) {
      ops::log::info("Failover didn't finish, deferring");
      event.defer();
      return;
    }
    if (unit().is_leader()) update_application_master();
  } else {
    // The role is not in the plan: a change is a REPLICAOF, never a restart.
    ensure_replication_role(info);
  }
  // A legacy relation switches the password off, and its removal back on:
  // the layer must follow (it changes only when the configuration does).
  if (peer_app_value(kEnablePasswordKey)) update_layer();

  if (!model().relations(kRedisRelation).empty()) {
    publish_master_address();
    ops::RelationDataContent& own = event.relation().data(unit());
    if (own.get(kUpgradingKey) == "true") own.set(kUpgradingKey, "");
  }

  if (!(unit().is_leader() && event.unit_name())) return;

  if (!sentinel_in_majority(*collaborators_.workload, kLocalHost, app().name())) {
    unit().set_status(ops::WaitingStatus("Waiting for majority"));
    event.defer();
    return;
  }
  update_quorum();
  unit().set_status(ops::ActiveStatus());
}

void RedisK8sCharm::on_peer_relation_departed(ops::RelationDepartedEvent& event) {
  const auto& departing = event.departing_unit_name();
  if (departing && *departing == unit().name()) {
    // This unit is going away (Juju runs the hook on it too, and it keeps
    // its leadership until it is gone): if its Redis is the master, it
    // hands over first, so that no acknowledged write is lost.
    try {
      if (collaborators_.workload->role(kLocalHost) != "master") return;
    } catch (const RedisError& e) {
      ops::log::info(std::string("Departing: Redis does not answer ROLE: ") + e.what());
      return;
    }
    ops::log::info("Departing master: handing over");
    HandoverResult result = hand_over(kLocalHost);
    if (result.error) {
      ops::log::error("Error on failover: " + *result.error);
    } else if (result.new_master && unit().is_leader()) {
      set_application_master(*result.new_master);
    }
    return;
  }
  if (!unit().is_leader()) return;
  if (!master_up_to_date()) update_application_master();

  // The quorum goes first: removing more units than the current majority
  // could otherwise leave the cluster unable to ever reach it.
  ops::log::debug("Updating quorum");
  update_quorum();

  if (!is_failover_finished()) {
    const std::string message = "Failover didn't finish, deferring";
    ops::log::info(message);
    unit().set_status(ops::WaitingStatus(message));
    event.defer();
    return;
  }

  const std::string departing_host = departing ? unit_k8s_hostname(*departing) : "";
  if (departing && departing_host == current_master().value_or("")) {
    // Fix: pause the departing master's writes and let the replicas catch
    // up before the failover, and wait for it before naming the new master
    // and resetting the Sentinels (a RESET now would wipe the failover).
    HandoverResult result = hand_over(departing_host);
    if (result.error) {
      const std::string message = "Error on failover: " + *result.error;
      ops::log::error(message);
      unit().set_status(ops::BlockedStatus(message));
      return;
    }
    if (!result.new_master) {
      // No RESET. The retry sees the failover still running (and defers
      // again) or finished (and takes the new master as leader-host above,
      // so the departed unit is no longer the master): no second FAILOVER.
      const std::string message = "Failover didn't finish, deferring";
      ops::log::info(message);
      unit().set_status(ops::WaitingStatus(message));
      event.defer();
      return;
    }
    ops::log::info("Failover away from " + departing_host + " finished: " + *result.new_master +
                   " is the master");
    set_application_master(*result.new_master);
  }

  ops::log::debug("Resetting sentinel");
  reset_sentinel();
  unit().set_status(ops::ActiveStatus());
}

void RedisK8sCharm::on_redis_relation_created(ops::RelationCreatedEvent& event) {
  ops::log::warning("DEPRECATION WARNING - `redis` interface is a legacy interface.");
  if (!unit().is_leader()) return;
  ops::Relation* relation = peers();
  if (relation == nullptr) {
    event.defer();
    return;
  }
  // Fix: only a requirer that has not said `auth-capable` turns the password
  // off (decided once its units join); the reference does it for every client.
  sync_auth_mode(std::nullopt);
  if (auto master = current_master()) {
    event.relation().data(app()).set(kLeaderHostKey, *master);
  }
  update_layer();
  if (!unit_is_active()) event.defer();
}

void RedisK8sCharm::on_redis_relation_changed(ops::RelationChangedEvent&) {
  if (unit().is_leader() && peers() != nullptr && sync_auth_mode(std::nullopt)) update_layer();
}

void RedisK8sCharm::on_redis_relation_broken(ops::RelationBrokenEvent& event) {
  // Fix: when the last legacy relation goes, the password comes back on.
  if (unit().is_leader() && peers() != nullptr && sync_auth_mode(event.relation_id())) {
    update_layer();
  }
}

bool RedisK8sCharm::sync_auth_mode(std::optional<int> broken_relation) {
  const bool legacy = redis_provides_.any_legacy(broken_relation);
  const auto current = peer_app_value(kEnablePasswordKey);
  // Without any legacy relation so far the key stays unset, as in the reference.
  if ((!legacy && !current) || current == (legacy ? "false" : "true")) return false;
  ops::log::warning(legacy ? "A legacy `redis` client cannot authenticate: Redis runs without a "
                             "password while it is related"
                           : "No legacy `redis` client is left: Redis requires its password again");
  peers()->data(app()).set(kEnablePasswordKey, legacy ? "false" : "true");
  redis_provides_.publish_all();
  return true;
}

void RedisK8sCharm::on_check_service_action(ops::ActionEvent& event) {
  ops::log::debug("Beginning check_service");
  event.set_results({{"result", redis_check() ? "Service is running" : "Service is not running"}});
}

void RedisK8sCharm::on_get_initial_admin_password_action(ops::ActionEvent& event) {
  if (legacy_mode()) {
    event.fail("Redis runs without a password: a legacy `redis` relation switched it off");
    return;
  }
  auto password = redis_password();
  if (!password) {
    event.fail("The Redis password has not been generated yet: wait for the leader to set it");
    return;
  }
  event.set_results({{"redis-password", *password}});
}

void RedisK8sCharm::on_get_sentinel_password_action(ops::ActionEvent& event) {
  auto password = sentinel_password();
  if (!password) {
    event.fail("The Sentinel password has not been generated yet: wait for the leader to set it");
    return;
  }
  event.set_results({{"sentinel-password", *password}});
}

std::function<std::unique_ptr<ops::CharmBase>(ops::Framework&)> make_redis_charm_factory(
    RedisCharmCollaborators collaborators) {
  return [collaborators](ops::Framework& framework) -> std::unique_ptr<ops::CharmBase> {
    return std::make_unique<RedisK8sCharm>(framework, collaborators);
  };
}

}  // namespace redis_k8s
