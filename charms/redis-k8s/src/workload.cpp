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
    if (host == "localhost") options.tls_server_name = s.local_server_name;
  } else {
    options.port = s.sentinel_port;
    options.password = s.sentinel_password;
  }
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
