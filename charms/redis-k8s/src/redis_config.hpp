// The redis-k8s charm's constants and the pure functions that turn charm
// state into workload configuration: redis-server's flags, sentinel.conf,
// the expected Sentinel quorum, the Kubernetes hostname of a unit, and
// password generation. Nothing here talks to Juju, Pebble or Redis, so every
// function is tested with exact strings.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace redis_k8s {

inline constexpr int kRedisPort = 6379;
inline constexpr int kSentinelPort = 26379;
inline constexpr int kMetricsPort = 9121;
inline constexpr const char* kPeerRelation = "redis-peers";
inline constexpr const char* kRedisRelation = "redis";
inline constexpr const char* kWaitingMessage = "Waiting for Redis...";
inline constexpr const char* kPeerPasswordKey = "redis-password";
inline constexpr const char* kSentinelPasswordKey = "sentinel-password";
inline constexpr const char* kLeaderHostKey = "leader-host";
inline constexpr const char* kEnablePasswordKey = "enable-password";
inline constexpr const char* kUpgradingKey = "upgrading";
inline constexpr const char* kRedisUser = "redis";
inline constexpr const char* kLogDir = "/var/log/redis";
inline constexpr const char* kLogFile = "/var/log/redis/redis-server.log";
inline constexpr const char* kConfigDir = "/etc/redis-server";
inline constexpr const char* kWorkingDir =
    "/var/lib/redis/";  // trailing slash, as redis-server gets it
inline constexpr const char* kSentinelConfigPath = "/etc/redis-server/sentinel.conf";
inline constexpr const char* kRedisConfigPath = "/etc/redis-server/redis.conf";
inline constexpr const char* kStartScriptPath = "/etc/redis-server/start-redis.sh";
inline constexpr const char* kCertPath = "/var/lib/redis/redis.crt";
inline constexpr const char* kKeyPath = "/var/lib/redis/redis.key";
inline constexpr const char* kCaCertPath = "/var/lib/redis/ca.crt";
// The same three files in the sentinel container (its own filesystem), for
// Sentinel's TLS port and its TLS connections to Redis and the other
// Sentinels.
inline constexpr const char* kSentinelCertPath = "/etc/redis-server/redis.crt";
inline constexpr const char* kSentinelKeyPath = "/etc/redis-server/redis.key";
inline constexpr const char* kSentinelCaCertPath = "/etc/redis-server/ca.crt";
inline constexpr int kSocketTimeoutMs = 1000;
inline constexpr std::size_t kPasswordLength = 16;
// The leader's wait for a failover it forced: how often it asks its
// Sentinel, and for how long at most before deferring (fix, see the charm).
inline constexpr int kFailoverPollIntervalMs = 250;
inline constexpr int kFailoverWaitMs = 10000;
// The handover of a departing master (issue: no acknowledged write lost):
// how long its writes stay paused at most, and how long the replicas get to
// reach its replication offset before the failover goes ahead anyway.
inline constexpr int kHandoverPauseMs = 15000;
inline constexpr int kCatchUpWaitMs = 3000;
// How long Sentinel must have seen each replica as a replica before a
// handover fails over: its INFO period for replicas (10 s) and a margin.
// A replica that answered master more recently may still be "master" in
// another Sentinel's last INFO; promoted now, that Sentinel would demote it
// at once as a stray master and the failover would stall in wait_promotion.
inline constexpr int kReplicaSettleMs = 11000;
// The longest a handover waits for that before failing over anyway.
inline constexpr int kReplicaSettleWaitMs = 12000;

// What decides redis.conf. The role (master or replica of whom) is not
// part of it: the start script asks Sentinel at every start (see
// redis_start_script), and the charm corrects a running Redis with REPLICAOF.
struct RedisServerSettings {
  std::string fqdn;      // this unit's hostname, announced to replicas
  std::string password;  // the redis password (ignored in legacy mode)
  bool legacy = false;   // peer app `enable-password` == "false": no password
  bool tls = false;      // config enable-tls
};

// The text of /etc/redis-server/redis.conf, one directive a line: base
// settings (normal or legacy), then TLS. Redis logs to stdout (`logfile ""`)
// so that Pebble's log stream carries it. The passwords live only here
// (pushed 0600, owner redis), never on a command line.
std::string redis_conf(const RedisServerSettings& settings);

// What the start script needs to pick the role.
struct StartScriptSettings {
  std::string app_name;        // the master's name in Sentinel
  std::string fqdn;            // this unit's hostname (the master when Sentinel names it)
  std::string current_master;  // peer app `leader-host` when the script was written: the
                               // fallback when the local Sentinel cannot answer
  bool tls = false;            // config enable-tls: Sentinel listens on TLS only
};

// At most this long (seconds) the start script waits for Sentinel to name
// another master when it names this unit but flags it down (s_down,
// o_down or failover_in_progress) and it has replicas: a failover that
// started while this Redis was down ends well within it (down-after 5 s is
// already past; election and promotion take a few seconds more).
inline constexpr int kStartWaitSeconds = 15;

// The text of /etc/redis-server/start-redis.sh, the `redis` service's
// command: asks the unit's own Sentinel (localhost:26379, password from
// $SENTINEL_PASSWORD through REDISCLI_AUTH; `SENTINEL MASTER <app>`) which
// host is the master, falls back to `current_master` when it cannot answer,
// and execs `redis-server /etc/redis-server/redis.conf --replicaof no one`
// when that is this unit, else `... --replicaof <host> <port>`. When
// Sentinel names this unit while flagging it down and it has replicas, the
// script asks again every second (at most kStartWaitSeconds): starting as a
// master then would make a second master beside the replica Sentinel is
// promoting, and Sentinel demotes such a stray only 8 s after it shows up.
std::string redis_start_script(const StartScriptSettings& settings);

// The `redis` Pebble service's command.
inline constexpr const char* kRedisStartCommand = "/bin/sh /etc/redis-server/start-redis.sh";

// The hex SHA-256 of `text` (the layer carries redis.conf's digest so that
// a changed configuration restarts Redis and an unchanged one does not).
std::string sha256_hex(std::string_view text);

// What sentinel.conf says.
struct SentinelSettings {
  std::string app_name;        // the monitored master's name
  std::string current_master;  // its host
  int quorum = 1;
  std::optional<std::string> redis_password;  // `sentinel auth-pass` only when set
  std::string sentinel_password;
  std::string fqdn;  // announced by this sentinel
  bool tls = false;  // config enable-tls: TLS port only, TLS to Redis and the other Sentinels
};

// The text of /etc/redis-server/sentinel.conf, one directive a line.
std::string sentinel_conf(const SentinelSettings& settings);

// The quorum the sentinels should use: planned_units / 2 + 1.
int expected_quorum(int planned_units);

// "app/N" in model M -> "app-N.app-endpoints.M.svc.cluster.local". Throws
// std::invalid_argument when the unit name is not "<app>/<number>".
std::string k8s_hostname(std::string_view unit_name, std::string_view model_name);

// Fills `size` bytes with cryptographically strong random bytes.
using RandomBytes = std::function<void(unsigned char* out, std::size_t size)>;

// The kernel's random source (getrandom(2), the same pool OpenSSL seeds
// from); throws std::runtime_error if it fails.
void system_random_bytes(unsigned char* out, std::size_t size);

// A 16-character password over [A-Za-z0-9]: each character from one random
// byte, bytes >= 248 rejected (248 = 4 * 62) so that every character is
// equally likely.
std::string generate_password(const RandomBytes& random = system_random_bytes);

}  // namespace redis_k8s
