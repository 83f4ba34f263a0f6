// FakeRedisWorkload: an in-memory RedisWorkload for the charm's unit tests.
//
// Answers are scripted per (service, host, exact argv), per (service, host)
// for any command, or globally; an answer is a reply or an error to throw.
// An exact argv may have a sequence of answers, one per command in order,
// the last repeating, so a test can play a Sentinel whose view changes
// (a failover in progress, then finished).
// A command with no scripted answer fails with RedisConnectionError, as a
// host with nothing listening would. Every command is recorded, in order,
// with the service and host it went to, so a test can assert exactly what
// the charm sent where.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "workload.hpp"

namespace redis_k8s {

class FakeRedisWorkload : public RedisWorkload {
 public:
  // Which error a scripted failure throws.
  enum class ErrorKind { kConnection, kTimeout, kReply };

  struct SentCommand {
    Service service;
    std::string host;
    std::vector<std::string> argv;
    friend bool operator==(const SentCommand& a, const SentCommand& b) {
      return std::tie(a.service, a.host, a.argv) == std::tie(b.service, b.host, b.argv);
    }
    // "sentinel@localhost: SENTINEL MASTER redis-k8s", for test failure messages.
    friend void PrintTo(const SentCommand& c, std::ostream* os) {
      *os << to_string(c.service) << "@" << c.host << ":";
      for (const auto& word : c.argv) *os << " " << word;
    }
  };

  // Answers `argv` sent to `service` at `host` with `reply` (replaces an earlier script).
  void set_reply(Service service, const std::string& host, const std::vector<std::string>& argv,
                 RedisReply reply);
  // Answers `argv` sent to `service` at `host` with `replies[0]` the first time,
  // `replies[1]` the second, ...; the last answers every later time. Throws
  // std::invalid_argument for an empty list.
  void set_replies(Service service, const std::string& host, const std::vector<std::string>& argv,
                   std::vector<RedisReply> replies);
  // Makes `argv` sent to `service` at `host` throw the error kind with `message`.
  void set_error(Service service, const std::string& host, const std::vector<std::string>& argv,
                 ErrorKind kind, std::string message);
  // Answers every command to `service` at `host` that has no exact script.
  void set_default_reply(Service service, const std::string& host, RedisReply reply);
  // Makes every command to `service` at `host` without an exact script fail.
  void set_default_error(Service service, const std::string& host, ErrorKind kind,
                         std::string message);
  // Removes every script for `service` at `host` (it becomes unreachable).
  void forget_host(Service service, const std::string& host);

  // Conveniences over set_reply for the charm's usual questions.
  void set_info_server(const std::string& host, const std::map<std::string, std::string>& fields);
  void set_sentinel_master(const std::string& host, const std::string& app,
                           const std::map<std::string, std::string>& fields);
  // `SENTINEL MASTER <app>` at host answers these in turn (see set_replies).
  void set_sentinel_master_sequence(const std::string& host, const std::string& app,
                                    const std::vector<std::map<std::string, std::string>>& answers);
  // CKQUORUM answers "OK <n> usable Sentinels. Quorum and failover authorization can be
  // reached" when `ok`, else the NOQUORUM error.
  void set_ckquorum(const std::string& host, const std::string& app, bool ok, int usable = 3);
  // `ROLE` at host answers `role` ("master": ["master", 0, []]; "slave":
  // ["slave", "<master>", 6379, "connected", 0]).
  void set_role(const std::string& host, const std::string& role,
                const std::string& master = "master-host");
  // `INFO replication` at host answers these in turn (see set_replies):
  // role, master_repl_offset and one `slaveN` line per replica offset
  // ("ip=replica-N,port=6379,state=online,offset=<n>,lag=0").
  void set_info_replication_sequence(
      const std::string& host,
      const std::vector<std::pair<long long, std::vector<long long>>>& master_and_replica_offsets);
  // SENTINEL SET/RESET/FAILOVER at host succeed (+OK, :1, +OK) for `app`.
  void accept_sentinel_writes(const std::string& host, const std::string& app, int quorum);

  // Every command sent so far, in order.
  const std::vector<SentCommand>& sent() const { return sent_; }
  // The argv of the commands sent to `service` at `host`, in order.
  std::vector<std::vector<std::string>> sent_to(Service service, const std::string& host) const;
  void clear_sent() { sent_.clear(); }

  RedisReply execute(Service service, const std::string& host,
                     const std::vector<std::string>& argv) override;

 private:
  struct Failure {
    ErrorKind kind;
    std::string message;
  };
  using Answer = std::variant<RedisReply, Failure>;
  using Target = std::pair<Service, std::string>;

  static RedisReply answer(const Answer& a);

  // Exact scripts: answers in turn, the last one repeating.
  std::map<std::tuple<Service, std::string, std::vector<std::string>>, std::vector<Answer>> exact_;
  std::map<Target, Answer> defaults_;
  std::vector<SentCommand> sent_;
};

// A steady clock that moves only when the charm sleeps on it, so bounded
// waits run instantly in tests and the test sees how they waited. Hand
// `now` and `sleep` to RedisCharmCollaborators.
class FakeClock {
 public:
  std::chrono::steady_clock::time_point now() const { return now_; }
  // Records the sleep and moves the clock by `duration`.
  void sleep(std::chrono::milliseconds duration) {
    sleeps_.push_back(duration);
    now_ += duration;
  }
  // Every sleep so far, in order.
  const std::vector<std::chrono::milliseconds>& sleeps() const { return sleeps_; }

 private:
  std::chrono::steady_clock::time_point now_{};
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace redis_k8s
