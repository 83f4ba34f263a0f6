// RedisWorkload: every question the redis-k8s charm asks its Redis servers
// and Sentinels, behind one interface so that charm tests can script them.
//
// A subclass implements one primitive, execute(service, host, argv), which
// sends one command to the Redis server (port 6379) or the Sentinel (port
// 26379) at `host` and returns the reply or throws a RedisError. The typed
// questions (info_server, sentinel_master, ...) are built on it here, once,
// so the production workload and the fake build the same commands and parse
// the same replies. ProductionRedisWorkload opens one short connection per
// command, with the passwords and TLS settings current at that moment;
// FakeRedisWorkload (fake_workload.hpp) answers from a script and records
// what was sent.
//
// The free functions at the end are the charm's decisions over these answers
// (in_majority, master up to date, failover finished, broadcasting to every
// sentinel); they never throw a RedisError: a Redis error reply is handled
// like a connection error.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "redis_client.hpp"
#include "redis_config.hpp"

namespace redis_k8s {

// Which server on a host a command goes to.
enum class Service { kRedis, kSentinel };

// "redis" or "sentinel".
std::string to_string(Service service);

class RedisWorkload {
 public:
  virtual ~RedisWorkload() = default;

  // Sends argv to `service` at `host`; returns the reply. Throws
  // RedisConnectionError, RedisTimeoutError or RedisReplyError.
  virtual RedisReply execute(Service service, const std::string& host,
                             const std::vector<std::string>& argv) = 0;

  // `INFO server` on the Redis at host, as key -> value
  // (e.g. "redis_version" -> "7.0.15"). Throws RedisError.
  std::map<std::string, std::string> info_server(const std::string& host);

  // `ROLE` on the Redis at host: "master", "slave" (replica) or "sentinel". Throws RedisError.
  std::string role(const std::string& host);

  // `SENTINEL MASTER <app>` on the sentinel at host, as field -> value
  // ("ip", "port", "flags", ...). Throws RedisError.
  std::map<std::string, std::string> sentinel_master(const std::string& host,
                                                     const std::string& app);

  // `SENTINEL CKQUORUM <app>`: the sentinel's text, "OK 3 usable Sentinels...".
  // Throws RedisReplyError("NOQUORUM ...") when there is no majority.
  std::string sentinel_ckquorum(const std::string& host, const std::string& app);

  // `SENTINEL SET <app> quorum <n>` on the sentinel at host. Throws RedisError.
  void sentinel_set_quorum(const std::string& host, const std::string& app, int quorum);

  // `SENTINEL RESET <app>` on the sentinel at host; returns how many masters were reset.
  long long sentinel_reset(const std::string& host, const std::string& app);

  // `SENTINEL FAILOVER <app>` on the sentinel at host. Throws RedisError
  // (e.g. RedisReplyError "NOGOODSLAVE No suitable replica to promote").
  void sentinel_failover(const std::string& host, const std::string& app);

  // `SENTINEL REPLICAS <app>` on the sentinel at host: one key -> value map
  // per replica it knows. Throws RedisError.
  std::vector<std::map<std::string, std::string>> sentinel_replicas(const std::string& host,
                                                                    const std::string& app);

  // `INFO replication` on the Redis at host, as key -> value. Throws RedisError.
  std::map<std::string, std::string> info_replication(const std::string& host);

  // `CLIENT PAUSE <ms> WRITE` on the Redis at host: write commands wait (at
  // most `duration`), reads and replication go on. Throws RedisError.
  void client_pause_write(const std::string& host, std::chrono::milliseconds duration);

  // `CLIENT UNPAUSE` on the Redis at host. Throws RedisError.
  void client_unpause(const std::string& host);

  // `REPLICAOF <master> <port>` on the Redis at host. Throws RedisError.
  void replicaof(const std::string& host, const std::string& master, const std::string& port);
};

// How the production workload reaches the servers; read again for every
// command, because passwords appear in the peer data during a dispatch.
struct WorkloadSettings {
  std::string redis_password;     // AUTH to Redis when non-empty
  std::string sentinel_password;  // AUTH to Sentinel when non-empty
  bool tls = false;               // Redis over TLS (config enable-tls); Sentinel stays plain
  std::optional<std::string> ca_cert_file;  // the CA to trust for TLS
  // The name this unit's certificate carries (its FQDN), verified when the
  // charm dials its own Redis as "localhost" over TLS.
  std::optional<std::string> local_server_name;
  int redis_port = kRedisPort;
  int sentinel_port = kSentinelPort;
  std::chrono::milliseconds timeout{kSocketTimeoutMs};
};

// The real thing: one RedisClient connection per command.
class ProductionRedisWorkload : public RedisWorkload {
 public:
  explicit ProductionRedisWorkload(std::function<WorkloadSettings()> settings);

  RedisReply execute(Service service, const std::string& host,
                     const std::vector<std::string>& argv) override;

 private:
  std::function<WorkloadSettings()> settings_;
};

// This unit's fully qualified hostname, the way Python's socket.getfqdn()
// finds it: the host name resolved, its address looked up in reverse, and
// the first of (canonical name, aliases) containing a dot, else the
// canonical name; the plain host name when a lookup fails.
std::string local_fqdn();

// The choice local_fqdn() makes, given the reverse lookup's result (nullopt
// when the lookup failed).
std::string choose_fqdn(const std::string& hostname, const std::optional<std::string>& canonical,
                        const std::vector<std::string>& aliases);

// ---- decisions over the answers (never throw RedisError) ----

// `SENTINEL MASTER` at host, or nullopt when the sentinel cannot answer.
std::optional<std::map<std::string, std::string>> sentinel_master_info(RedisWorkload& workload,
                                                                       const std::string& host,
                                                                       const std::string& app);

// The sentinel at host reports a usable majority (CKQUORUM answers "OK ...").
bool sentinel_in_majority(RedisWorkload& workload, const std::string& host, const std::string& app);

// Master info is present, its ip is current_master and it is not subjectively down.
bool master_up_to_date(const std::optional<std::map<std::string, std::string>>& info,
                       const std::string& current_master);

// Master info is present and no failover is in progress.
bool failover_finished(const std::optional<std::map<std::string, std::string>>& info);

// A failover away from `old_master` is over: master info is present, no
// failover is in progress (neither the failover_in_progress flag nor a
// failover-state field, which Sentinel reports only during one) and the
// master's ip is set and is no longer `old_master`.
bool failover_completed_away_from(const std::optional<std::map<std::string, std::string>>& info,
                                  const std::string& old_master);

// The replication state of a master as `INFO replication` reports it.
struct ReplicationState {
  std::string role;                        // "master" or "slave"
  long long master_repl_offset = 0;        // what the master has written
  std::vector<long long> replica_offsets;  // each online replica's acknowledged offset
  // Each online replica's announced address and port, in the same order.
  std::vector<std::pair<std::string, std::string>> replica_addresses;
};

// Parses `INFO replication` fields (role, master_repl_offset, slaveN lines
// "ip=...,port=...,state=online,offset=N,lag=0"). Replicas not online are left out.
ReplicationState replication_state(const std::map<std::string, std::string>& info);

// The first replica in a `SENTINEL REPLICAS` answer that Sentinel has not
// seen as a replica for at least `settle` (role-reported not "slave", or
// role-reported-time below it), leaving out replicas that are down or
// disconnected (Sentinel never promotes those); nullopt when there is none.
// Its "name" ("host:port"), or its ip when it has no name.
std::optional<std::string> unsettled_replica(
    const std::vector<std::map<std::string, std::string>>& replicas,
    std::chrono::milliseconds settle);

// How the handover of a departing master waits.
struct HandoverTiming {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  std::chrono::milliseconds poll_interval{kFailoverPollIntervalMs};
  std::chrono::milliseconds catch_up_timeout{kCatchUpWaitMs};
  std::chrono::milliseconds failover_timeout{kFailoverWaitMs};
  std::chrono::milliseconds pause{kHandoverPauseMs};
  std::chrono::milliseconds replica_settle{kReplicaSettleMs};
  std::chrono::milliseconds replica_settle_timeout{kReplicaSettleWaitMs};
};

// What a handover did.
struct HandoverResult {
  // The promoted master (Sentinel's `ip` and `port`), nullopt when the
  // failover did not finish within the bound or was refused.
  std::optional<std::string> new_master;
  std::string new_master_port;
  // Every online replica had the master's offset before the failover.
  bool caught_up = false;
  // Sentinel refused the failover (other than "INPROG": one already runs).
  std::optional<std::string> error;
};

// Hands the master role over without losing acknowledged writes, for a
// master that is going away (remove-unit):
//   0. waits (at most replica_settle_timeout, before any pause) until the
//      Sentinel at sentinel_host has seen every replica as a replica for
//      replica_settle (unsettled_replica): a replica that was a master
//      less than an INFO period ago may be demoted again as a stray master
//      by another Sentinel right after its promotion;
//   1. `CLIENT PAUSE <pause> WRITE` on the master (master_host): no new write
//      is accepted, so none can be acknowledged and then lost;
//   2. polls `INFO replication` on the master until every online replica has
//      its replication offset (at most catch_up_timeout; past it the failover
//      goes ahead and Sentinel promotes the replica with the largest offset;
//      a master that already became a replica ends the wait);
//   3. `SENTINEL FAILOVER <app>` on the Sentinel at sentinel_host, unless
//      `SENTINEL MASTER` shows that another runner (the departing unit and
//      the leader both hand over) already started or finished one; an
//      INPROG answer means the same: wait for that one;
//   4. polls `SENTINEL MASTER` until the failover is over and the master is
//      another address (at most failover_timeout); meanwhile, once
//      Sentinel's failover-state is past the promotion (reconf_slaves or
//      update_config: the promotion is confirmed and the new configuration
//      sent to the other Sentinels), `REPLICAOF <the replica seen in step 2
//      that answers ROLE master>` on the old master and `CLIENT UNPAUSE`
//      there, without waiting for the other replicas' reconfiguration
//      (a paused master also blocks the Sentinels' hello PUBLISH and the
//      PINGs queued behind it: the shorter the pause, the better). Not
//      earlier: another Sentinel may still demote the promoted replica as
//      a stray master during wait_promotion;
//   5. once the failover is over, `REPLICAOF <new master>` on the old master
//      unless step 4 already did it (Sentinel would only demote it seconds
//      later), then `CLIENT UNPAUSE`: writes waiting there are refused
//      (READONLY), never acknowledged.
// Past the failover bound or on a refusal it returns without a new master
// (the caller's fallback). The old master is then writable again only when
// no replica seen in step 2 answers ROLE master: when one does (Sentinel
// promoted it, its failover not over yet), the old master becomes its
// replica (REPLICAOF) before the unpause. A REPLICAOF that fails leaves it
// paused (the pause ends by itself), never writable beside a new master. Never throws RedisError;
// `log` receives one line per step.
HandoverResult hand_over_master(RedisWorkload& workload, const std::string& master_host,
                                const std::string& sentinel_host, const std::string& app,
                                const HandoverTiming& timing,
                                const std::function<void(const std::string&)>& log);

// Sends `SENTINEL SET <app> quorum <n>` to every host; returns host -> error
// message for the hosts that failed (the caller logs them).
std::map<std::string, std::string> broadcast_sentinel_quorum(RedisWorkload& workload,
                                                             const std::vector<std::string>& hosts,
                                                             const std::string& app, int quorum);

// Sends `SENTINEL RESET <app>` to every host; returns host -> error message of failures.
std::map<std::string, std::string> broadcast_sentinel_reset(RedisWorkload& workload,
                                                            const std::vector<std::string>& hosts,
                                                            const std::string& app);

}  // namespace redis_k8s
