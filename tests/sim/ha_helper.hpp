// Helpers of the high-availability tests (sim_ha_test.cpp): a writer that
// runs in a pod's network namespace doing SET then WAIT 1 1000 in a loop and
// records the keys at least one replica acknowledged, a poller of every
// unit's ROLE and one Sentinel's master (every 100 ms), and a checker of
// which acknowledged keys the master still has. They speak RESP with hiredis
// from threads that joined the pod's network namespace (setns is per thread),
// so addresses are pod IPs: the host does not resolve the pods' FQDNs.
#pragma once

#include <hiredis/hiredis.h>
#include <sched.h>
#include <sys/time.h>
#include <unistd.h>

#include <fcntl.h>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ops_sim::testing::ha {

using Clock = std::chrono::steady_clock;

// Joins the calling thread to the network namespace /run/netns/<name>.
inline bool enter_netns(const std::string& name) {
  const int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

// A hiredis connection (RAII), with short timeouts.
class Conn {
 public:
  Conn(const std::string& ip, int port, const std::string& password = "") {
    timeval tv{0, 500000};
    ctx_ = redisConnectWithTimeout(ip.c_str(), port, tv);
    if (!ctx_ || ctx_->err) {
      close();
      return;
    }
    redisSetTimeout(ctx_, timeval{1, 500000});
    if (!password.empty()) {
      auto* r = command({"AUTH", password});
      // A Redis without a password answers an error: keep going.
      if (r) freeReplyObject(r);
    }
  }
  ~Conn() { close(); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  bool ok() const { return ctx_ && !ctx_->err; }

  // Runs a command; nullptr on a connection error (the connection is then dead).
  redisReply* command(const std::vector<std::string>& args) {
    if (!ok()) return nullptr;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  }

 private:
  void close() {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
  }
  redisContext* ctx_ = nullptr;
};

// SET ha:<n> then WAIT 1 1000, in a loop, against whatever target() names.
class Writer {
 public:
  Writer(std::string netns, std::function<std::string()> target, std::string password)
      : netns_(std::move(netns)), target_(std::move(target)), password_(std::move(password)) {}
  ~Writer() { stop(); }

  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> acknowledged() {
    std::lock_guard lock(mu_);
    return acked_;
  }
  long attempts() const { return attempts_; }
  long failures() const { return failures_; }

 private:
  void loop() {
    if (!enter_netns(netns_)) return;
    long n = 0;
    while (!stop_) {
      Conn conn(target_(), 6379, password_);
      if (!conn.ok()) {
        ++failures_;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      while (!stop_) {
        const std::string key = "ha:" + std::to_string(n++);
        ++attempts_;
        redisReply* set = conn.command({"SET", key, key});
        if (!set) break;
        const bool stored = set->type == REDIS_REPLY_STATUS && std::string(set->str) == "OK";
        freeReplyObject(set);
        if (!stored) {
          ++failures_;
          break;  // e.g. READONLY: the target is a replica now
        }
        redisReply* wait = conn.command({"WAIT", "1", "1000"});
        if (!wait) break;
        const bool acked = wait->type == REDIS_REPLY_INTEGER && wait->integer >= 1;
        freeReplyObject(wait);
        if (acked) {
          std::lock_guard lock(mu_);
          acked_.push_back(key);
        }
        const auto target = target_();
        if (target != last_target_) {  // the client's URL moved: follow it
          last_target_ = target;
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::string netns_;
  std::function<std::string()> target_;
  std::string password_;
  std::string last_target_;
  std::atomic<bool> stop_{false};
  std::atomic<long> attempts_{0};
  std::atomic<long> failures_{0};
  std::mutex mu_;
  std::vector<std::string> acked_;
  std::thread thread_;
};

// One poll: each unit's role ("master", "slave", or "" when unreachable)
// and the master Sentinel names.
struct Sample {
  Clock::time_point at;
  std::map<std::string, std::string> roles;  // ip -> role
  std::string sentinel_master;               // as Sentinel names it (host or ip)
};

class Poller {
 public:
  Poller(std::string netns, std::vector<std::string> ips, std::string sentinel_ip,
         std::string sentinel_password, std::string password)
      : netns_(std::move(netns)),
        ips_(std::move(ips)),
        sentinel_ip_(std::move(sentinel_ip)),
        sentinel_password_(std::move(sentinel_password)),
        password_(std::move(password)) {}
  ~Poller() { stop(); }
  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<Sample> samples() {
    std::lock_guard lock(mu_);
    return samples_;
  }
  // The first sample after `from` with exactly one master, once the fault
  // showed: `old_ip` stopped answering as master (when `need_new`, the one
  // master must also be another unit than `old_ip`).
  std::optional<Clock::time_point> single_master_after(Clock::time_point from,
                                                       const std::string& old_ip, bool need_new) {
    bool fault_seen = false;
    for (const auto& s : samples()) {
      if (s.at < from) continue;
      const auto old = s.roles.find(old_ip);
      if (old == s.roles.end() || old->second != "master") fault_seen = true;
      if (!fault_seen) continue;
      std::vector<std::string> masters;
      for (const auto& [ip, role] : s.roles) {
        if (role == "master") masters.push_back(ip);
      }
      if (masters.size() == 1 && (!need_new || masters[0] != old_ip)) return s.at;
    }
    return std::nullopt;
  }
  // The first sample after `from` where `ip` does not answer ROLE master.
  std::optional<Clock::time_point> not_master_since(Clock::time_point from, const std::string& ip) {
    for (const auto& s : samples()) {
      if (s.at < from) continue;
      const auto it = s.roles.find(ip);
      if (it == s.roles.end() || it->second != "master") return s.at;
    }
    return std::nullopt;
  }
  // The longest run of samples with more than one master, not counting
  // `except` (a departing master whose writes are paused).
  double longest_split_brain_seconds(const std::string& except = "") {
    double longest = 0;
    bool split = false;  // the previous sample had more than one master
    Clock::time_point since{};
    for (const auto& s : samples()) {
      int masters = 0;
      for (const auto& [ip, role] : s.roles) masters += role == "master" && ip != except;
      if (masters > 1) {
        if (!split) since = s.at;
        split = true;
        longest = std::max(longest, std::chrono::duration<double>(s.at - since).count());
      } else {
        split = false;
      }
    }
    return longest;
  }

 private:
  void loop() {
    if (!enter_netns(netns_)) return;
    while (!stop_) {
      Sample s;
      s.at = Clock::now();
      for (const auto& ip : ips_) {
        Conn conn(ip, 6379, password_);
        std::string role;
        if (auto* r = conn.command({"ROLE"})) {
          if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
              r->element[0]->type == REDIS_REPLY_STRING) {
            role = r->element[0]->str;
          }
          freeReplyObject(r);
        }
        s.roles[ip] = role;
      }
      Conn sentinel(sentinel_ip_, 26379, sentinel_password_);
      if (auto* r = sentinel.command({"SENTINEL", "get-master-addr-by-name", "redis-k8s"})) {
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2)
          s.sentinel_master = r->element[0]->str;
        freeReplyObject(r);
      }
      {
        std::lock_guard lock(mu_);
        samples_.push_back(std::move(s));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::string netns_;
  std::vector<std::string> ips_;
  std::string sentinel_ip_;
  std::string sentinel_password_;
  std::string password_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Sample> samples_;
  std::thread thread_;
};

// What one Redis says of itself: ROLE's first field ("master", "slave", ""
// when unreachable), whether a replica's link to its master is up, and the
// server's run_id (a new one after every start: a restart shows).
struct UnitState {
  std::string role;
  bool link_up = false;
  std::string run_id;
};

inline UnitState unit_state(Conn& conn) {
  UnitState out;
  if (auto* r = conn.command({"ROLE"})) {
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
      out.role = r->element[0]->str;
      // A replica: slave, host, port, state ("connected" once in sync), offset.
      out.link_up = out.role == "slave" && r->elements > 3 &&
                    r->element[3]->type == REDIS_REPLY_STRING &&
                    std::string(r->element[3]->str) == "connected";
    }
    freeReplyObject(r);
  }
  if (auto* r = conn.command({"INFO", "server"})) {
    if (r->type == REDIS_REPLY_STRING) {
      const std::string info(r->str, r->len);
      const auto at = info.find("run_id:");
      if (at != std::string::npos) {
        out.run_id = info.substr(at + 7, info.find_first_of("\r\n", at) - at - 7);
      }
    }
    freeReplyObject(r);
  }
  return out;
}

// Each Redis's state (ip -> state), asked from a thread in the pod's namespace.
inline std::map<std::string, UnitState> unit_states(const std::string& netns,
                                                    const std::vector<std::string>& ips,
                                                    const std::string& password) {
  std::map<std::string, UnitState> out;
  std::thread t([&] {
    if (!enter_netns(netns)) return;
    for (const auto& ip : ips) {
      Conn conn(ip, 6379, password);
      out[ip] = unit_state(conn);
    }
  });
  t.join();
  return out;
}

// Sends one command to ip:port from a thread in the pod's namespace; the
// reply's text (status, error or bulk string), "" when none.
inline std::string command_in(const std::string& netns, const std::string& ip, int port,
                              const std::string& password, const std::vector<std::string>& args) {
  std::string out;
  std::thread t([&] {
    if (!enter_netns(netns)) return;
    Conn conn(ip, port, password);
    if (auto* r = conn.command(args)) {
      if (r->str) out.assign(r->str, r->len);
      freeReplyObject(r);
    }
  });
  t.join();
  return out;
}

// The acknowledged keys the Redis at `ip` does not have (run from a thread
// in the pod's namespace); nullopt when it cannot be asked.
inline std::optional<long> lost_keys(const std::string& netns, const std::string& ip,
                                     const std::string& password,
                                     const std::vector<std::string>& acked) {
  std::optional<long> out;
  std::thread t([&] {
    if (!enter_netns(netns)) return;
    Conn conn(ip, 6379, password);
    long lost = 0;
    for (size_t i = 0; i < acked.size(); i += 500) {
      std::vector<std::string> args = {"MGET"};
      for (size_t j = i; j < std::min(acked.size(), i + 500); ++j) args.push_back(acked[j]);
      auto* r = conn.command(args);
      if (!r) return;
      if (r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return;
      }
      for (size_t k = 0; k < r->elements; ++k) lost += r->element[k]->type == REDIS_REPLY_NIL;
      freeReplyObject(r);
    }
    out = lost;
  });
  t.join();
  return out;
}

}  // namespace ops_sim::testing::ha
