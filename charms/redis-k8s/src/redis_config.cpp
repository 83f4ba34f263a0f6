// Pure configuration functions of the redis-k8s charm.
#include "redis_config.hpp"

#include <stdexcept>
#include <vector>

#include <openssl/err.h>
#include <openssl/rand.h>

namespace redis_k8s {

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

constexpr char kPasswordAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr unsigned kAlphabetSize = sizeof(kPasswordAlphabet) - 1;  // 62
// The largest multiple of 62 that fits a byte: bytes at or above it are rejected.
constexpr unsigned kRejectFrom = 256 / kAlphabetSize * kAlphabetSize;  // 248

}  // namespace

std::string redis_server_flags(const RedisServerSettings& s) {
  std::vector<std::string> flags;
  if (s.legacy) {
    flags = {"--bind",
             "0.0.0.0",
             "--replica-announce-ip",
             s.fqdn,
             "--protected-mode",
             "no",
             "--logfile",
             kLogFile,
             "--appendonly",
             "yes",
             "--dir",
             kWorkingDir};
  } else {
    flags = {"--requirepass",
             s.password,
             "--bind",
             "0.0.0.0",
             "--masterauth",
             s.password,
             "--replica-announce-ip",
             s.fqdn,
             "--logfile",
             kLogFile,
             "--appendonly",
             "yes",
             "--dir",
             kWorkingDir};
  }
  if (s.tls) {
    for (const char* f :
         {"--tls-port", "6379", "--port", "0", "--tls-auth-clients", "optional", "--tls-cert-file",
          kCertPath, "--tls-key-file", kKeyPath, "--tls-ca-cert-file", kCaCertPath}) {
      flags.emplace_back(f);
    }
  }
  if (!s.current_master.empty() && s.current_master != s.fqdn) {
    flags.insert(flags.end(), {"--replicaof", s.current_master, std::to_string(kRedisPort)});
    if (s.tls) flags.insert(flags.end(), {"--tls-replication", "yes"});
  }
  return join(flags);
}

std::string redis_server_command(const RedisServerSettings& settings) {
  return "redis-server " + redis_server_flags(settings);
}

std::string sentinel_conf(const SentinelSettings& s) {
  const std::string& app = s.app_name;
  std::string out;
  out += "port " + std::to_string(kSentinelPort) + "\n";
  out += "sentinel monitor " + app + " " + s.current_master + " " + std::to_string(kRedisPort) +
         " " + std::to_string(s.quorum) + "\n";
  out += "sentinel down-after-milliseconds " + app + " 5000\n";
  out += "sentinel failover-timeout " + app + " 30000\n";
  out += "sentinel parallel-syncs " + app + " 1\n";
  if (s.redis_password) out += "sentinel auth-pass " + app + " " + *s.redis_password + "\n";
  out += "requirepass " + s.sentinel_password + "\n";
  out += "sentinel announce-hostnames yes\n";
  out += "sentinel resolve-hostnames yes\n";
  out += "sentinel announce-ip " + s.fqdn + "\n";
  out += "replica-announce-ip " + s.fqdn + "\n";
  return out;
}

int expected_quorum(int planned_units) { return planned_units / 2 + 1; }

std::string k8s_hostname(std::string_view unit_name, std::string_view model_name) {
  auto slash = unit_name.find('/');
  std::string_view app = unit_name.substr(0, slash == std::string_view::npos ? 0 : slash);
  std::string_view number =
      slash == std::string_view::npos ? std::string_view() : unit_name.substr(slash + 1);
  bool numeric = !number.empty();
  for (char c : number) numeric = numeric && c >= '0' && c <= '9';
  if (app.empty() || !numeric) {
    throw std::invalid_argument("not a unit name (expected <app>/<number>): '" +
                                std::string(unit_name) + "'");
  }
  std::string a(app);
  return a + "-" + std::string(number) + "." + a + "-endpoints." + std::string(model_name) +
         ".svc.cluster.local";
}

void openssl_random_bytes(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    throw std::runtime_error("RAND_bytes failed: " +
                             std::string(ERR_error_string(ERR_get_error(), nullptr)));
  }
}

std::string generate_password(const RandomBytes& random) {
  std::string out;
  unsigned char buf[32];
  while (out.size() < kPasswordLength) {
    random(buf, sizeof buf);
    for (unsigned char b : buf) {
      if (b >= kRejectFrom) continue;  // would favour the first 8 characters
      out += kPasswordAlphabet[b % kAlphabetSize];
      if (out.size() == kPasswordLength) break;
    }
  }
  return out;
}

}  // namespace redis_k8s
