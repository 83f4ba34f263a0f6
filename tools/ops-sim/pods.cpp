#include "pods.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <set>

#include "util.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

namespace {

const fs::path kRegistryDir = "/run/ops-sim/subnets";
// models/<id>: the model dir of every model with namespaces, written before
// its first namespace and removed after its last (destroy --leftovers).
const fs::path kModelsDir = "/run/ops-sim/models";

std::string model_id(ModelDb& db) { return db.model_uuid().substr(0, 8); }
std::string bridge_ns(ModelDb& db) { return "opssim-" + model_id(db) + "-net"; }

std::string pod_ns(ModelDb& db, const std::string& unit_name) {
  return pod_netns_name(db.model_uuid(), unit_name);
}

std::set<std::string> existing_netns() {
  std::set<std::string> out;
  if (!fs::exists("/run/netns")) return out;
  for (const auto& e : fs::directory_iterator("/run/netns")) out.insert(e.path().filename());
  return out;
}

// Holds an exclusive flock on the subnet registry for its lifetime.
class RegistryLock {
 public:
  RegistryLock() {
    fs::create_directories(kRegistryDir);
    fd_ = ::open((kRegistryDir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      throw SimError("cannot lock " + (kRegistryDir / ".lock").string());
    }
  }
  ~RegistryLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  RegistryLock(const RegistryLock&) = delete;
  RegistryLock& operator=(const RegistryLock&) = delete;

 private:
  int fd_ = -1;
};

void ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  check_command(argv);
}

}  // namespace

bool pods_supported(std::string* why) {
  if (::geteuid() != 0) {
    if (why) *why = "network namespaces need root";
    return false;
  }
  auto r = run_command({"ip", "-V"});
  if (r.exit_code != 0) {
    if (why) *why = "the ip command (iproute2) is not available";
    return false;
  }
  // Probe: create and delete a namespace.
  const std::string probe = "opssim-probe-" + random_hex(6);
  auto add = run_command({"ip", "netns", "add", probe});
  if (add.exit_code != 0) {
    if (why) *why = "ip netns add is not permitted: " + trim(add.err);
    return false;
  }
  run_command({"ip", "netns", "delete", probe});
  return true;
}

int create_model_network(ModelDb& db) {
  const auto ns = bridge_ns(db);
  int index = -1;
  {
    RegistryLock lock;
    const auto live = existing_netns();
    for (int x = 1; x < 255; ++x) {
      const auto entry = kRegistryDir / std::to_string(x);
      if (fs::exists(entry)) {
        // Reuse a slot whose namespace no longer exists (a crashed model).
        const std::string owner = split(read_file(entry), '\n')[0];
        if (live.count(owner)) continue;
      }
      write_file(entry, ns + "\n" + db.dir().string() + "\n");
      index = x;
      break;
    }
    if (index >= 0) {
      fs::create_directories(kModelsDir);
      write_file(kModelsDir / model_id(db), model_id(db) + "\n" + db.dir().string() + "\n");
    }
  }
  if (index < 0) throw SimError("no free 10.213.X.0/24 subnet for the model's pods");
  db.set_meta("subnet-index", std::to_string(index));
  db.set_meta("subnet", "10.213." + std::to_string(index) + ".0/24");
  db.set_meta("bridge-netns", ns);
  ip({"netns", "add", ns});
  ip({"-n", ns, "link", "set", "lo", "up"});
  ip({"-n", ns, "link", "add", "osbr0", "type", "bridge"});
  ip({"-n", ns, "addr", "add", "10.213." + std::to_string(index) + ".1/24", "dev", "osbr0"});
  ip({"-n", ns, "link", "set", "osbr0", "up"});
  return index;
}

std::string create_pod(ModelDb& db, const std::string& unit_name) {
  const auto index = db.meta("subnet-index");
  if (!index) throw SimError("the model has no pod network");
  std::set<int> used;
  for (const auto& u : db.units()) {
    auto parts = split(u.address, '.');
    if (parts.size() == 4) used.insert(static_cast<int>(parse_int(parts[3]).value_or(0)));
  }
  int host = 2;
  while (used.count(host)) ++host;
  if (host > 254) throw SimError("the model's pod subnet is full");
  const auto ns = pod_ns(db, unit_name);
  const auto br = bridge_ns(db);
  const auto veth = "veth" + std::to_string(host);
  const auto address = "10.213." + *index + "." + std::to_string(host);
  ip({"netns", "add", ns});
  try {
    ip({"-n", ns, "link", "set", "lo", "up"});
    ip({"-n", br, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns});
    ip({"-n", br, "link", "set", veth, "master", "osbr0"});
    ip({"-n", br, "link", "set", veth, "up"});
    ip({"-n", ns, "addr", "add", address + "/24", "dev", "eth0"});
    ip({"-n", ns, "link", "set", "eth0", "up"});
  } catch (...) {
    run_command({"ip", "netns", "delete", ns});
    throw;
  }
  return address;
}

void delete_pod(ModelDb& db, const std::string& unit_name) {
  const auto ns = pod_ns(db, unit_name);
  if (existing_netns().count(ns)) ip({"netns", "delete", ns});
}

std::string pod_netns_name(const std::string& model_uuid, const std::string& unit_name) {
  return "opssim-" + model_uuid.substr(0, 8) + "-" + unit_app(unit_name) + "-" +
         std::to_string(unit_number(unit_name));
}

void delete_netns(const std::string& name) {
  if (existing_netns().count(name)) run_command({"ip", "netns", "delete", name});
}

void delete_network(const std::string& model_uuid, const std::string& subnet_index) {
  const auto prefix = "opssim-" + model_uuid.substr(0, 8) + "-";
  // Pods first, the bridge namespace last.
  for (const auto& ns : existing_netns()) {
    if (ns.rfind(prefix, 0) == 0 && ns != prefix + "net")
      run_command({"ip", "netns", "delete", ns});
  }
  delete_netns(prefix + "net");
  {
    RegistryLock lock;
    std::error_code ec;
    fs::remove(kModelsDir / model_uuid.substr(0, 8), ec);
  }
  if (!subnet_index.empty()) {
    RegistryLock lock;
    const auto entry = kRegistryDir / subnet_index;
    std::error_code ec;
    if (fs::exists(entry) && split(read_file(entry), '\n')[0] == prefix + "net") {
      fs::remove(entry, ec);
    }
  }
}

LeftoverSweep sweep_leftover_networks() {
  LeftoverSweep out;
  // Under the registry lock throughout: a model being created registers
  // itself (under the lock) before it creates any namespace.
  RegistryLock lock;
  std::map<std::string, std::vector<fs::path>> dirs;  // model id -> recorded model dirs
  for (const auto& registry : {kModelsDir, kRegistryDir}) {
    if (!fs::exists(registry)) continue;
    for (const auto& e : fs::directory_iterator(registry)) {
      if (e.path().filename() == ".lock") continue;
      const auto lines = split(read_file(e.path()), '\n');
      if (lines.size() < 2 || lines[1].empty()) continue;
      // models/<id>: "<id>\n<dir>"; subnets/<X>: "opssim-<id>-net\n<dir>".
      std::string id = lines[0];
      if (id.rfind("opssim-", 0) == 0 && id.size() >= 15) id = id.substr(7, 8);
      dirs[id].push_back(lines[1]);
    }
  }
  // A model is provably gone when every dir recorded for it holds no model
  // database, or one of another model (the dir was reused).
  auto alive = [&](const std::string& id) {
    for (const auto& dir : dirs[id]) {
      std::error_code ec;
      if (!fs::exists(dir / "model.db", ec)) continue;
      try {
        ModelDb db(dir / "model.db");
        if (db.model_uuid().rfind(id, 0) == 0) return true;
      } catch (const std::exception&) {
        return true;  // cannot tell: keep
      }
    }
    return false;
  };
  std::set<std::string> dead;
  for (const auto& ns : existing_netns()) {
    if (ns.rfind("opssim-", 0) != 0) continue;
    const auto id = ns.size() >= 15 ? ns.substr(7, 8) : "";
    if (id.empty() || !dirs.count(id)) {
      out.kept.push_back(ns);
      continue;
    }
    if (alive(id)) continue;
    run_command({"ip", "netns", "delete", ns});
    out.removed.push_back(ns);
    dead.insert(id);
  }
  for (const auto& [id, recorded] : dirs) {
    if (!dead.count(id) && alive(id)) continue;
    // Registry entries of gone models go too.
    std::error_code ec;
    fs::remove(kModelsDir / id, ec);
    if (fs::exists(kRegistryDir)) {
      for (const auto& e : fs::directory_iterator(kRegistryDir)) {
        if (e.path().filename() == ".lock") continue;
        if (split(read_file(e.path()), '\n')[0] == "opssim-" + id + "-net")
          fs::remove(e.path(), ec);
      }
    }
  }
  return out;
}

void delete_model_network(ModelDb& db) {
  delete_network(db.model_uuid(), db.meta("subnet-index").value_or(""));
}

std::string unit_hostname(const std::string& unit_name) {
  return unit_app(unit_name) + "-" + std::to_string(unit_number(unit_name));
}

std::string unit_fqdn(const std::string& unit_name, const std::string& model_name) {
  return unit_hostname(unit_name) + "." + unit_app(unit_name) + "-endpoints." + model_name +
         ".svc.cluster.local";
}

fs::path unit_dir(ModelDb& db, const std::string& unit_name) {
  return db.dir() / "units" / unit_hostname(unit_name);
}

void write_hosts_files(ModelDb& db) {
  const auto model = db.model_name();
  const auto units = db.units();
  std::string common = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& u : units) {
    common += u.address + "\t" + unit_fqdn(u.name, model) + " " + unit_hostname(u.name) + "\n";
  }
  for (const auto& u : units) {
    const auto dir = unit_dir(db, u.name);
    if (fs::exists(dir)) write_file(dir / "hosts", common);
  }
}

PodSpec pod_spec(ModelDb& db, const std::string& unit_name) {
  PodSpec spec;
  if (db.meta("pods").value_or("0") != "1") return spec;
  spec.netns = pod_ns(db, unit_name);
  spec.hosts_file = (unit_dir(db, unit_name) / "hosts").string();
  spec.hostname = unit_hostname(unit_name);
  return spec;
}

bool enter_pod(const PodSpec& pod) {
  if (pod.netns.empty()) return true;
  const std::string path = "/run/netns/" + pod.netns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  if (::setns(fd, CLONE_NEWNET) != 0) return false;
  ::close(fd);
  if (::unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0) return false;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  if (::mount(pod.hosts_file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) return false;
  if (::sethostname(pod.hostname.c_str(), pod.hostname.size()) != 0) return false;
  return true;
}

}  // namespace ops_sim
