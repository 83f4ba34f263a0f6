// RedisWorkload's typed questions, the production workload, and the charm's
// decisions over the answers.
#include "workload.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace redis_k8s {

std::string to_string(Service service) { return service == Service::kRedis ? "redis" : "sentinel"; }

std::map<std::string, std::string> RedisWorkload::info_server(const std::string& host) {
  return parse_info(execute(Service::kRedis, host, {"INFO", "server"}).str());
}

std::string RedisWorkload::role(const std::string& host) {
  RedisReply reply = execute(Service::kRedis, host, {"ROLE"});
  const auto& items = reply.elements();
  if (items.empty()) throw RedisError("empty ROLE reply from " + host);
  return items.front().str();
}

std::map<std::string, std::string> RedisWorkload::sentinel_master(const std::string& host,
                                                                  const std::string& app) {
  return execute(Service::kSentinel, host, {"SENTINEL", "MASTER", app}).as_map();
}

std::string RedisWorkload::sentinel_ckquorum(const std::string& host, const std::string& app) {
  return execute(Service::kSentinel, host, {"SENTINEL", "CKQUORUM", app}).str();
}

void RedisWorkload::sentinel_set_quorum(const std::string& host, const std::string& app,
                                        int quorum) {
  execute(Service::kSentinel, host, {"SENTINEL", "SET", app, "quorum", std::to_string(quorum)});
}

long long RedisWorkload::sentinel_reset(const std::string& host, const std::string& app) {
  return execute(Service::kSentinel, host, {"SENTINEL", "RESET", app}).integer();
}

void RedisWorkload::sentinel_failover(const std::string& host, const std::string& app) {
  execute(Service::kSentinel, host, {"SENTINEL", "FAILOVER", app});
}

std::vector<std::map<std::string, std::string>> RedisWorkload::sentinel_replicas(
    const std::string& host, const std::string& app) {
  const RedisReply reply = execute(Service::kSentinel, host, {"SENTINEL", "REPLICAS", app});
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& replica : reply.elements()) out.push_back(replica.as_map());
  return out;
}

std::map<std::string, std::string> RedisWorkload::info_replication(const std::string& host) {
  return parse_info(execute(Service::kRedis, host, {"INFO", "replication"}).str());
}

void RedisWorkload::client_pause_write(const std::string& host,
                                       std::chrono::milliseconds duration) {
  execute(Service::kRedis, host, {"CLIENT", "PAUSE", std::to_string(duration.count()), "WRITE"});
}

void RedisWorkload::client_unpause(const std::string& host) {
  execute(Service::kRedis, host, {"CLIENT", "UNPAUSE"});
}

void RedisWorkload::replicaof(const std::string& host, const std::string& master,
                              const std::string& port) {
  execute(Service::kRedis, host, {"REPLICAOF", master, port});
}

ProductionRedisWorkload::ProductionRedisWorkload(std::function<WorkloadSettings()> settings)
    : settings_(std::move(settings)) {}

RedisReply ProductionRedisWorkload::execute(Service service, const std::string& host,
                                            const std::vector<std::string>& argv) {
  WorkloadSettings s = settings_();
  RedisClientOptions options;
  options.host = host;
  options.timeout = s.timeout;
  if (service == Service::kRedis) {
    options.port = s.redis_port;
    options.password = s.redis_password;
    options.tls = s.tls;
    options.ca_file = s.ca_cert_file;
  } else {
    // With TLS on, Sentinel serves TLS only, with the same certificate.
    options.port = s.sentinel_port;
    options.password = s.sentinel_password;
    options.tls = s.tls;
    options.ca_file = s.ca_cert_file;
  }
  if (host == "localhost") options.tls_server_name = s.local_server_name;
  RedisClient client(std::move(options));
  return client.command(argv);
}

std::string choose_fqdn(const std::string& hostname, const std::optional<std::string>& canonical,
                        const std::vector<std::string>& aliases) {
  if (!canonical) return hostname;
  if (canonical->find('.') != std::string::npos) return *canonical;
  for (const auto& alias : aliases) {
    if (alias.find('.') != std::string::npos) return alias;
  }
  return *canonical;
}

std::string local_fqdn() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  std::string hostname = name;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  if (::getaddrinfo(hostname.c_str(), nullptr, &hints, &raw) != 0 || !raw) {
    return choose_fqdn(hostname, std::nullopt, {});
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(raw, ::freeaddrinfo);
  const void* address = nullptr;
  socklen_t length = 0;
  if (raw->ai_family == AF_INET) {
    address = &reinterpret_cast<const sockaddr_in*>(raw->ai_addr)->sin_addr;
    length = sizeof(in_addr);
  } else if (raw->ai_family == AF_INET6) {
    address = &reinterpret_cast<const sockaddr_in6*>(raw->ai_addr)->sin6_addr;
    length = sizeof(in6_addr);
  } else {
    return choose_fqdn(hostname, std::nullopt, {});
  }
  hostent entry{};
  hostent* result = nullptr;
  int h_error = 0;
  std::vector<char> buffer(16 * 1024);
  if (::gethostbyaddr_r(address, length, raw->ai_family, &entry, buffer.data(), buffer.size(),
                        &result, &h_error) != 0 ||
      !result || !result->h_name) {
    return choose_fqdn(hostname, std::nullopt, {});
  }
  std::vector<std::string> aliases;
  for (char** alias = result->h_aliases; alias && *alias; ++alias) aliases.emplace_back(*alias);
  return choose_fqdn(hostname, std::string(result->h_name), aliases);
}

std::optional<std::map<std::string, std::string>> sentinel_master_info(RedisWorkload& workload,
                                                                       const std::string& host,
                                                                       const std::string& app) {
  try {
    return workload.sentinel_master(host, app);
  } catch (const RedisError&) {
    return std::nullopt;
  }
}

bool sentinel_in_majority(RedisWorkload& workload, const std::string& host,
                          const std::string& app) {
  try {
    return workload.sentinel_ckquorum(host, app).rfind("OK", 0) == 0;
  } catch (const RedisError&) {
    return false;
  }
}

namespace {

bool flags_contain(const std::map<std::string, std::string>& info, const std::string& flag) {
  auto it = info.find("flags");
  if (it == info.end()) return false;
  // flags is a comma-separated list, e.g. "master,s_down,o_down".
  const std::string& flags = it->second;
  std::size_t start = 0;
  while (start <= flags.size()) {
    std::size_t comma = flags.find(',', start);
    if (comma == std::string::npos) comma = flags.size();
    if (flags.compare(start, comma - start, flag) == 0 && comma - start == flag.size()) {
      return true;
    }
    start = comma + 1;
  }
  return false;
}

}  // namespace

bool master_up_to_date(const std::optional<std::map<std::string, std::string>>& info,
                       const std::string& current_master) {
  if (!info) return false;
  auto ip = info->find("ip");
  return ip != info->end() && ip->second == current_master && !flags_contain(*info, "s_down");
}

bool failover_finished(const std::optional<std::map<std::string, std::string>>& info) {
  return info && !flags_contain(*info, "failover_in_progress");
}

bool failover_completed_away_from(const std::optional<std::map<std::string, std::string>>& info,
                                  const std::string& old_master) {
  if (!failover_finished(info) || info->count("failover-state") != 0) return false;
  auto ip = info->find("ip");
  return ip != info->end() && !ip->second.empty() && ip->second != old_master;
}

std::optional<std::string> unsettled_replica(
    const std::vector<std::map<std::string, std::string>>& replicas,
    std::chrono::milliseconds settle) {
  for (const auto& replica : replicas) {
    if (flags_contain(replica, "s_down") || flags_contain(replica, "o_down") ||
        flags_contain(replica, "disconnected")) {
      continue;
    }
    const auto role = replica.find("role-reported");
    const auto since = replica.find("role-reported-time");
    bool settled = role != replica.end() && role->second == "slave" && since != replica.end();
    if (settled) {
      try {
        settled = std::stoll(since->second) >= settle.count();
      } catch (const std::exception&) {
        settled = false;
      }
    }
    if (settled) continue;
    const auto name = replica.find("name");
    if (name != replica.end()) return name->second;
    const auto ip = replica.find("ip");
    return ip != replica.end() ? ip->second : std::string("unknown");
  }
  return std::nullopt;
}

ReplicationState replication_state(const std::map<std::string, std::string>& info) {
  ReplicationState state;
  if (auto it = info.find("role"); it != info.end()) state.role = it->second;
  if (auto it = info.find("master_repl_offset"); it != info.end()) {
    state.master_repl_offset = std::stoll(it->second);
  }
  for (const auto& [key, value] : info) {
    if (key.rfind("slave", 0) != 0 || key.size() == 5 ||
        key.find_first_not_of("0123456789", 5) != std::string::npos) {
      continue;
    }
    // "ip=10.1.0.5,port=6379,state=online,offset=1234,lag=0"
    std::map<std::string, std::string> fields;
    std::size_t start = 0;
    while (start < value.size()) {
      std::size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      std::string item = value.substr(start, comma - start);
      if (auto eq = item.find('='); eq != std::string::npos) {
        fields[item.substr(0, eq)] = item.substr(eq + 1);
      }
      start = comma + 1;
    }
    if (fields["state"] != "online" || fields["offset"].empty()) continue;
    state.replica_offsets.push_back(std::stoll(fields["offset"]));
    state.replica_addresses.emplace_back(fields["ip"], fields["port"]);
  }
  return state;
}

namespace {

std::string field(const std::map<std::string, std::string>& info, const std::string& key) {
  auto it = info.find(key);
  return it == info.end() ? std::string() : it->second;
}

}  // namespace

HandoverResult hand_over_master(RedisWorkload& workload, const std::string& master_host,
                                const std::string& sentinel_host, const std::string& app,
                                const HandoverTiming& timing,
                                const std::function<void(const std::string&)>& log) {
  HandoverResult result;
  auto before = sentinel_master_info(workload, sentinel_host, app);
  if (!before || field(*before, "ip").empty()) {
    result.error = "the Sentinel at " + sentinel_host + " does not know the master";
    return result;
  }
  const std::string old_ip = field(*before, "ip");
  const std::string old_port = field(*before, "port");
  const bool already_running = !failover_finished(before) || before->count("failover-state") != 0;

  bool paused = false;
  // The replicas seen while catching up: the one Sentinel promotes is among them.
  std::vector<std::pair<std::string, std::string>> replicas;
  if (!already_running) {
    const auto settle_deadline = timing.now() + timing.replica_settle_timeout;
    for (;;) {
      std::optional<std::string> unsettled;
      try {
        unsettled = unsettled_replica(workload.sentinel_replicas(sentinel_host, app),
                                      timing.replica_settle);
      } catch (const RedisError& e) {
        log("Cannot list the replicas Sentinel knows: " + std::string(e.what()));
        break;
      }
      if (!unsettled) break;
      if (timing.now() + timing.poll_interval > settle_deadline) {
        log("Sentinel has not seen " + *unsettled + " as a replica for " +
            std::to_string(timing.replica_settle.count()) + " ms; failing over anyway");
        break;
      }
      timing.sleep(timing.poll_interval);
    }
    try {
      workload.client_pause_write(master_host, timing.pause);
      paused = true;
      log("Paused writes on " + master_host + " for at most " +
          std::to_string(timing.pause.count()) + " ms");
    } catch (const RedisError& e) {
      log("Could not pause writes on " + master_host + ": " + e.what());
    }
    // Wait until the replicas have everything the master acknowledged.
    const auto deadline = timing.now() + timing.catch_up_timeout;
    std::string last_offsets = "unknown";
    for (;;) {
      try {
        ReplicationState state = replication_state(workload.info_replication(master_host));
        if (state.role == "master") replicas = state.replica_addresses;
        if (state.role != "master") {
          log(master_host + " is no longer a master (role " + state.role + ")");
          break;
        }
        last_offsets = "master " + std::to_string(state.master_repl_offset) + ", replicas";
        for (long long offset : state.replica_offsets) last_offsets += " " + std::to_string(offset);
        std::size_t behind = 0;
        for (long long offset : state.replica_offsets) {
          if (offset < state.master_repl_offset) ++behind;
        }
        if (!state.replica_offsets.empty() && behind == 0) {
          result.caught_up = true;
          log("Every replica of " + master_host + " reached offset " +
              std::to_string(state.master_repl_offset));
          break;
        }
      } catch (const RedisError& e) {
        log("Cannot read the replication offsets of " + master_host + ": " + e.what());
        break;
      }
      if (timing.now() + timing.poll_interval > deadline) {
        log("Replicas of " + master_host + " did not catch up within " +
            std::to_string(timing.catch_up_timeout.count()) + " ms (" + last_offsets +
            "); Sentinel promotes the most advanced one");
        break;
      }
      timing.sleep(timing.poll_interval);
    }
    // Another runner (the departing unit or the leader) may have failed
    // over meanwhile: a second FAILOVER would move the new master away.
    auto now = sentinel_master_info(workload, sentinel_host, app);
    const bool moved_on = !now || !failover_finished(now) || now->count("failover-state") != 0 ||
                          field(*now, "ip") != old_ip || field(*now, "port") != old_port;
    if (moved_on) {
      log("A failover away from " + old_ip + " is already running or done; waiting for it");
    } else {
      try {
        workload.sentinel_failover(sentinel_host, app);
        log("Sentinel failover away from " + old_ip + " started");
      } catch (const RedisReplyError& e) {
        if (std::string(e.what()).rfind("INPROG", 0) != 0) {
          result.error = e.what();
        } else {
          log("A failover is already running; waiting for it");
        }
      } catch (const RedisError& e) {
        result.error = e.what();
      }
    }
  }

  // Demotes the old master to a replica of `host`; true when it took.
  std::optional<std::string> demoted_to;
  auto demote = [&](const std::string& host, const std::string& port) {
    try {
      workload.replicaof(master_host, host, port);
      demoted_to = host;
      log("Made " + master_host + " a replica of " + host);
      return true;
    } catch (const RedisError& e) {
      log("Could not make " + master_host + " a replica: " + e.what());
      return false;
    }
  };
  auto unpause = [&] {
    try {
      workload.client_unpause(master_host);
    } catch (const RedisError& e) {
      log("Could not unpause " + master_host + ": " + e.what());
    }
    paused = false;
  };

  if (!result.error) {
    const auto deadline = timing.now() + timing.failover_timeout;
    for (;;) {
      auto info = sentinel_master_info(workload, sentinel_host, app);
      if (info && failover_finished(info) && info->count("failover-state") == 0 &&
          !field(*info, "ip").empty() &&
          (field(*info, "ip") != old_ip || field(*info, "port") != old_port)) {
        result.new_master = field(*info, "ip");
        result.new_master_port = field(*info, "port");
        break;
      }
      const std::string state = info ? field(*info, "failover-state") : "";
      if (paused && !demoted_to && (state == "reconf_slaves" || state == "update_config")) {
        // Sentinel has seen its promoted replica answer as master and told
        // the other Sentinels the new configuration (they no longer treat
        // that replica as a stray master to demote); only the other
        // replicas' reconfiguration is left. End the pause now: the promoted
        // replica is the one of ours that answers ROLE master.
        for (const auto& [host, port] : replicas) {
          std::string role;
          try {
            role = workload.role(host);
          } catch (const RedisError&) {
            continue;  // not reachable now: not the promoted one we can use
          }
          if (role != "master") continue;
          log(host + " answers ROLE master: Sentinel promoted it");
          if (demote(host, port.empty() ? std::to_string(kRedisPort) : port)) unpause();
          break;
        }
      }
      if (timing.now() + timing.poll_interval > deadline) {
        log("Failover away from " + old_ip + " not finished after " +
            std::to_string(timing.failover_timeout.count()) + " ms");
        break;
      }
      timing.sleep(timing.poll_interval);
    }
  }

  if (result.new_master && demoted_to != *result.new_master) {
    // Not demoted: it stays paused rather than writable beside the new one.
    if (!demote(*result.new_master, result.new_master_port) && !demoted_to) paused = false;
  } else if (paused && !demoted_to && !result.error) {
    // The bound passed with the failover unfinished. Sentinel may still
    // have promoted one of the replicas: then the old master must not take
    // writes again beside it. It follows the promoted one; when it cannot
    // be demoted it stays paused (the pause ends by itself).
    for (const auto& [host, port] : replicas) {
      std::string role;
      try {
        role = workload.role(host);
      } catch (const RedisError&) {
        continue;
      }
      if (role != "master") continue;
      log(host + " answers ROLE master after the bound: following it rather than unpausing");
      if (!demote(host, port.empty() ? std::to_string(kRedisPort) : port)) paused = false;
      break;
    }
  }
  if (paused) unpause();
  return result;
}

std::map<std::string, std::string> broadcast_sentinel_quorum(RedisWorkload& workload,
                                                             const std::vector<std::string>& hosts,
                                                             const std::string& app, int quorum) {
  std::map<std::string, std::string> failures;
  for (const auto& host : hosts) {
    try {
      workload.sentinel_set_quorum(host, app, quorum);
    } catch (const RedisError& e) {
      failures[host] = e.what();
    }
  }
  return failures;
}

std::map<std::string, std::string> broadcast_sentinel_reset(RedisWorkload& workload,
                                                            const std::vector<std::string>& hosts,
                                                            const std::string& app) {
  std::map<std::string, std::string> failures;
  for (const auto& host : hosts) {
    try {
      workload.sentinel_reset(host, app);
    } catch (const RedisError& e) {
      failures[host] = e.what();
    }
  }
  return failures;
}

}  // namespace redis_k8s
