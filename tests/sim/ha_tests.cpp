// High availability under faults (issue 17), in ops-sim run mode with real
// redis-server and Sentinel: three redis-k8s units and redis-client, a
// writer in the client's pod doing SET then WAIT 1 1000 with the admin
// password against the host of the client's URL, every unit's ROLE polled
// every 100 ms. Each test makes one kind of fault several times (trials) in
// one model and prints the figures of each trial (time from the fault to a
// single master, writes acknowledged, acknowledged writes lost, time until
// leader-host and the client's URL name the new master), then asserts per
// trial:
// - a single master within Sentinel's bound (down-after 5 s plus the
//   election), and never two masters for longer than a handover's demotion
//   takes (the departing master is paused meanwhile: writes to it wait and
//   are then refused, never acknowledged);
// - no WAIT-acknowledged write missing on the master;
// - leader-host (peer and client bags) and the client's URL on the master
//   within one round of hooks after the new master (update-status every 5 s
//   here: the charm learns of Sentinel's own failovers in update-status);
// - no Redis restarted needlessly (run_id unchanged on every unit the fault
//   did not hit).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "ha_helper.hpp"
#include "redis_model_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ha::Clock;

// Sentinel's down-after-milliseconds (5 s, the charm's sentinel.conf) plus
// its election and promotion: the bound for a single master after a fault.
constexpr double kSentinelBoundSeconds = 20;
// update-status every 5 s, plus one round of hooks on the four units: the
// bound for leader-host and the client's URL to follow a new master.
constexpr const char* kUpdateStatusInterval = "5s";
constexpr double kOneHookSeconds = 15;
// A handover's departing master still answers ROLE "master" until the
// charm sees Sentinel's failover end and demotes it; its writes are paused
// all along (they wait, then get READONLY), so it is not a writable second
// master. From the remove-unit command, the hooks' turn in the model agent's
// queue (behind update-status) comes first: the same bound as Sentinel's.
constexpr double kDemotionSeconds = kSentinelBoundSeconds;

// The keep-down fault: the old master must be back within this bound (the
// start script waits at most 15 s for Sentinel, after Pebble's backoff),
// and is watched this much longer for a second master.
constexpr int kBackBoundSeconds = 35;
constexpr int kBackWindowSeconds = 3;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string fixed(double v) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << v;
  return out.str();
}

struct Figures {
  std::optional<double> to_master;  // fault -> a single (new) master
  std::optional<double> to_bags;    // the master -> leader-host and the URL name it
  std::string master_ip;
  long acknowledged = 0;
  std::optional<long> lost;
  double split_brain = 0;              // two writable masters at once
  std::optional<double> demoted;       // fault -> the old master no longer master
  std::vector<std::string> restarted;  // units (not hit) whose run_id changed
  std::string split_masters;           // the units that were masters at once, if ever
  std::optional<double> back;          // fault -> the old master answers ROLE again
};

class SimHa : public SimRedisModel {
 protected:
  void SetUp() override {
    SimRedisModel::SetUp();
    if (IsSkipped()) return;
    deploy_model();
  }

  // Three redis-k8s units (redis-k8s/0 leads and is master), redis-client,
  // integrated, update-status every 5 s; waits for the steady state.
  void deploy_model() {
    auto r = deploy_redis_k8s(3, {"--timeout", "120"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = deploy_redis_client({"--timeout", "60"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = sim({"integrate", "redis-k8s", "redis-client", "--timeout", "120"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A hook after Sentinel's own failover comes from update-status, as in Juju.
    ok_after_lock(
        {"model-config", std::string("update-status-hook-interval=") + kUpdateStatusInterval});
    uuid_ = status()["model"]["uuid"];
    // The client authenticates (it says auth-capable): the writer uses the
    // admin password as the demo does.
    password_ = yaml_value(ok_after_lock({"run", "redis-k8s/0", "get-initial-admin-password"}),
                           "redis-password");
    ASSERT_EQ(password_.size(), 16u);
    sentinel_password_ = yaml_value(ok_after_lock({"run", "redis-k8s/0", "get-sentinel-password"}),
                                    "sentinel-password");
    ASSERT_FALSE(sentinel_password_.empty());
    wait_healthy();
  }

  // Runs ops-sim and expects exit 0 (stderr may say it waited for the lock
  // the model agent held for update-status).
  void run_ok(const std::vector<std::string>& args) {
    const auto r = sim(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Reads the redis-k8s units and their pod IPs from status.
  void refresh_units() {
    ips_.clear();
    unit_of_ip_.clear();
    const auto s = status();
    for (const auto& [unit, u] : s["applications"]["redis-k8s"]["units"].items()) {
      ips_[fqdn(unit)] = u["address"];
      unit_of_ip_[u["address"]] = unit;
    }
  }

  std::string ip_of(const std::string& host) {
    const auto it = ips_.find(host);
    return it != ips_.end() ? it->second : host;
  }
  std::string ip_of_unit(const std::string& unit) { return ip_of(fqdn(unit)); }
  std::string unit_of(const std::string& ip) {
    const auto it = unit_of_ip_.find(ip);
    return it != unit_of_ip_.end() ? it->second : ip;
  }

  // The IP of the host in the client's URL ("redis://host:port").
  std::string client_target() {
    const std::string url =
        status()["applications"]["redis-client"]["application-status"]["message"];
    if (url.find("//") == std::string::npos) return "";
    const auto hostport = url.substr(url.find("//") + 2);
    return ip_of(hostport.substr(0, hostport.rfind(':')));
  }

  // leader-host as the client sees it in the redis relation's app bag, and
  // as a redis-k8s unit sees it in the peer app bag (IPs).
  std::pair<std::string, std::string> leader_hosts() {
    const auto client = yaml_value(ok_after_lock({"show-unit", "redis-client/0"}), "leader-host");
    std::string peer;
    const auto s = status();
    for (const auto& [unit, u] : s["applications"]["redis-k8s"]["units"].items()) {
      if (unit == departing_) continue;  // may be gone by the time show-unit runs
      peer = yaml_value(ok_after_lock({"show-unit", unit}), "leader-host");
      break;
    }
    return {ip_of(client), ip_of(peer)};
  }

  std::string client_netns() { return pod_netns_name(uuid_, "redis-client/0"); }

  std::vector<std::string> unit_ips() {
    std::vector<std::string> out;
    for (const auto& [f, ip] : ips_) out.push_back(ip);
    return out;
  }

  std::string leader() {
    const auto s = status();
    for (const auto& [unit, u] : s["applications"]["redis-k8s"]["units"].items()) {
      if (u["leader"] == true) return unit;
    }
    return "";
  }

  // Waits (up to 90 s) for the steady state a trial starts from: every
  // redis-k8s unit active, one master, every other unit its replica with
  // the link up, leader-host and the client's URL on the master. Returns
  // the master's IP.
  std::string wait_healthy() {
    std::string master;
    std::string why;
    const bool held = eventually(
        [&] {
          refresh_units();
          const auto states = ha::unit_states(client_netns(), unit_ips(), password_);
          master.clear();
          for (const auto& [ip, st] : states) {
            if (st.role == "master") {
              if (!master.empty()) return (why = "two masters"), false;
              master = ip;
            } else if (!st.link_up) {
              return (why = unit_of(ip) + " is " + st.role + ", link down"), false;
            }
          }
          if (master.empty()) return (why = "no master"), false;
          for (const auto& u : unsettled()) {
            if (u.rfind("redis-k8s/", 0) == 0) return (why = u), false;
          }
          const auto [client_bag, peer_bag] = leader_hosts();
          if (client_bag != master || peer_bag != master) {
            return (why = "leader-host " + client_bag + "/" + peer_bag + ", master " + master),
                   false;
          }
          if (client_target() != master) return (why = "URL on " + client_target()), false;
          return true;
        },
        std::chrono::seconds(90));
    EXPECT_TRUE(held) << "no steady state: " << why << "\n" << ok_after_lock({"status"});
    return held ? master : "";
  }

  // The units answering ROLE master in the first sample with two of them
  // (`except` left out), for the failure message: "redis-k8s/0+redis-k8s/2".
  std::string masters_when_split(const std::vector<ha::Sample>& samples,
                                 const std::string& except) {
    for (const auto& s : samples) {
      std::vector<std::string> masters;
      for (const auto& [ip, role] : s.roles) {
        if (role == "master" && ip != except) masters.push_back(unit_of(ip));
      }
      if (masters.size() > 1) {
        std::string out;
        for (const auto& m : masters) out += (out.empty() ? "" : "+") + m;
        return out;
      }
    }
    return "";
  }

  // Runs `fault` with the writer and the poller going; waits for a single
  // master (another one than `old_ip` when `need_new`), then for the
  // client's URL and leader-host to name it; measures and prints.
  // `paused_ip`: a departing master whose writes the handover pauses (not
  // counted as a second writable master).
  // `until_back`: the window also covers the old master's return (it
  // answers ROLE again, then kBackWindowSeconds more), so that a Redis that
  // restarts as a second master is seen.
  Figures measure(const std::string& name, int trial, const std::function<void()>& fault,
                  const std::string& old_ip, bool need_new, const std::string& hit_ip,
                  const std::string& paused_ip = "", bool until_back = false) {
    const auto ips = unit_ips();
    const auto before = ha::unit_states(client_netns(), ips, password_);
    struct Seen {
      Clock::time_point at;
      std::string url, client_bag, peer_bag;
    };
    std::mutex mu;
    std::string target = client_target();
    std::vector<Seen> seen;
    std::atomic<bool> stop_refresh{false};
    std::thread refresher([&] {
      while (!stop_refresh) {
        try {
          Seen s{Clock::now(), client_target(), "", ""};
          std::tie(s.client_bag, s.peer_bag) = leader_hosts();
          std::lock_guard lock(mu);
          target = s.url;
          seen.push_back(s);
        } catch (const std::exception&) {
          // status of a model in change: try again
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
    ha::Poller poller(client_netns(), ips, ips.front(), sentinel_password_, password_);
    ha::Writer writer(
        client_netns(),
        [&] {
          std::lock_guard lock(mu);
          return target;
        },
        password_);
    poller.start();
    writer.start();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const auto t0 = Clock::now();
    fault();
    const auto fault_done = Clock::now();
    Figures f;
    std::optional<Clock::time_point> at;
    const auto deadline = t0 + std::chrono::seconds(60);
    while (!at && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      at = poller.single_master_after(t0, old_ip, need_new);
    }
    std::optional<Clock::time_point> bags_at;
    if (at) {
      f.to_master = seconds(*at - t0);
      // The master at `at`, then the bags and the URL on it (or 30 s).
      for (const auto& s : poller.samples()) {
        if (s.at != *at) continue;
        for (const auto& [ip, role] : s.roles) {
          if (role == "master") f.master_ip = ip;
        }
      }
      const auto bag_deadline = Clock::now() + std::chrono::seconds(30);
      while (!bags_at && Clock::now() < bag_deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::lock_guard lock(mu);
        for (const auto& s : seen) {
          if (s.at >= *at && s.url == f.master_ip && s.client_bag == f.master_ip &&
              s.peer_bag == f.master_ip) {
            bags_at = s.at;
            break;
          }
        }
      }
    }
    if (bags_at) f.to_bags = seconds(*bags_at - *at);
    if (!at) {  // say what the units were, for the failure
      const auto samples = poller.samples();
      if (!samples.empty()) {
        std::cout << "HA no single master; last ROLE poll:";
        for (const auto& [ip, role] : samples.back().roles) {
          std::cout << " " << unit_of(ip) << "=" << (role.empty() ? "down" : role);
        }
        std::cout << "; Sentinel names " << samples.back().sentinel_master << std::endl;
      }
    }
    if (until_back) {
      const auto back_deadline = t0 + std::chrono::seconds(kBackBoundSeconds);
      std::optional<Clock::time_point> back;
      while (!back && Clock::now() < back_deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        for (const auto& s : poller.samples()) {
          const auto it = s.roles.find(old_ip);
          if (s.at > fault_done && it != s.roles.end() && !it->second.empty()) {
            back = s.at;
            break;
          }
        }
      }
      if (back) f.back = seconds(*back - t0);
      std::this_thread::sleep_for(std::chrono::seconds(kBackWindowSeconds));
    }
    // Writes go on a little on the master the URL names.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    writer.stop();
    poller.stop();
    stop_refresh = true;
    refresher.join();
    const auto acked = writer.acknowledged();
    f.acknowledged = static_cast<long>(acked.size());
    if (!f.master_ip.empty()) f.lost = ha::lost_keys(client_netns(), f.master_ip, password_, acked);
    f.split_brain = poller.longest_split_brain_seconds(paused_ip);
    f.split_masters = masters_when_split(poller.samples(), paused_ip);
    if (const auto d = poller.not_master_since(t0, old_ip)) f.demoted = seconds(*d - t0);
    const auto after = ha::unit_states(client_netns(), ips, password_);
    for (const auto& [ip, st] : before) {
      if (ip == hit_ip) continue;
      const auto a = after.find(ip);
      if (a != after.end() && a->second.run_id != st.run_id) f.restarted.push_back(unit_of(ip));
    }
    std::cout << "HA figures [" << name << "] trial " << trial << ": time to single master "
              << (f.to_master ? fixed(*f.to_master) + " s" : "none") << " ("
              << (f.master_ip.empty() ? "none" : unit_of(f.master_ip))
              << "), leader-host and URL on it after "
              << (f.to_bags ? fixed(*f.to_bags) + " s" : "never") << ", writes acknowledged "
              << f.acknowledged << ", acknowledged lost "
              << (f.lost ? std::to_string(*f.lost) : "unknown") << ", two writable masters for "
              << fixed(f.split_brain) << " s"
              << (f.split_masters.empty() ? "" : " (" + f.split_masters + ")")
              << ", old master demoted or down after "
              << (f.demoted ? fixed(*f.demoted) + " s" : "never") << ", writer attempts "
              << writer.attempts() << ", failures " << writer.failures()
              << (until_back ? ", old master back after " +
                                   (f.back ? fixed(*f.back) + " s" : std::string("never"))
                             : "")
              << std::endl;
    return f;
  }

  void expect_held(const Figures& f, const std::string& old_ip, bool need_new) {
    ASSERT_TRUE(f.to_master.has_value()) << "no single master after the fault";
    EXPECT_LE(*f.to_master, kSentinelBoundSeconds);
    if (need_new) {
      EXPECT_NE(f.master_ip, old_ip);
    }
    EXPECT_GT(f.acknowledged, 100);
    ASSERT_TRUE(f.lost.has_value()) << "the master could not be asked";
    EXPECT_EQ(*f.lost, 0) << "acknowledged writes lost";
    ASSERT_TRUE(f.to_bags.has_value()) << "leader-host or the client's URL never named the master";
    EXPECT_LE(*f.to_bags, kOneHookSeconds);
    EXPECT_EQ(f.split_brain, 0) << "two writable masters";
    ASSERT_TRUE(f.demoted.has_value()) << "the old master stayed master";
    EXPECT_LE(*f.demoted, kDemotionSeconds);
    EXPECT_THAT(f.restarted, ::testing::IsEmpty()) << "Redis restarted needlessly";
  }

  // remove-unit of the master (`unit`), the figures checked, then (when
  // `restore`) add-unit back to three and the steady state again.
  void remove_master_trial(const std::string& name, int trial, const std::string& unit,
                           bool restore) {
    const auto old_ip = ip_of_unit(unit);
    departing_ = unit;
    const auto f = measure(
        name, trial,
        [&] {
          run_ok({"remove-unit", unit, "--no-wait"});
        },
        old_ip, true, old_ip, old_ip);
    departing_.clear();
    expect_held(f, old_ip, true);
    ASSERT_TRUE(
        eventually([&] { return !status()["applications"]["redis-k8s"]["units"].contains(unit); },
                   std::chrono::seconds(60)))
        << ok_after_lock({"status"});
    if (!restore) return;
    run_ok({"add-unit", "redis-k8s", "--timeout", "120"});
    ASSERT_FALSE(wait_healthy().empty());
  }

  // Makes a non-leader unit the master (unless one is) with Sentinel's own
  // failover, then waits for the charm to follow. Returns that unit, or ""
  // with failover_replies_ saying what Sentinel answered.
  std::string make_a_non_leader_master() {
    auto master = wait_healthy();
    const auto leader_ip = ip_of_unit(leader());
    failover_replies_.clear();
    // Right after the deploy the Sentinel may not know the replicas yet
    // (NOGOODSLAVE), and while a failover runs it refuses another (INPROG):
    // try again, giving each failover time to show.
    for (int attempt = 0; attempt < 20 && !master.empty() && master == leader_ip; ++attempt) {
      const auto reply = ha::command_in(client_netns(), leader_ip, 26379, sentinel_password_,
                                        {"SENTINEL", "FAILOVER", "redis-k8s"});
      failover_replies_ += (failover_replies_.empty() ? "" : ", ") + reply;
      std::this_thread::sleep_for(std::chrono::seconds(3));
      master = wait_healthy();
    }
    return master.empty() || master == leader_ip ? "" : unit_of(master);
  }

  std::string failover_replies_;  // Sentinel's answers to make_a_non_leader_master
  std::string departing_;         // the unit a remove-unit trial removes
  std::string uuid_;
  std::string password_;
  std::string sentinel_password_;
  std::map<std::string, std::string> ips_;         // fqdn -> ip
  std::map<std::string, std::string> unit_of_ip_;  // ip -> unit
};

// Trial counts: a kill trial takes 5-15 s, a keep-down trial about 20 s
// (the old master's return is watched), a remove-unit trial about 30 s with
// the add-unit or the fresh model after it; with each test's own deploy
// (about 25 s) the four tests take 45-95 s each in a release build, about
// 2.5 minutes of wall time when ctest runs them two at a time, well under
// the 360 s TIMEOUT (tests/sim/CMakeLists.txt) on a loaded 2-core machine.
constexpr int kKillTrials = 3;
constexpr int kDownTrials = 2;
constexpr int kRemoveTrials = 2;

TEST_F(SimHa, KillTheMastersRedisOnce) {
  // Pebble restarts it within a second; its start script asks Sentinel, which
  // still names it (down-after is 5 s): the same master, with its data (AOF).
  for (int trial = 1; trial <= kKillTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const auto master = wait_healthy();
    ASSERT_FALSE(master.empty());
    const auto unit = unit_of(master);
    const auto f = measure(
        "kill the master's redis once", trial,
        [&] {
          run_ok({"kill", unit, "--container", "redis", "--service", "redis"});
        },
        master, false, master);
    expect_held(f, master, false);
    EXPECT_EQ(f.master_ip, master);
  }
}

TEST_F(SimHa, KeepTheMastersRedisDownPastDownAfter) {
  for (int trial = 1; trial <= kDownTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const auto master = wait_healthy();
    ASSERT_FALSE(master.empty());
    const auto unit = unit_of(master);
    const auto f = measure(
        "keep the master's redis down past down-after", trial,
        [&] {
          // Pebble restarts it by its backoff: kill it again and again for 7 s
          // (Sentinel's down-after is 5 s).
          const auto until = Clock::now() + std::chrono::seconds(7);
          while (Clock::now() < until) {
            sim({"kill", unit, "--container", "redis", "--service", "redis"});
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        },
        master, true, master, "", /*until_back=*/true);
    expect_held(f, master, true);
    // It comes back (Pebble's backoff, then its start script), as a replica.
    EXPECT_TRUE(f.back.has_value()) << "the old master's Redis never came back";
  }
}

TEST_F(SimHa, RemoveUnitOfTheMasterThatLeads) {
  for (int trial = 1; trial <= kRemoveTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    if (trial > 1) {
      // Which remaining unit leads and which one Sentinel promotes are not
      // ours to choose (a SENTINEL FAILOVER picks any replica): a fresh model
      // has redis-k8s/0 as leader and master.
      run_ok({"destroy"});
      deploy_model();
    }
    const auto master = wait_healthy();
    ASSERT_FALSE(master.empty());
    const auto unit = leader();
    ASSERT_EQ(master, ip_of_unit(unit)) << "the leader is not the master";
    remove_master_trial("remove-unit of the master (leader)", trial, unit, false);
  }
}

TEST_F(SimHa, RemoveUnitOfTheMasterThatDoesNotLead) {
  for (int trial = 1; trial <= kRemoveTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const auto unit = make_a_non_leader_master();
    ASSERT_FALSE(unit.empty()) << "Sentinel's failover did not make a non-leader the master "
                                  "(SENTINEL FAILOVER answered: "
                               << failover_replies_ << ")\n"
                               << ok_after_lock({"status"});
    remove_master_trial("remove-unit of the master (not leader)", trial, unit,
                        trial < kRemoveTrials);
  }
}

}  // namespace
}  // namespace ops_sim::testing
