// Pure configuration functions of the redis-k8s charm.
#include "redis_config.hpp"

#include <stdexcept>
#include <vector>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace redis_k8s {

namespace {

constexpr char kPasswordAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr unsigned kAlphabetSize = sizeof(kPasswordAlphabet) - 1;  // 62
// The largest multiple of 62 that fits a byte: bytes at or above it are rejected.
constexpr unsigned kRejectFrom = 256 / kAlphabetSize * kAlphabetSize;  // 248

}  // namespace

std::string redis_conf(const RedisServerSettings& s) {
  std::vector<std::string> lines;
  if (s.legacy) {
    lines = {"bind 0.0.0.0", "replica-announce-ip " + s.fqdn, "protected-mode no"};
  } else {
    lines = {"requirepass " + s.password, "bind 0.0.0.0", "masterauth " + s.password,
             "replica-announce-ip " + s.fqdn};
  }
  lines.insert(lines.end(), {"logfile \"\"", "appendonly yes", std::string("dir ") + kWorkingDir});
  if (s.tls) {
    lines.insert(
        lines.end(),
        {"tls-port " + std::to_string(kRedisPort), "port 0", "tls-auth-clients optional",
         std::string("tls-cert-file ") + kCertPath, std::string("tls-key-file ") + kKeyPath,
         std::string("tls-ca-cert-file ") + kCaCertPath, "tls-replication yes"});
  } else {
    lines.push_back("port " + std::to_string(kRedisPort));
  }
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

std::string redis_start_script(const StartScriptSettings& s) {
  std::string out;
  out += "#!/bin/sh\n";
  out += "# Written by the redis-k8s charm. Starts redis-server in the role the local\n";
  out += "# Sentinel assigns now, so that a restarted Redis never comes back as a second\n";
  out += "# master; the charm's view of the master when Sentinel cannot answer. When\n";
  out += "# Sentinel still names this unit but has seen it down (a failover to one of\n";
  out += "# its replicas may be under way), it waits for Sentinel's next word, at most " +
         std::to_string(kStartWaitSeconds) + " s.\n";
  const std::string tls = s.tls ? std::string(" --tls --cacert ") + kCaCertPath : "";
  out += "field() { printf '%s\\n' \"$answer\" | sed -n \"/^$1\\$/{n;p;q;}\"; }\n";
  out += "waited=0\n";
  out += "while :; do\n";
  out += "  answer=$(REDISCLI_AUTH=\"$SENTINEL_PASSWORD\" redis-cli -h localhost -p " +
         std::to_string(kSentinelPort) + tls + " --raw SENTINEL MASTER " + s.app_name +
         " 2>/dev/null)\n";
  out += "  host=$(field ip)\n";
  out += "  port=$(field port)\n";
  out += "  case \"$host:$port\" in\n";
  out += "    *\" \"* | :* | *: ) host='" + s.current_master +
         "'; port=" + std::to_string(kRedisPort) + "; break ;;\n";
  out += "  esac\n";
  out += "  [ \"$host\" = '" + s.fqdn + "' ] || break\n";
  out += "  case \",$(field flags),\" in\n";
  out += "    *,s_down,* | *,o_down,* | *,failover_in_progress,* ) ;;\n";
  out += "    *) break ;;\n";
  out += "  esac\n";
  out += "  case \"$(field num-slaves)\" in '' | 0) break ;; esac\n";
  out += "  [ \"$waited\" -lt " + std::to_string(kStartWaitSeconds) + " ] || break\n";
  out += "  waited=$((waited + 1))\n";
  out += "  sleep 1\n";
  out += "done\n";
  out += "if [ \"$host\" = '" + s.fqdn + "' ] || [ -z \"$host\" ]; then\n";
  out += std::string("  exec redis-server ") + kRedisConfigPath + " --replicaof no one\n";
  out += "fi\n";
  out +=
      std::string("exec redis-server ") + kRedisConfigPath + " --replicaof \"$host\" \"$port\"\n";
  return out;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string sentinel_conf(const SentinelSettings& s) {
  const std::string& app = s.app_name;
  std::string out;
  if (s.tls) {
    // Redis listens on TLS only (port 0): Sentinel reaches it, and the other
    // Sentinels, with TLS too (tls-replication), and serves TLS only.
    out += "port 0\n";
    out += "tls-port " + std::to_string(kSentinelPort) + "\n";
    out += std::string("tls-cert-file ") + kSentinelCertPath + "\n";
    out += std::string("tls-key-file ") + kSentinelKeyPath + "\n";
    out += std::string("tls-ca-cert-file ") + kSentinelCaCertPath + "\n";
    out += "tls-auth-clients optional\n";
    out += "tls-replication yes\n";
  } else {
    out += "port " + std::to_string(kSentinelPort) + "\n";
  }
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
