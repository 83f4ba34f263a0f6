// Pure configuration functions of the redis-k8s charm.
#include "redis_config.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

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

namespace {

// SHA-256 (FIPS 180-4), our own: the one digest the charm needs does not
// justify loading libcrypto in every hook that builds the Pebble layer.
constexpr std::array<std::uint32_t, 64> kSha256Rounds = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

std::uint32_t rotate_right(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// Folds one 64-byte block into `state`.
void sha256_block(std::array<std::uint32_t, 8>& state, const unsigned char* block) {
  std::array<std::uint32_t, 64> w{};
  for (int i = 0; i < 16; ++i) {
    w[i] = std::uint32_t(block[4 * i]) << 24 | std::uint32_t(block[4 * i + 1]) << 16 |
           std::uint32_t(block[4 * i + 2]) << 8 | std::uint32_t(block[4 * i + 3]);
  }
  for (int i = 16; i < 64; ++i) {
    std::uint32_t s0 = rotate_right(w[i - 15], 7) ^ rotate_right(w[i - 15], 18) ^ (w[i - 15] >> 3);
    std::uint32_t s1 = rotate_right(w[i - 2], 17) ^ rotate_right(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5],
                g = state[6], h = state[7];
  for (int i = 0; i < 64; ++i) {
    std::uint32_t s1 = rotate_right(e, 6) ^ rotate_right(e, 11) ^ rotate_right(e, 25);
    std::uint32_t choose = (e & f) ^ (~e & g);
    std::uint32_t t1 = h + s1 + choose + kSha256Rounds[i] + w[i];
    std::uint32_t s0 = rotate_right(a, 2) ^ rotate_right(a, 13) ^ rotate_right(a, 22);
    std::uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    std::uint32_t t2 = s0 + majority;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

}  // namespace

std::string sha256_hex(std::string_view text) {
  std::array<std::uint32_t, 8> state = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t whole = text.size() / 64 * 64;
  for (std::size_t at = 0; at < whole; at += 64) sha256_block(state, data + at);
  // The tail, the 0x80 marker, zeros, and the length in bits (big-endian):
  // one block, or two when the tail leaves no room for the length.
  unsigned char last[128] = {};
  std::size_t tail = text.size() - whole;
  if (tail > 0) std::memcpy(last, data + whole, tail);
  last[tail] = 0x80;
  std::size_t blocks = tail < 56 ? 1 : 2;
  std::uint64_t bits = std::uint64_t(text.size()) * 8;
  for (int i = 0; i < 8; ++i)
    last[blocks * 64 - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  for (std::size_t b = 0; b < blocks; ++b) sha256_block(state, last + 64 * b);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint32_t word : state) {
    for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(word >> shift) & 0xf];
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

void system_random_bytes(unsigned char* out, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::getrandom(out, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    out += n;
    size -= static_cast<std::size_t>(n);
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
