#include "sim.hpp"

#include <unistd.h>

#include <yaml-cpp/yaml.h>
#include <cerrno>
#include <cstring>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>

#include <signal.h>

#include "agent.hpp"
#include "ops/detail/juju_names.hpp"
#include "pods.hpp"
#include "scheduler.hpp"
#include "util.hpp"
#include "workloads.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

// Undo actions for a half-done operation, run in reverse unless dismissed.
struct ProvisionGuard {
  std::vector<std::function<void()>> undo;
  bool dismissed = false;
  ~ProvisionGuard() {
    if (dismissed) return;
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
      try {
        (*it)();
      } catch (const std::exception& e) {
        std::cerr << "WARNING cleanup after a failed operation: " << e.what() << "\n";
      }
    }
  }
};

namespace {

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::copy(from, to,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks |
               fs::copy_options::overwrite_existing);
}

// "app" or "app:endpoint".
std::pair<std::string, std::string> parse_endpoint_arg(const std::string& arg) {
  auto pos = arg.find(':');
  if (pos == std::string::npos) return {arg, ""};
  return {arg.substr(0, pos), arg.substr(pos + 1)};
}

// A YAML-typed action parameter value ("3" -> 3, "true" -> true, "a" -> "a").
nlohmann::json yaml_value(const std::string& text) {
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return text;
  }
  if (!node.IsScalar()) return text;
  if (node.Tag() == "!") return node.as<std::string>();
  const auto s = node.as<std::string>();
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (auto i = parse_int(s)) return *i;
  try {
    size_t pos = 0;
    double d = std::stod(s, &pos);
    if (pos == s.size()) return d;
  } catch (const std::exception&) {
  }
  return s;
}

bool json_type_matches(const nlohmann::json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return true;
}

// Refuses, before anything is copied, a path that is not a charm: a
// directory needs metadata.yaml or charmcraft.yaml, a file must be a zip
// archive (.charm) holding one of them.
void check_is_charm(const fs::path& source, const std::string& shown) {
  if (fs::is_directory(source)) {
    if (!fs::exists(source / "metadata.yaml") && !fs::exists(source / "charmcraft.yaml")) {
      throw SimError("\"" + shown +
                     "\" is not a charm: the directory has no metadata.yaml or charmcraft.yaml");
    }
    return;
  }
  if (!fs::is_regular_file(source)) {
    throw SimError("\"" + shown + "\" is not a charm: not a directory or a .charm file");
  }
  std::string magic(4, '\0');
  {
    std::ifstream in(source, std::ios::binary);
    in.read(magic.data(), 4);
    magic.resize(static_cast<size_t>(in.gcount()));
  }
  if (magic != std::string("PK\x03\x04", 4)) {
    throw SimError("\"" + shown + "\" is not a charm: a .charm file is a zip archive, and this " +
                   "file is not one");
  }
  const auto listing = run_command({"unzip", "-Z1", source.string()});
  if (listing.exit_code != 0) {
    throw SimError("invalid charm archive \"" + shown + "\": unzip cannot read it");
  }
  bool has_metadata = false;
  for (const auto& name : split(listing.out, '\n')) {
    if (name == "metadata.yaml" || name == "charmcraft.yaml") has_metadata = true;
  }
  if (!has_metadata) {
    throw SimError("\"" + shown +
                   "\" is not a charm: the archive has no metadata.yaml or charmcraft.yaml");
  }
}

// Unpacks a charm dir or .charm into `staging` and reads its metadata.
CharmInfo unpack_charm(const fs::path& source, const std::string& shown, const fs::path& staging) {
  check_is_charm(source, shown);
  if (fs::is_directory(source)) {
    copy_tree(source, staging);
  } else {
    fs::create_directories(staging);
    auto r = run_command({"unzip", "-qq", "-o", source.string(), "-d", staging.string()});
    if (r.exit_code != 0) {
      throw SimError("invalid charm archive \"" + shown + "\": unzip failed with exit status " +
                     std::to_string(r.exit_code));
    }
  }
  CharmInfo info;
  try {
    info = CharmInfo::load(staging);
  } catch (const SimError& e) {
    throw SimError("invalid charm \"" + shown + "\": " + e.what());
  }
  const auto dispatch = staging / "dispatch";
  if (!(fs::exists(dispatch) && ::access(dispatch.c_str(), X_OK) == 0) &&
      !fs::is_directory(staging / "hooks")) {
    throw SimError("invalid charm \"" + shown + "\": no executable dispatch");
  }
  return info;
}

// Checks "NAME=PATH" resource arguments against the charm.
std::map<std::string, fs::path> check_resources(const CharmInfo& info,
                                                const std::vector<std::string>& resources) {
  std::map<std::string, fs::path> out;
  for (const auto& kv : resources) {
    auto [k, v] = parse_key_value(kv, "resource");
    const auto* meta = info.resource(k);
    if (!meta) throw SimError("charm \"" + info.name + "\" has no resource \"" + k + "\"");
    if (!fs::exists(v)) throw SimError("resource \"" + k + "\": " + v + " not found");
    if (meta->type == "oci-image" && !fs::is_directory(v)) {
      throw SimError("resource \"" + k +
                     "\" is an oci-image: give a directory to lay over the "
                     "container's filesystem");
    }
    if (meta->type == "file" && !fs::is_regular_file(v)) {
      throw SimError("resource \"" + k + "\" is a file resource: " + v + " is not a file");
    }
    out[k] = fs::absolute(v);
  }
  return out;
}

// Copies file resources under resource_dir and records every resource's path.
void store_resources(const CharmInfo& info, const std::map<std::string, fs::path>& paths,
                     const fs::path& resource_dir, AppRow& app) {
  for (const auto& [name, path] : paths) {
    const auto* meta = info.resource(name);
    if (meta->type == "file") {
      const auto target = resource_dir / name /
                          (meta->filename.empty() ? path.filename().string() : meta->filename);
      fs::create_directories(target.parent_path());
      fs::copy_file(path, target, fs::copy_options::overwrite_existing);
      app.resources[name] = target.string();
    } else {
      app.resources[name] = path.string();
    }
  }
}

}  // namespace

Simulator::Simulator(SimOptions options) : options_(std::move(options)) {}
Simulator::~Simulator() = default;

ModelDb& Simulator::open_existing() {
  if (!db_) db_ = ModelDb::open(options_.model_dir, false);
  return *db_;
}

ModelDb& Simulator::db() { return open_existing(); }

Scheduler Simulator::make_scheduler() {
  auto& db = open_existing();
  Scheduler scheduler(
      db, options_.exe, [this](const std::string& unit) { cleanup_unit(unit); },
      [this] { return poll_workloads(); }, [this](const std::string& unit) { restart_pod(unit); });
  if (run_options_.progress) scheduler.set_progress(run_options_.progress);
  if (run_options_.deadline) scheduler.set_deadline(*run_options_.deadline);
  if (stop_) scheduler.set_stop_flag(stop_);
  return scheduler;
}

int Simulator::run_queue() {
  if (!run_options_.wait) return 0;  // the model agent runs them
  auto scheduler = make_scheduler();
  const int failures = scheduler.run_queue();
  if (scheduler.timed_out()) timed_out_ = true;
  return failures;
}

bool Simulator::poll_workloads() {
  auto& db = open_existing();
  int queued = 0;
  for (const auto& u : db.units()) {
    if (!u.dying && u.agent_status != "error") queued += queue_pebble_notices(db, u.name);
  }
  return queued > 0;
}

void Simulator::cleanup_unit(const std::string& unit) {
  auto& db = open_existing();
  stop_pebble_daemons(db, unit);
  delete_pod(db, unit);
  std::error_code ec;
  fs::remove_all(unit_dir(db, unit), ec);
}

void Simulator::provision_unit(const AppRow& app, int number, ProvisionGuard& guard) {
  auto& db = *db_;
  const std::string name = app.name + "/" + std::to_string(number);
  const auto dir = unit_dir(db, name);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  guard.undo.push_back([dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  });
  copy_tree(app.charm_dir, dir / "charm");
  std::string address;
  if (db.meta("pods").value_or("0") == "1") {
    const auto ns = pod_netns_name(db.model_uuid(), name);
    address = create_pod(db, name);
    guard.undo.push_back([ns] { delete_netns(ns); });
  } else {
    std::set<int> used;
    for (const auto& u : db.units()) {
      auto parts = split(u.address, '.');
      if (parts.size() == 4) used.insert(static_cast<int>(parse_int(parts[3]).value_or(0)));
    }
    int host = 2;
    while (used.count(host)) ++host;
    address = "10.213.0." + std::to_string(host);
  }
  for (const auto& c : app.charm.containers) {
    const auto root = container_root(db, name, c.name);
    fs::create_directories(root);
    if (!c.resource.empty() && app.resources.contains(c.resource)) {
      const fs::path image = app.resources[c.resource].get<std::string>();
      if (fs::is_directory(image)) copy_tree(image, root);
    }
  }
  for (const auto& s : app.charm.storage) {
    long long next = 0;
    SQLite::Statement q(db.sql(), "SELECT id FROM storage WHERE name = ?");
    q.bind(1, s.name);
    while (q.executeStep()) {
      auto id = q.getColumn(0).getString();
      next = std::max(next, parse_int(id.substr(id.rfind('/') + 1)).value_or(0) + 1);
    }
    fs::path location = dir / "storage" / (s.name + "-" + std::to_string(next));
    for (const auto& c : app.charm.containers) {
      for (const auto& [storage, where] : c.mounts) {
        if (storage == s.name && !where.empty()) {
          location = container_root(db, name, c.name) / fs::path(where).relative_path();
        }
      }
    }
    // As Kubernetes mounts a volume: owned by root, 0755. A workload that
    // runs as another user needs the charm to chown it, as on a cluster.
    fs::create_directories(location);
    if (::lchown(location.c_str(), 0, 0) != 0 && ::geteuid() == 0) {
      throw SimError("cannot chown storage " + location.string() + ": " + std::strerror(errno));
    }
    fs::permissions(location, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    SQLite::Statement ins(db.sql(), "INSERT INTO storage VALUES (?, ?, ?, ?)");
    ins.bind(1, s.name + "/" + std::to_string(next));
    ins.bind(2, name);
    ins.bind(3, s.name);
    ins.bind(4, location.string());
    ins.exec();
  }
  UnitRow unit;
  unit.name = name;
  unit.app = app.name;
  unit.number = number;
  unit.charm_dir = (dir / "charm").string();
  unit.address = address;
  db.insert_unit(unit);
}

void Simulator::deploy(const std::string& charm, std::string app_name, int units,
                       const std::vector<std::string>& config,
                       const std::vector<std::string>& resources) {
  if (units < 1)
    throw SimError("the number of units must be at least 1, got " + std::to_string(units));
  const fs::path source = fs::absolute(charm);
  if (!fs::exists(source)) throw SimError("charm \"" + charm + "\" not found");
  const auto dir = options_.model_dir;
  const bool creating = !fs::exists(dir / "model.db");
  if (!creating) open_existing();

  ProvisionGuard guard;
  if (creating) {
    const bool dir_existed = fs::exists(dir);
    guard.undo.push_back([dir, dir_existed] {
      std::error_code ec;
      if (!dir_existed) {
        fs::remove_all(dir, ec);
        return;
      }
      for (const char* name : {"model.db", "model.db-wal", "model.db-shm", "bin", "charms", "units",
                               "resources", "mountpoints"}) {
        fs::remove_all(dir / name, ec);
      }
    });
  }
  fs::create_directories(dir / "charms");
  const auto staging = dir / "charms" / (".staging-" + random_hex(8));
  guard.undo.push_back([staging] {
    std::error_code ec;
    fs::remove_all(staging, ec);
  });
  const CharmInfo info = unpack_charm(source, charm, staging);
  if (app_name.empty()) app_name = info.name;
  if (!ops::detail::is_application_name(app_name)) {
    throw SimError("invalid application name \"" + app_name + "\"");
  }
  AppRow app;
  app.name = app_name;
  app.charm = info;
  for (const auto& kv : config) {
    auto [k, v] = parse_key_value(kv, "config value");
    app.config[k] = info.convert_config_value(k, v);
  }
  const auto resource_paths = check_resources(info, resources);

  if (!db_) db_ = ModelDb::open(dir, true);
  auto& db = *db_;
  if (db.app(app_name)) throw SimError("application \"" + app_name + "\" already exists");
  std::string workloads = options_.workloads;
  if (creating) {
    std::string why;
    const bool pods = (workloads.empty() || workloads == "run") && pods_supported(&why);
    if (workloads == "run" && !pods) {
      throw SimError("--workloads=run needs network namespaces: " + why);
    }
    if (workloads.empty()) workloads = pods ? "run" : "simulate";
    db.set_meta("model-name", options_.model_name.empty() ? "sim" : options_.model_name);
    db.set_meta("model-uuid", random_hex(8) + "-" + random_hex(4) + "-4" + random_hex(3) + "-8" +
                                  random_hex(3) + "-" + random_hex(12));
    db.set_meta("workloads", workloads);
    db.set_meta("pods", workloads == "run" ? "1" : "0");
    if (workloads == "run") {
      const auto uuid = db.model_uuid();
      guard.undo.push_back([uuid] { delete_network(uuid, ""); });
      const int index = create_model_network(db);
      guard.undo.push_back([uuid, index] { delete_network(uuid, std::to_string(index)); });
    }
  } else if (!workloads.empty() && workloads != db.meta("workloads")) {
    throw SimError("the model runs with --workloads=" + db.meta("workloads").value_or("") +
                   "; it cannot change after the first deploy");
  }
  ensure_tool_links(db, options_.exe);
  const auto app_dir = dir / "charms" / app_name;
  if (fs::exists(app_dir)) fs::remove_all(app_dir);
  fs::rename(staging, app_dir);
  guard.undo.push_back([app_dir] {
    std::error_code ec;
    fs::remove_all(app_dir, ec);
  });
  app.charm_dir = app_dir.string();
  const auto resource_dir = dir / "resources" / app_name;
  guard.undo.push_back([resource_dir] {
    std::error_code ec;
    fs::remove_all(resource_dir, ec);
  });
  store_resources(info, resource_paths, resource_dir, app);

  std::vector<std::string> unit_names;
  {
    SQLite::Transaction tx(db.sql());
    db.insert_app(app);
    for (const auto& ep : info.endpoints) {
      if (ep.role != "peers") continue;
      RelationRow rel;
      rel.app1 = rel.app2 = app_name;
      rel.endpoint1 = rel.endpoint2 = ep.name;
      rel.interface = ep.interface;
      rel.peer = true;
      db.insert_relation(rel);
    }
    // Unit by unit, so that each new unit joins the ones before it once.
    for (int i = 0; i < units; ++i) {
      provision_unit(app, i, guard);
      unit_names.push_back(app_name + "/" + std::to_string(i));
      hooks::enqueue_unit_start(db, unit_names.back());
    }
    db.set_meta("next-unit-" + app_name, std::to_string(units));
    tx.commit();
  }
  // From here on the rows exist: undo must delete them too.
  guard.undo.push_back([this, app_name, unit_names] {
    for (const auto& u : unit_names) stop_pebble_daemons(*db_, u);
    SQLite::Transaction tx(db_->sql());
    for (const auto& u : unit_names) db_->delete_unit(u);
    for (const auto& rel : db_->relations()) {
      if (rel.involves(app_name)) db_->delete_relation(rel.id);
    }
    db_->delete_app(app_name);
    tx.commit();
  });
  write_hosts_files(db);
  for (const auto& u : unit_names) start_pebble_daemons(db, u, options_.exe);
  guard.dismissed = true;
  run_queue();
}

void Simulator::add_unit(const std::string& app_name, int count) {
  auto& db = open_existing();
  const auto app = db.require_app(app_name);
  if (count < 1)
    throw SimError("the number of units must be at least 1, got " + std::to_string(count));
  ProvisionGuard guard;
  std::vector<std::string> names;
  {
    SQLite::Transaction tx(db.sql());
    for (int i = 0; i < count; ++i) {
      const int n = static_cast<int>(db.next_counter("next-unit-" + app_name));
      provision_unit(app, n, guard);
      names.push_back(app_name + "/" + std::to_string(n));
      hooks::enqueue_unit_start(db, names.back());
    }
    tx.commit();
  }
  guard.undo.push_back([this, names] {
    for (const auto& u : names) {
      stop_pebble_daemons(*db_, u);
      db_->delete_unit(u);
    }
  });
  write_hosts_files(db);
  for (const auto& u : names) start_pebble_daemons(db, u, options_.exe);
  guard.dismissed = true;
  run_queue();
}

void Simulator::remove_unit(const std::string& unit_name) {
  auto& db = open_existing();
  const auto unit = db.require_unit(unit_name);
  if (unit.dying) throw SimError("unit \"" + unit_name + "\" is already being removed");
  {
    SQLite::Transaction tx(db.sql());
    hooks::enqueue_unit_removal(db, unit_name);
    tx.commit();
  }
  run_queue();
}

int Simulator::integrate(const std::string& a, const std::string& b) {
  auto& db = open_existing();
  const auto [app_a, ep_a] = parse_endpoint_arg(a);
  const auto [app_b, ep_b] = parse_endpoint_arg(b);
  const auto row_a = db.require_app(app_a);
  const auto row_b = db.require_app(app_b);
  if (app_a == app_b) throw SimError("cannot integrate application \"" + app_a + "\" with itself");
  for (const auto& [row, ep] : {std::pair{&row_a, ep_a}, std::pair{&row_b, ep_b}}) {
    if (ep.empty()) continue;
    const auto* e = row->charm.endpoint(ep);
    if (!e) throw SimError("application \"" + row->name + "\" has no endpoint \"" + ep + "\"");
    if (e->role == "peers") {
      throw SimError("endpoint \"" + row->name + ":" + ep + "\" is a peer endpoint");
    }
  }
  std::vector<std::pair<EndpointInfo, EndpointInfo>> candidates;
  for (const auto& ea : row_a.charm.endpoints) {
    if (ea.role == "peers" || (!ep_a.empty() && ea.name != ep_a)) continue;
    for (const auto& eb : row_b.charm.endpoints) {
      if (eb.role == "peers" || (!ep_b.empty() && eb.name != ep_b)) continue;
      const bool roles = (ea.role == "provides" && eb.role == "requires") ||
                         (ea.role == "requires" && eb.role == "provides");
      if (roles && ea.interface == eb.interface) candidates.emplace_back(ea, eb);
    }
  }
  if (candidates.empty()) {
    throw SimError("no relations found between \"" + a + "\" and \"" + b +
                   "\": no provides/requires endpoints with the same interface");
  }
  if (candidates.size() > 1) {
    std::vector<std::string> options;
    for (const auto& [ea, eb] : candidates) {
      options.push_back("\"" + app_a + ":" + ea.name + " " + app_b + ":" + eb.name + "\"");
    }
    throw SimError("ambiguous relation: \"" + a + " " + b + "\" could refer to " +
                   join(options, "; "));
  }
  auto [ea, eb] = candidates.front();
  RelationRow rel;
  const bool a_provides = ea.role == "provides";
  rel.app1 = a_provides ? app_a : app_b;
  rel.endpoint1 = a_provides ? ea.name : eb.name;
  rel.app2 = a_provides ? app_b : app_a;
  rel.endpoint2 = a_provides ? eb.name : ea.name;
  rel.interface = ea.interface;
  for (const auto& existing : db.relations()) {
    if (existing.app1 == rel.app1 && existing.endpoint1 == rel.endpoint1 &&
        existing.app2 == rel.app2 && existing.endpoint2 == rel.endpoint2) {
      throw SimError("relation \"" + rel.app1 + ":" + rel.endpoint1 + " " + rel.app2 + ":" +
                     rel.endpoint2 + "\" already exists");
    }
  }
  int id;
  {
    SQLite::Transaction tx(db.sql());
    id = db.insert_relation(rel);
    hooks::enqueue_relation_added(db, id);
    tx.commit();
  }
  run_queue();
  return id;
}

void Simulator::remove_relation(const std::string& a, const std::string& b) {
  auto& db = open_existing();
  std::optional<RelationRow> found;
  if (b.empty()) {
    auto id = parse_int(a);
    if (!id) throw SimError("expected a relation id or two endpoints, got \"" + a + "\"");
    found = db.relation(static_cast<int>(*id));
    if (!found) throw SimError("relation " + a + " not found");
  } else {
    const auto [app_a, ep_a] = parse_endpoint_arg(a);
    const auto [app_b, ep_b] = parse_endpoint_arg(b);
    db.require_app(app_a);
    db.require_app(app_b);
    std::vector<RelationRow> matches;
    for (const auto& rel : db.relations()) {
      if (rel.peer) continue;
      auto matches_side = [&](const std::string& app, const std::string& ep) {
        return rel.involves(app) && (ep.empty() || rel.endpoint_of(app) == ep);
      };
      if (matches_side(app_a, ep_a) && matches_side(app_b, ep_b)) matches.push_back(rel);
    }
    if (matches.empty())
      throw SimError("relation between \"" + a + "\" and \"" + b + "\" not found");
    if (matches.size() > 1) {
      throw SimError("ambiguous relation: \"" + a + " " + b + "\" matches " +
                     std::to_string(matches.size()) + " relations; name the endpoints");
    }
    found = matches.front();
  }
  if (found->peer) throw SimError("cannot remove peer relation " + std::to_string(found->id));
  if (found->broken)
    throw SimError("relation " + std::to_string(found->id) + " is already being removed");
  {
    SQLite::Transaction tx(db.sql());
    hooks::enqueue_relation_removed(db, found->id);
    tx.commit();
  }
  run_queue();
}

void Simulator::set_config(const std::string& app_name, const std::vector<std::string>& values,
                           const std::vector<std::string>& resets) {
  auto& db = open_existing();
  auto app = db.require_app(app_name);
  auto config = app.config;
  for (const auto& kv : values) {
    auto [k, v] = parse_key_value(kv, "config value");
    config[k] = app.charm.convert_config_value(k, v);
  }
  for (const auto& k : resets) {
    if (!app.charm.option(k)) {
      throw SimError("unknown option \"" + k + "\" for charm \"" + app.charm.name + "\"");
    }
    config.erase(k);
  }
  const bool changed = app.charm.effective_config(config) != app.charm.effective_config(app.config);
  app.config = config;
  {
    SQLite::Transaction tx(db.sql());
    db.update_app(app);
    if (changed) {
      for (const auto& u : db.units(app_name)) {
        if (u.dying) continue;
        HookSpec h;
        h.unit = u.name;
        h.hook = "config-changed";
        db.enqueue(h);
      }
    }
    tx.commit();
  }
  run_queue();
}

nlohmann::json Simulator::config(const std::string& app_name) {
  auto app = open_existing().require_app(app_name);
  return app.charm.effective_config(app.config);
}

ActionRow Simulator::run_action(const std::string& unit_name, const std::string& action,
                                const std::vector<std::string>& params) {
  auto& db = open_existing();
  const auto unit = db.require_unit(unit_name);
  const auto app = db.require_app(unit.app);
  const auto* meta = app.charm.action(action);
  if (!meta) {
    throw SimError("action \"" + action + "\" not defined on unit \"" + unit_name + "\"");
  }
  nlohmann::json values = nlohmann::json::object();
  for (const auto& kv : params) {
    auto [k, v] = parse_key_value(kv, "action parameter");
    nlohmann::json* node = &values;
    auto parts = split(k, '.');
    for (size_t i = 0; i + 1 < parts.size(); ++i) node = &(*node)[parts[i]];
    (*node)[parts.back()] = yaml_value(v);
  }
  for (const auto& [k, v] : values.items()) {
    if (!meta->params.contains(k)) {
      if (!meta->additional_properties) {
        throw SimError("action \"" + action + "\" has no parameter \"" + k + "\"");
      }
      continue;
    }
    const auto& schema = meta->params[k];
    if (schema.is_object() && schema.contains("type") && schema["type"].is_string()) {
      const std::string type = schema["type"];
      if (type == "string" && !v.is_string()) values[k] = v.dump();
      if (!json_type_matches(values[k], type)) {
        throw SimError("action \"" + action + "\" parameter \"" + k + "\": expected " + type +
                       ", got " + v.dump());
      }
    }
  }
  for (const auto& [k, schema] : meta->params.items()) {
    if (!values.contains(k) && schema.is_object() && schema.contains("default")) {
      values[k] = schema["default"];
    }
  }
  for (const auto& r : meta->required) {
    if (!values.contains(r)) {
      throw SimError("action \"" + action + "\" needs parameter \"" + r + "\"");
    }
  }
  auto scheduler = make_scheduler();
  return scheduler.run_action(unit_name, action, values);
}

void Simulator::trigger(const std::string& target, const std::string& hook) {
  auto& db = open_existing();
  // "app/N" is one unit; "app" is every live unit of the app.
  std::vector<UnitRow> units;
  if (target.find('/') != std::string::npos) {
    units.push_back(db.require_unit(target));
  } else {
    for (auto& u : db.units(db.require_app(target).name)) {
      if (!u.dying) units.push_back(u);
    }
  }
  for (const auto& unit : units) {
    const auto app = db.require_app(unit.app);
    std::set<std::string> allowed = {
        "install",        "start",         "stop",           "config-changed",
        "update-status",  "upgrade-charm", "leader-elected", "leader-settings-changed",
        "collect-metrics"};
    for (const auto& c : app.charm.containers) allowed.insert(c.name + "-pebble-ready");
    if (!allowed.count(hook)) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      throw SimError("cannot trigger \"" + hook + "\" on " + target + ": expected one of " +
                     join(names, ", "));
    }
    if (hook == "leader-elected" && app.leader != unit.name) {
      throw SimError("cannot trigger leader-elected on " + unit.name + ": it is not the leader");
    }
  }
  SQLite::Transaction tx(db.sql());
  for (const auto& unit : units) {
    HookSpec h;
    h.unit = unit.name;
    h.hook = hook;
    if (hook.ends_with("-pebble-ready")) h.workload = hook.substr(0, hook.size() - 13);
    db.enqueue(h);
  }
  tx.commit();
  run_queue();
}

void Simulator::resolve(const std::string& unit_name, bool no_retry) {
  auto& db = open_existing();
  auto unit = db.require_unit(unit_name);
  if (unit.agent_status != "error") {
    throw SimError("unit \"" + unit_name + "\" is not in an error state");
  }
  {
    SQLite::Transaction tx(db.sql());
    if (no_retry) {
      auto queued = db.queued(unit_name);
      if (!queued.empty()) db.dequeue(queued.front().id);
    }
    unit.agent_status = "idle";
    unit.error_hook.clear();
    db.update_unit(unit);
    tx.commit();
  }
  run_queue();
}

void Simulator::refresh(const std::string& app_name, const std::string& charm) {
  auto& db = open_existing();
  auto app = db.require_app(app_name);
  const fs::path source = fs::absolute(charm);
  if (!fs::exists(source)) throw SimError("charm \"" + charm + "\" not found");
  const auto staging = db.dir() / "charms" / (".staging-" + random_hex(8));
  ProvisionGuard guard;
  guard.undo.push_back([staging] {
    std::error_code ec;
    fs::remove_all(staging, ec);
  });
  const CharmInfo info = unpack_charm(source, charm, staging);
  if (info.name != app.charm.name) {
    throw SimError("cannot refresh \"" + app_name + "\" (charm \"" + app.charm.name +
                   "\") with charm \"" + info.name + "\"");
  }
  for (const auto& [key, value] : app.config.items()) {
    if (!info.option(key)) {
      throw SimError("the new charm has no option \"" + key + "\", which is set; reset it first");
    }
  }
  // Each unit gets the new files; its .unit-state.db (the charm's state)
  // stays, with the -wal or -journal a killed dispatch may have left beside it.
  for (const auto& u : db.units(app_name)) {
    for (const auto& entry : fs::directory_iterator(u.charm_dir)) {
      const std::string name = entry.path().filename().string();
      if (name != ".unit-state.db" && name != ".unit-state.db-wal" &&
          name != ".unit-state.db-journal") {
        fs::remove_all(entry.path());
      }
    }
    fs::copy(staging, u.charm_dir,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                 fs::copy_options::overwrite_existing);
  }
  fs::remove_all(app.charm_dir);
  fs::rename(staging, app.charm_dir);
  guard.dismissed = true;
  app.charm = info;
  {
    SQLite::Transaction tx(db.sql());
    db.update_app(app);
    for (const auto& u : db.units(app_name)) {
      if (u.dying) continue;
      for (const char* hook : {"upgrade-charm", "config-changed"}) {
        HookSpec h;
        h.unit = u.name;
        h.hook = hook;
        db.enqueue(h);
      }
    }
    tx.commit();
  }
  run_queue();
}

void Simulator::attach_resource(const std::string& app_name,
                                const std::vector<std::string>& resources) {
  auto& db = open_existing();
  auto app = db.require_app(app_name);
  if (resources.empty()) throw SimError("no resource given (NAME=PATH)");
  const auto paths = check_resources(app.charm, resources);
  store_resources(app.charm, paths, db.dir() / "resources" / app_name, app);
  for (const auto& c : app.charm.containers) {
    if (c.resource.empty() || !paths.count(c.resource)) continue;
    for (const auto& u : db.units(app_name))
      copy_tree(paths.at(c.resource), container_root(db, u.name, c.name));
  }
  {
    SQLite::Transaction tx(db.sql());
    db.update_app(app);
    for (const auto& u : db.units(app_name)) {
      if (u.dying) continue;
      HookSpec h;
      h.unit = u.name;
      h.hook = "upgrade-charm";
      db.enqueue(h);
    }
    tx.commit();
  }
  run_queue();
}

void Simulator::destroy() {
  auto& db = open_existing();
  stop_model_agent(options_.model_dir);
  for (const auto& u : db.units()) stop_pebble_daemons(db, u.name);
  delete_model_network(db);
  remove_created_mountpoints(db);
  const auto dir = options_.model_dir;
  db_.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) throw SimError("cannot remove " + dir.string() + ": " + ec.message());
}

std::vector<std::string> Simulator::errors() {
  std::vector<std::string> out;
  for (const auto& u : open_existing().units()) {
    if (u.agent_status == "error")
      out.push_back(u.name + ": hook failed: \"" + u.error_hook + "\"");
  }
  return out;
}

}  // namespace ops_sim

namespace ops_sim {

void Simulator::remove_application(const std::string& app_name) {
  auto& db = open_existing();
  db.require_app(app_name);
  if (db.meta("dying-app:" + app_name)) {
    throw SimError("application \"" + app_name + "\" is already being removed");
  }
  {
    SQLite::Transaction tx(db.sql());
    db.set_meta("dying-app:" + app_name, "1");
    for (const auto& rel : db.relations()) {
      if (!rel.peer && !rel.broken && rel.involves(app_name)) {
        hooks::enqueue_relation_removed(db, rel.id);
      }
    }
    for (const auto& u : db.units(app_name)) {
      if (!u.dying) hooks::enqueue_unit_removal(db, u.name);
    }
    HookSpec step;
    step.internal = true;
    step.hook = "remove-application";
    step.remote_app = app_name;
    db.enqueue(step);
    tx.commit();
  }
  run_queue();
}

void Simulator::restart_unit(const std::string& unit_name) {
  auto& db = open_existing();
  const auto unit = db.require_unit(unit_name);
  if (unit.dying) throw SimError("unit \"" + unit_name + "\" is being removed");
  {
    SQLite::Transaction tx(db.sql());
    hooks::enqueue_pod_restart(db, unit_name);
    tx.commit();
  }
  run_queue();
}

void Simulator::restart_pod(const std::string& unit_name) {
  auto& db = open_existing();
  const auto unit = db.require_unit(unit_name);
  const auto app = db.require_app(unit.app);
  // The old pod's processes go: Pebble stops its services (SIGTERM, then
  // SIGKILL after kill-delay) as the kubelet does.
  stop_pebble_daemons(db, unit_name);
  // A new pod gets its containers' filesystems fresh from the image; only
  // the storage volumes survive.
  std::vector<std::string> locations;
  {
    SQLite::Statement q(db.sql(), "SELECT location FROM storage WHERE unit = ?");
    q.bind(1, unit_name);
    while (q.executeStep()) locations.push_back(q.getColumn(0).getString());
  }
  const auto keep_dir = unit_dir(db, unit_name) / ".storage-kept";
  for (const auto& c : app.charm.containers) {
    const auto root = container_root(db, unit_name, c.name);
    std::vector<std::pair<fs::path, fs::path>> kept;  // location, parked at
    for (const auto& location : locations) {
      const auto rel = fs::path(location).lexically_relative(root);
      if (rel.empty() || rel.native().rfind("..", 0) == 0 || !fs::exists(location)) continue;
      fs::create_directories(keep_dir);
      const auto parked = keep_dir / std::to_string(kept.size());
      fs::rename(location, parked);
      kept.emplace_back(location, parked);
    }
    fs::remove_all(root);
    fs::create_directories(root);
    if (!c.resource.empty() && app.resources.contains(c.resource)) {
      const fs::path image = app.resources[c.resource].get<std::string>();
      if (fs::is_directory(image)) copy_tree(image, root);
    }
    for (const auto& [location, parked] : kept) {
      fs::create_directories(fs::path(location).parent_path());
      fs::rename(parked, location);
    }
  }
  std::error_code ec;
  fs::remove_all(keep_dir, ec);
  db.add_log(unit_name, "INFO", "uniter", "pod restarted (storage kept)");
  start_pebble_daemons(db, unit_name, options_.exe);
}

std::vector<int> Simulator::kill_service(const std::string& unit_name, const std::string& container,
                                         const std::string& service) {
  auto& db = open_existing();
  const auto unit = db.require_unit(unit_name);
  const auto app = db.require_app(unit.app);
  const auto& cs = app.charm.containers;
  if (std::none_of(cs.begin(), cs.end(), [&](const auto& c) { return c.name == container; })) {
    std::vector<std::string> names;
    for (const auto& c : cs) names.push_back(c.name);
    throw SimError("unit " + unit_name + " has no container \"" + container + "\"" +
                   (names.empty() ? std::string(" (its charm has none)")
                                  : " (containers: " + join(names, ", ") + ")"));
  }
  if (db.meta("workloads").value_or("simulate") != "run") {
    throw SimError("kill needs --workloads=run: with simulate no service process runs");
  }
  const auto running = running_services(db, unit_name, container);
  if (running.empty()) {
    throw SimError("no service runs in " + unit_name + " container \"" + container + "\"");
  }
  std::vector<std::string> names;
  for (const auto& [name, pid] : running) names.push_back(name);
  std::string target = service;
  if (target.empty()) {
    if (running.size() > 1) {
      throw SimError("container \"" + container + "\" of " + unit_name +
                     " runs several services (" + join(names, ", ") + "): name one with --service");
    }
    target = running.begin()->first;
  }
  auto it = running.find(target);
  if (it == running.end()) {
    throw SimError("service \"" + target + "\" does not run in " + unit_name + " container \"" +
                   container + "\" (running: " + join(names, ", ") + ")");
  }
  // The service is its process group's leader: kill -9 all of it.
  if (::kill(-it->second, SIGKILL) != 0) {
    throw SimError("cannot kill service \"" + target + "\" (pid " + std::to_string(it->second) +
                   "): " + std::strerror(errno));
  }
  db.add_log(unit_name, "INFO", "uniter",
             "killed service \"" + target + "\" (pid " + std::to_string(it->second) +
                 ") in container \"" + container + "\" with SIGKILL");
  return {it->second};
}

Simulator::ExecOutput Simulator::exec(const std::string& unit_name, const std::string& command) {
  auto& db = open_existing();
  const auto unit = db.require_unit(unit_name);
  if (command.empty()) throw SimError("exec needs a command: ops-sim exec --unit U -- CMD");
  auto scheduler = make_scheduler();
  auto r = scheduler.run_exec(unit_name, command);
  return {r.exit_code, std::move(r.out), std::move(r.err)};
}

namespace {
const char* const kUpdateStatusInterval = "update-status-hook-interval";
}

std::map<std::string, std::string> Simulator::model_config() {
  auto& db = open_existing();
  return {{kUpdateStatusInterval, db.meta(kUpdateStatusInterval).value_or("5m")}};
}

void Simulator::set_model_config(const std::vector<std::string>& values,
                                 const std::vector<std::string>& resets) {
  auto& db = open_existing();
  std::map<std::string, std::string> set;
  for (const auto& kv : values) {
    auto [k, v] = parse_key_value(kv, "model config value");
    if (k != kUpdateStatusInterval) {
      throw SimError("unknown model config key \"" + k + "\" (ops-sim supports " +
                     kUpdateStatusInterval + ")");
    }
    update_status_interval(v);  // validates
    set[k] = v;
  }
  for (const auto& k : resets) {
    if (k != kUpdateStatusInterval) {
      throw SimError("unknown model config key \"" + k + "\" (ops-sim supports " +
                     kUpdateStatusInterval + ")");
    }
  }
  SQLite::Transaction tx(db.sql());
  for (const auto& [k, v] : set) db.set_meta(k, v);
  for (const auto& k : resets) db.delete_meta(k);
  tx.commit();
}

void Simulator::queue_update_status() {
  auto& db = open_existing();
  SQLite::Transaction tx(db.sql());
  const auto queued = db.queued();
  for (const auto& u : db.units()) {
    if (u.dying || u.agent_status == "error") continue;
    if (std::any_of(queued.begin(), queued.end(), [&](const HookSpec& h) {
          return h.unit == u.name && h.hook == "update-status";
        })) {
      continue;
    }
    HookSpec h;
    h.unit = u.name;
    h.hook = "update-status";
    db.enqueue(h);
  }
  tx.commit();
}

}  // namespace ops_sim
