// The Pebble server's state and its immediate endpoints (see server_state.hpp).
#include "server_state.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "ops/detail/pebble_multipart.hpp"

extern char** environ;

namespace ops::pebble_server::detail {

namespace fs = std::filesystem;
using nlohmann::json;

// ------------------------------------------------------------- utilities

std::string status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

Response sync_response(const json& result, int status) {
  json body{{"type", "sync"},
            {"status-code", status},
            {"status", status_text(status)},
            {"result", result}};
  return Response{status, "application/json", body.dump(), false};
}

Response error_response(int status, const std::string& message, const std::string& kind) {
  json result{{"message", message}};
  if (!kind.empty()) result["kind"] = kind;
  json body{{"type", "error"},
            {"status-code", status},
            {"status", status_text(status)},
            {"result", result}};
  return Response{status, "application/json", body.dump(), false};
}

namespace {

Response async_response(const std::string& change_id, const json& result = nullptr) {
  json body{{"type", "async"},
            {"status-code", 202},
            {"status", "Accepted"},
            {"change", change_id},
            {"result", result}};
  return Response{202, "application/json", body.dump(), false};
}

// A request the client got wrong: answered with 400 and the message.
struct BadRequest {
  explicit BadRequest(std::string text, int code = 400, std::string error_kind = {})
      : message(std::move(text)), status(code), kind(std::move(error_kind)) {}
  std::string message;
  int status;
  std::string kind;
};

// A failed file operation, reported per path.
struct PathFailure {
  std::string kind;
  std::string message;
};

std::string qstr(const std::string& s) { return json(s).dump(); }

json parse_body(const Request& request) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw BadRequest{"cannot decode request body into an object"};
  }
  return body;
}

std::vector<std::string> string_list(const json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) throw BadRequest{std::string("\"") + key + "\" must be a list"};
  for (const auto& item : *it) {
    if (!item.is_string()) throw BadRequest{std::string("\"") + key + "\" must hold strings"};
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string query_value(const Request& request, const std::string& key) {
  auto it = request.query.find(key);
  return it == request.query.end() ? std::string() : it->second;
}

std::string service_list_text(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += qstr(names[i]);
  }
  return out;
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

int signal_number(std::string name) {
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  static const std::map<std::string, int> kSignals = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},  {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},  {"CONT", SIGCONT},
      {"STOP", SIGSTOP}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH}};
  auto it = kSignals.find(name);
  return it == kSignals.end() ? 0 : it->second;
}

std::string rfc3339(std::time_t seconds, long nanos) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nanos / 1000);
  return buf;
}

std::optional<std::int64_t> optional_int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw BadRequest{std::string("\"") + key + "\" must be a number"};
  return it->get<std::int64_t>();
}

std::optional<std::string> optional_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw BadRequest{std::string("\"") + key + "\" must be a string"};
  return it->get<std::string>();
}

int parse_permissions(const json& j, int fallback) {
  auto text = optional_string(j, "permissions");
  if (!text || text->empty()) return fallback;
  char* end = nullptr;
  const long mode = std::strtol(text->c_str(), &end, 8);
  if (end != text->c_str() + text->size() || mode < 0 || mode > 07777) {
    throw BadRequest{"invalid permissions " + qstr(*text)};
  }
  return static_cast<int>(mode);
}

}  // namespace

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs);
  return rfc3339(static_cast<std::time_t>(secs.count()), static_cast<long>(nanos.count()));
}

std::string go_duration(pebble::Duration d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%gs", d.count());
  return buf;
}

// ------------------------------------------------------------------- State

State::State(std::string root_dir, std::unique_ptr<ServiceManager> services, std::string version)
    : root_(fs::weakly_canonical(root_dir).string()),
      services_(std::move(services)),
      version_(std::move(version)) {
  if (!fs::is_directory(root_)) {
    throw std::runtime_error("pebble-server: root directory " + root_dir + " does not exist");
  }
  if (!services_) services_ = std::make_unique<SimulatedServiceManager>();
  worker_ = std::thread([this] { run_worker(); });
}

State::~State() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void State::set_on_change_ready(std::function<void()> callback) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_change_ready_ = std::move(callback);
}

void State::set_on_abort(std::function<void(const std::string&)> callback) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_abort_ = std::move(callback);
}

Response State::handle(const Request& request, std::optional<ExecSpec>& exec) {
  try {
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    // The service list asks the manager, which may block: no lock for it.
    if (!(request.method == "GET" && request.path == "/v1/services")) lock.lock();
    return handle_locked(request, exec);
  } catch (const BadRequest& e) {
    return error_response(e.status, e.message, e.kind);
  } catch (const std::exception& e) {
    return error_response(500, e.what());
  }
}

Response State::handle_locked(const Request& request, std::optional<ExecSpec>& exec) {
  const std::string& m = request.method;
  const std::string& p = request.path;
  if (p == "/v1/system-info" && m == "GET") {
    return sync_response({{"version", version_}, {"boot-id", "ops-cpp-pebble-server"}});
  }
  if (p == "/v1/services") {
    if (m == "GET") return get_services(request);
    if (m == "POST") return post_services(request);
  }
  if (p == "/v1/layers" && m == "POST") return post_layers(request);
  if (p == "/v1/plan" && m == "GET") {
    const auto format = query_value(request, "format");
    if (!format.empty() && format != "yaml") throw BadRequest{"invalid format " + qstr(format)};
    return sync_response(plan_.to_yaml());
  }
  if (p == "/v1/files") {
    if (m == "GET") return get_files(request);
    if (m == "POST") return post_files(request);
  }
  if (p == "/v1/exec" && m == "POST") return post_exec(request, exec);
  if (p == "/v1/signals" && m == "POST") return post_signals(request);
  if (p == "/v1/checks") {
    if (m == "GET") return get_checks(request);
    if (m == "POST") return post_checks(request);
  }
  if (p == "/v1/changes" && m == "GET") return get_changes(request);
  if (p.rfind("/v1/changes/", 0) == 0) {
    const std::string id = p.substr(std::string("/v1/changes/").size());
    auto it = changes_.find(id);
    if (it == changes_.end()) throw BadRequest{"cannot find change with id " + qstr(id), 404};
    if (m == "GET") return sync_response(it->second.change);
    if (m == "POST") {
      const json body = parse_body(request);
      if (body.value("action", "") != "abort") throw BadRequest{"change action must be \"abort\""};
      if (it->second.change.ready) {
        throw BadRequest{"cannot abort change " + id + " with nothing pending"};
      }
      it->second.change.status = "Abort";
      if (it->second.change.kind == "exec" && on_abort_) on_abort_(id);
      return sync_response(it->second.change);
    }
  }
  if (p == "/v1/notices") {
    if (m == "GET") return get_notices(request);
    if (m == "POST") return post_notices(request);
  }
  if (p.rfind("/v1/notices/", 0) == 0 && m == "GET") {
    const std::string id = p.substr(std::string("/v1/notices/").size());
    for (const auto& notice : notices_) {
      if (notice.id == id) return sync_response(notice);
    }
    throw BadRequest{"cannot find notice with ID " + qstr(id), 404};
  }
  if (p == "/v1/warnings") {
    if (m == "GET") {
      const bool all = query_value(request, "select") == "all";
      json result = json::array();
      for (const auto& w : warnings_) {
        if (all || !w.shown) result.push_back(w.warning);
      }
      return sync_response(result);
    }
    if (m == "POST") {
      const json body = parse_body(request);
      if (body.value("action", "") != "okay") throw BadRequest{"warnings action must be \"okay\""};
      const std::string timestamp = body.value("timestamp", "");
      int count = 0;
      for (auto& w : warnings_) {
        if (!w.shown && w.warning.last_added <= timestamp) {
          w.shown = true;
          w.warning.last_shown = now_rfc3339();
          ++count;
        }
      }
      return sync_response(count);
    }
  }
  return error_response(404, "not found: " + m + " " + p);
}

// ---------------------------------------------------------------- changes

std::string State::new_change(const std::string& kind, const std::string& summary,
                              std::vector<pebble::Task> tasks, std::vector<std::string> services) {
  const std::string id = std::to_string(next_change_++);
  pebble::Change change;
  change.id = id;
  change.kind = kind;
  change.summary = summary;
  change.status = "Doing";
  change.spawn_time = now_rfc3339();
  for (auto& task : tasks) {
    task.id = std::to_string(next_task_++);
    task.status = "Do";
    task.spawn_time = change.spawn_time;
    task.progress = {"", 0, 1};
  }
  change.tasks = std::move(tasks);
  changes_[id] = ChangeRecord{std::move(change), std::move(services)};
  return id;
}

// Marks a change ready: status and err follow its tasks, as Pebble's do.
void State::make_ready(pebble::Change& change) {
  std::string failures;
  for (auto& task : change.tasks) {
    if (task.status == "Error") {
      const std::string reason = task.log.empty() ? "failed" : task.log.back();
      const auto pos = reason.find(" ERROR ");
      failures += "\n- " + task.summary + " (" +
                  (pos == std::string::npos ? reason : reason.substr(pos + 7)) + ")";
    }
    if (!task.ready_time) task.ready_time = now_rfc3339();
  }
  change.ready = true;
  change.ready_time = now_rfc3339();
  if (failures.empty()) {
    change.status = "Done";
  } else {
    change.status = "Error";
    change.err = "cannot perform the following tasks:" + failures;
  }
  if (on_change_ready_) on_change_ready_();
}

std::optional<json> State::change_json(const std::string& id, bool& ready) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = changes_.find(id);
  if (it == changes_.end()) return std::nullopt;
  ready = it->second.change.ready;
  return json(it->second.change);
}

Response State::get_changes(const Request& request) {
  const std::string select = query_value(request, "select");
  const std::string service = query_value(request, "for");
  json result = json::array();
  for (const auto& [id, record] : changes_) {
    const bool ready = record.change.ready;
    if ((select.empty() || select == "in-progress") && ready) continue;
    if (select == "ready" && !ready) continue;
    if (!service.empty() && std::find(record.services.begin(), record.services.end(), service) ==
                                record.services.end()) {
      continue;
    }
    result.push_back(record.change);
  }
  return sync_response(result);
}

// --------------------------------------------------------------- services

Response State::get_services(const Request& request) {
  std::map<std::string, pebble::Service> services;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    services = plan_.services;
  }
  const auto names = split_commas(query_value(request, "names"));
  json result = json::array();
  for (const auto& [name, service] : services) {
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    pebble::ServiceInfo info{name,
                             service.startup == std::optional<std::string>("enabled")
                                 ? pebble::ServiceStartup::kEnabled
                                 : pebble::ServiceStartup::kDisabled,
                             services_->status(name)};
    result.push_back(info);
  }
  return sync_response(result);
}

std::vector<std::string> State::start_order(const std::vector<std::string>& names) const {
  // Closure over "requires", then a depth-first order over "after"/"before".
  std::set<std::string> wanted;
  std::function<void(const std::string&)> add = [&](const std::string& name) {
    if (!wanted.insert(name).second) return;
    auto it = plan_.services.find(name);
    if (it == plan_.services.end()) return;
    for (const auto& required : it->second.requires_) add(required);
  };
  for (const auto& name : names) add(name);
  std::map<std::string, std::set<std::string>> preceded_by;
  for (const auto& name : wanted) {
    const auto& service = plan_.services.at(name);
    for (const auto& other : service.after) {
      if (wanted.count(other)) preceded_by[name].insert(other);
    }
    for (const auto& other : service.before) {
      if (wanted.count(other)) preceded_by[other].insert(name);
    }
  }
  std::vector<std::string> order;
  std::set<std::string> visited;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (!visited.insert(name).second) return;  // also breaks cycles
    for (const auto& first : preceded_by[name]) visit(first);
    order.push_back(name);
  };
  for (const auto& name : wanted) visit(name);
  return order;
}

Response State::post_services(const Request& request) {
  const json body = parse_body(request);
  const std::string action = body.value("action", "");
  auto names = string_list(body, "services");
  for (const auto& name : names) {
    if (!plan_.services.count(name)) throw BadRequest{"service " + qstr(name) + " does not exist"};
  }
  std::vector<ServiceOp> ops;
  if (action == "start") {
    if (names.empty()) throw BadRequest{"must specify at least one service"};
    for (const auto& name : start_order(names)) ops.push_back({"start", name});
  } else if (action == "stop") {
    if (names.empty()) throw BadRequest{"must specify at least one service"};
    auto order = start_order(names);
    std::reverse(order.begin(), order.end());
    for (const auto& name : order) {
      if (std::find(names.begin(), names.end(), name) != names.end()) ops.push_back({"stop", name});
    }
  } else if (action == "restart") {
    if (names.empty()) throw BadRequest{"must specify at least one service"};
    auto order = start_order(names);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (services_->status(*it) == pebble::ServiceStatus::kActive) ops.push_back({"stop", *it});
    }
    for (const auto& name : order) ops.push_back({"start", name});
  } else if (action == "autostart" || action == "replan") {
    std::vector<std::string> enabled;
    for (const auto& [name, service] : plan_.services) {
      if (service.startup == std::optional<std::string>("enabled")) enabled.push_back(name);
    }
    if (action == "autostart" && enabled.empty()) {
      throw BadRequest{"no default services"};
    }
    std::vector<std::string> restart;
    if (action == "replan") {
      for (const auto& [name, service] : plan_.services) {
        auto started = started_with_.find(name);
        if (services_->status(name) == pebble::ServiceStatus::kActive &&
            started != started_with_.end() && !(started->second == service)) {
          restart.push_back(name);
        }
      }
      for (const auto& name : restart) ops.push_back({"stop", name});
    }
    for (const auto& name : start_order(enabled)) {
      const bool active = services_->status(name) == pebble::ServiceStatus::kActive;
      const bool restarting = std::find(restart.begin(), restart.end(), name) != restart.end();
      if (!active || restarting) ops.push_back({"start", name});
    }
    names = enabled;
  } else {
    throw BadRequest{"action " + qstr(action) + " is unsupported"};
  }
  std::vector<pebble::Task> tasks;
  for (const auto& op : ops) {
    pebble::Task task;
    task.kind = op.action;
    task.summary = capitalized(op.action) + " service " + qstr(op.name);
    tasks.push_back(std::move(task));
  }
  const std::string summary = capitalized(action) + " service" + (names.size() == 1 ? " " : "s ") +
                              service_list_text(names);
  const std::string id = new_change(action, summary, std::move(tasks), names);
  queue_.emplace_back(id, std::move(ops));
  queue_cv_.notify_one();
  return async_response(id);
}

void State::run_worker() {
  for (;;) {
    std::pair<std::string, std::vector<ServiceOp>> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    run_service_change(job.first, job.second);
  }
}

void State::run_service_change(const std::string& change_id, const std::vector<ServiceOp>& ops) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& op = ops[i];
    pebble::Service service;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      changes_[change_id].change.tasks[i].status = "Doing";
      auto it = plan_.services.find(op.name);
      if (it != plan_.services.end()) service = it->second;
    }
    std::string error;
    try {
      const auto status = services_->status(op.name);
      if (op.action == "start") {
        if (status == pebble::ServiceStatus::kActive) {
          throw std::runtime_error("service " + qstr(op.name) + " was previously started");
        }
        services_->start(op.name, service);
      } else {
        if (status != pebble::ServiceStatus::kActive) {
          throw std::runtime_error("service " + qstr(op.name) + " is not active");
        }
        services_->stop(op.name, service);
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto& task = changes_[change_id].change.tasks[i];
    task.ready_time = now_rfc3339();
    task.progress.done = 1;
    if (error.empty()) {
      task.status = "Done";
      if (op.action == "start") started_with_[op.name] = service;
    } else {
      task.status = "Error";
      task.log.push_back(now_rfc3339() + " ERROR " + error);
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  make_ready(changes_[change_id].change);
}

Response State::post_signals(const Request& request) {
  const json body = parse_body(request);
  const std::string name = body.value("signal", "");
  const int signum = signal_number(name);
  if (signum == 0) throw BadRequest{"cannot send signal " + qstr(name) + ": invalid signal name"};
  const auto names = string_list(body, "services");
  if (names.empty()) throw BadRequest{"must specify one or more services"};
  for (const auto& service : names) {
    if (!plan_.services.count(service) ||
        services_->status(service) != pebble::ServiceStatus::kActive) {
      throw BadRequest{"cannot send signal to " + qstr(service) + ": service is not running"};
    }
  }
  for (const auto& service : names) services_->signal(service, signum);
  return sync_response(true);
}

// ----------------------------------------------------------------- layers

Response State::post_layers(const Request& request) {
  const json body = parse_body(request);
  if (body.value("action", "") != "add") throw BadRequest{"layers action must be \"add\""};
  if (body.value("format", "yaml") != "yaml") throw BadRequest{"layer format must be \"yaml\""};
  const std::string label = body.value("label", "");
  if (label.empty()) throw BadRequest{"label must be set"};
  const bool combine = body.value("combine", false);
  pebble::Layer layer;
  try {
    layer = pebble::Layer::from_yaml(body.value("layer", ""));
  } catch (const pebble::Error& e) {
    throw BadRequest{std::string("cannot parse layer YAML: ") + e.what()};
  }
  auto check_override = [&](const std::optional<std::string>& override, const char* what,
                            const std::string& name) {
    if (!override || (*override != "merge" && *override != "replace")) {
      throw BadRequest{"layer " + qstr(label) + " must define \"override\" for " + what + " " +
                       qstr(name)};
    }
  };
  for (const auto& [name, s] : layer.services) check_override(s.override, "service", name);
  for (const auto& [name, c] : layer.checks) check_override(c.override, "check", name);
  for (const auto& [name, t] : layer.log_targets) check_override(t.override, "log target", name);

  auto layers = layers_;
  auto existing = std::find_if(layers.begin(), layers.end(),
                               [&](const auto& entry) { return entry.first == label; });
  if (existing != layers.end()) {
    if (!combine) throw BadRequest{"layer " + qstr(label) + " already exists"};
    existing->second.combine(layer);
  } else {
    layers.emplace_back(label, layer);
  }
  pebble::Layer combined;
  for (const auto& entry : layers) combined.combine(entry.second);
  for (const auto& [name, service] : combined.services) {
    if (!service.command || service.command->empty()) {
      throw BadRequest{"plan must define \"command\" for service " + qstr(name)};
    }
  }
  layers_ = std::move(layers);
  plan_ = pebble::Plan{combined.services, combined.checks, combined.log_targets};
  return sync_response(true);
}

// ------------------------------------------------------------------ files

namespace {

std::string host_path(const std::string& root, const std::string& path) {
  if (path.empty() || path.front() != '/') {
    throw PathFailure{"generic-file-error", "paths must be absolute, got " + qstr(path)};
  }
  return root + fs::path(path).lexically_normal().string();
}

std::string errno_text(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

PathFailure path_failure(const std::string& op, const std::string& path, int err) {
  const std::string kind = err == ENOENT                   ? "not-found"
                           : err == EACCES || err == EPERM ? "permission-denied"
                                                           : "generic-file-error";
  return PathFailure{kind, op + " " + path + ": " + errno_text(err)};
}

pebble::FileInfo stat_info(const std::string& host, const std::string& path) {
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) throw path_failure("stat", path, errno);
  pebble::FileInfo info;
  info.path = path;
  info.name = path == "/" ? "/" : fs::path(path).filename().string();
  if (S_ISREG(st.st_mode)) {
    info.type = pebble::FileType::kFile;
    info.size = static_cast<std::int64_t>(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    info.type = pebble::FileType::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = pebble::FileType::kSymlink;
  } else if (S_ISSOCK(st.st_mode)) {
    info.type = pebble::FileType::kSocket;
  } else if (S_ISFIFO(st.st_mode)) {
    info.type = pebble::FileType::kNamedPipe;
  } else {
    info.type = pebble::FileType::kDevice;
  }
  info.permissions = static_cast<int>(st.st_mode & 07777);
  info.last_modified = rfc3339(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  info.user_id = st.st_uid;
  info.group_id = st.st_gid;
  if (const passwd* pw = ::getpwuid(st.st_uid)) info.user = pw->pw_name;
  if (const group* gr = ::getgrgid(st.st_gid)) info.group = gr->gr_name;
  return info;
}

}  // namespace

Response State::get_files(const Request& request) {
  const std::string action = query_value(request, "action");
  const std::string path = query_value(request, "path");
  if (action == "read") {
    json item{{"path", path}};
    std::string content;
    bool ok = false;
    try {
      const std::string host = host_path(root_, path);
      struct stat st {};
      if (::stat(host.c_str(), &st) != 0) throw path_failure("stat", path, errno);
      if (!S_ISREG(st.st_mode)) {
        throw PathFailure{"generic-file-error", "can only read a regular file: " + qstr(path)};
      }
      std::ifstream in(host, std::ios::binary);
      if (!in) throw path_failure("open", path, errno);
      content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      ok = true;
    } catch (const PathFailure& failure) {
      item["error"] = {{"kind", failure.kind}, {"message", failure.message}};
    }
    ops::pebble::detail::MultipartWriter writer;
    if (ok) writer.add("files", path, "application/octet-stream", content);
    json envelope{
        {"type", "sync"}, {"status-code", 200}, {"status", "OK"}, {"result", json::array({item})}};
    writer.add("response", std::nullopt, "application/json", envelope.dump());
    Response response{200, writer.content_type(), writer.finish(), true};
    return response;
  }
  if (action == "list") {
    std::string host;
    try {
      host = host_path(root_, path);
      const auto self = stat_info(host, path);
      const std::string pattern = query_value(request, "pattern");
      const bool itself = query_value(request, "itself") == "true";
      std::vector<pebble::FileInfo> infos;
      if (self.type != pebble::FileType::kDirectory || itself) {
        infos.push_back(self);
      } else {
        for (const auto& entry : fs::directory_iterator(host)) {
          const std::string name = entry.path().filename().string();
          if (!pattern.empty() && ::fnmatch(pattern.c_str(), name.c_str(), 0) != 0) continue;
          const std::string child = (path == "/" ? "" : path) + "/" + name;
          infos.push_back(stat_info(entry.path().string(), child));
        }
        std::sort(infos.begin(), infos.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
      }
      json result = json::array();
      for (auto& info : infos) {
        auto owner = ownership_.find(info.path);
        if (owner != ownership_.end()) {
          if (owner->second.user_id) info.user_id = owner->second.user_id;
          if (owner->second.user) info.user = owner->second.user;
          if (owner->second.group_id) info.group_id = owner->second.group_id;
          if (owner->second.group) info.group = owner->second.group;
        }
        result.push_back(info);
      }
      return sync_response(result);
    } catch (const PathFailure& failure) {
      return error_response(failure.kind == "not-found" ? 404 : 400, failure.message, failure.kind);
    }
  }
  throw BadRequest{"invalid action " + qstr(action)};
}

Response State::post_files(const Request& request) {
  auto type = request.headers.find("content-type");
  if (type != request.headers.end() && type->second.rfind("multipart/", 0) == 0) {
    return write_files(request);
  }
  const json body = parse_body(request);
  const std::string action = body.value("action", "");
  json result = json::array();
  if (action == "make-dirs") {
    if (!body.contains("dirs") || !body["dirs"].is_array()) throw BadRequest{"must specify dirs"};
    for (const auto& dir : body["dirs"]) {
      const std::string path = dir.value("path", "");
      json item{{"path", path}};
      try {
        const std::string host = host_path(root_, path);
        const int mode = parse_permissions(dir, 0755);
        if (dir.value("make-parents", false)) {
          std::error_code ec;
          fs::create_directories(host, ec);
          if (ec) throw path_failure("mkdir", path, ec.value());
        } else if (::mkdir(host.c_str(), 0700) != 0) {
          throw path_failure("mkdir", path, errno);
        }
        ::chmod(host.c_str(), static_cast<mode_t>(mode));
        ownership_[path] = Ownership{optional_int(dir, "user-id"), optional_string(dir, "user"),
                                     optional_int(dir, "group-id"), optional_string(dir, "group")};
      } catch (const PathFailure& failure) {
        item["error"] = {{"kind", failure.kind}, {"message", failure.message}};
      }
      result.push_back(item);
    }
    return sync_response(result);
  }
  if (action == "remove") {
    if (!body.contains("paths") || !body["paths"].is_array()) {
      throw BadRequest{"must specify paths"};
    }
    for (const auto& entry : body["paths"]) {
      const std::string path = entry.value("path", "");
      json item{{"path", path}};
      try {
        const std::string host = host_path(root_, path);
        if (entry.value("recursive", false)) {
          std::error_code ec;
          fs::remove_all(host, ec);
          if (ec) throw path_failure("remove", path, ec.value());
        } else if (::remove(host.c_str()) != 0) {
          throw path_failure("remove", path, errno);
        }
        ownership_.erase(path);
      } catch (const PathFailure& failure) {
        item["error"] = {{"kind", failure.kind}, {"message", failure.message}};
      }
      result.push_back(item);
    }
    return sync_response(result);
  }
  throw BadRequest{"invalid action " + qstr(action)};
}

Response State::write_files(const Request& request) {
  std::vector<ops::pebble::detail::MultipartPart> parts;
  try {
    const auto boundary =
        ops::pebble::detail::multipart_boundary(request.headers.at("content-type"));
    parts = ops::pebble::detail::parse_multipart(request.body, boundary);
  } catch (const pebble::Error& e) {
    throw BadRequest{std::string("cannot parse multipart request: ") + e.what()};
  }
  if (parts.empty() || parts.front().name != "request") {
    throw BadRequest{"multipart request must start with a \"request\" part"};
  }
  const json req = json::parse(parts.front().body, nullptr, false);
  if (req.is_discarded() || req.value("action", "") != "write" || !req.contains("files") ||
      !req["files"].is_array()) {
    throw BadRequest{"multipart \"request\" must be a write action with files"};
  }
  json result = json::array();
  for (const auto& file : req["files"]) {
    const std::string path = file.value("path", "");
    json item{{"path", path}};
    try {
      const auto part = std::find_if(parts.begin(), parts.end(), [&](const auto& candidate) {
        return candidate.name == "files" && candidate.filename == path;
      });
      if (part == parts.end()) {
        throw PathFailure{"generic-file-error", "no file content for path " + qstr(path)};
      }
      const std::string host = host_path(root_, path);
      const int mode = parse_permissions(file, 0644);
      const fs::path parent = fs::path(host).parent_path();
      if (file.value("make-dirs", false)) {
        std::error_code ec;
        fs::create_directories(parent, ec);
        if (ec) throw path_failure("mkdir", fs::path(path).parent_path().string(), ec.value());
      }
      const std::string temp = host + ".pebble-tmp";
      const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) throw path_failure("open", path, errno);
      const std::string& data = part->body;
      std::size_t written = 0;
      while (written < data.size()) {
        const auto n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0) {
          const int err = errno;
          ::close(fd);
          ::unlink(temp.c_str());
          throw path_failure("write", path, err);
        }
        written += static_cast<std::size_t>(n);
      }
      ::fchmod(fd, static_cast<mode_t>(mode));
      ::close(fd);
      if (::rename(temp.c_str(), host.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw path_failure("rename", path, err);
      }
      ownership_[path] = Ownership{optional_int(file, "user-id"), optional_string(file, "user"),
                                   optional_int(file, "group-id"), optional_string(file, "group")};
    } catch (const PathFailure& failure) {
      item["error"] = {{"kind", failure.kind}, {"message", failure.message}};
    }
    result.push_back(item);
  }
  return sync_response(result);
}

// ------------------------------------------------------------------- exec

namespace {

bool is_executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::optional<std::string> find_executable(const std::string& name, const std::string& search) {
  if (name.find('/') != std::string::npos) {
    return is_executable(name) ? std::optional<std::string>(name) : std::nullopt;
  }
  for (const auto& dir : split_commas([&] {
         std::string s = search;
         std::replace(s.begin(), s.end(), ':', ',');
         return s;
       }())) {
    const std::string candidate = dir + "/" + name;
    if (is_executable(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace

Response State::post_exec(const Request& request, std::optional<ExecSpec>& exec) {
  const json body = parse_body(request);
  ExecSpec spec;
  spec.command = string_list(body, "command");
  if (spec.command.empty()) throw BadRequest{"must specify command"};
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  // With a service context, the service's environment and working directory
  // are the defaults; the request's own values win.
  std::optional<std::string> context_dir;
  if (auto context = optional_string(body, "service-context")) {
    auto service = plan_.services.find(*context);
    if (service == plan_.services.end()) {
      throw BadRequest{"cannot find service " + qstr(*context) + " for service context"};
    }
    for (const auto& [key, value] : service->second.environment) env[key] = value;
    context_dir = service->second.working_dir;
  }
  if (auto it = body.find("environment"); it != body.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) throw BadRequest{"environment values must be strings"};
      env[key] = value.get<std::string>();
    }
  }
  for (const auto& [key, value] : env) spec.environment.push_back(key + "=" + value);
  const auto working_dir = optional_string(body, "working-dir");
  spec.working_dir = working_dir ? *working_dir : context_dir.value_or(root_);
  if (!fs::is_directory(spec.working_dir)) {
    throw BadRequest{"cannot find working directory " + qstr(spec.working_dir)};
  }
  if (auto timeout = optional_string(body, "timeout")) {
    try {
      spec.timeout = pebble::parse_duration(*timeout);
    } catch (const pebble::Error& e) {
      throw BadRequest{std::string("invalid timeout: ") + e.what()};
    }
  }
  spec.split_stderr = body.value("split-stderr", false);
  const auto path = find_executable(spec.command.front(), env["PATH"]);
  if (!path) throw BadRequest{"cannot find executable " + qstr(spec.command.front())};
  spec.command.front() = *path;

  pebble::Task task;
  task.kind = "exec";
  task.summary = "Execute command " + qstr(fs::path(*path).filename().string());
  spec.change_id = new_change("exec", task.summary, {task}, {});
  spec.task_id = changes_[spec.change_id].change.tasks.front().id;
  const std::string task_id = spec.task_id;
  const std::string change_id = spec.change_id;
  exec = std::move(spec);
  return async_response(change_id, json{{"task-id", task_id}});
}

void State::exec_started(const std::string& change_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = changes_.find(change_id);
  if (it != changes_.end()) it->second.change.tasks.front().status = "Doing";
}

void State::exec_finished(const std::string& change_id, int exit_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = changes_.find(change_id);
  if (it == changes_.end() || it->second.change.ready) return;
  auto& task = it->second.change.tasks.front();
  task.progress.done = 1;
  task.data = {{"exit-code", exit_code}};
  if (it->second.change.status == "Abort") {
    task.status = "Error";
    task.log.push_back(now_rfc3339() + " ERROR task aborted");
  } else {
    task.status = "Done";
  }
  make_ready(it->second.change);
}

void State::exec_failed(const std::string& change_id, const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = changes_.find(change_id);
  if (it == changes_.end() || it->second.change.ready) return;
  auto& task = it->second.change.tasks.front();
  task.status = "Error";
  task.log.push_back(now_rfc3339() + " ERROR " + error);
  make_ready(it->second.change);
}

// ----------------------------------------------------------------- checks

Response State::get_checks(const Request& request) {
  const std::string level = query_value(request, "level");
  const auto names = split_commas(query_value(request, "names"));
  json result = json::array();
  for (const auto& [name, check] : plan_.checks) {
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    if (!level.empty() && check.level.value_or("") != level) continue;
    if (!checks_.count(name)) checks_[name].stopped = check.startup.value_or("") == "disabled";
    const auto& state = checks_[name];
    pebble::CheckInfo info;
    info.name = name;
    info.level = check.level == std::optional<std::string>("alive")   ? pebble::CheckLevel::kAlive
                 : check.level == std::optional<std::string>("ready") ? pebble::CheckLevel::kReady
                                                                      : pebble::CheckLevel::kUnset;
    info.startup = check.startup.value_or("enabled");
    info.status = state.stopped ? pebble::CheckStatus::kInactive : state.status;
    info.failures = state.failures;
    info.threshold = static_cast<int>(check.threshold.value_or(3));
    result.push_back(info);
  }
  return sync_response(result);
}

Response State::post_checks(const Request& request) {
  const json body = parse_body(request);
  const std::string action = body.value("action", "");
  if (action != "start" && action != "stop") {
    throw BadRequest{"action " + qstr(action) + " is unsupported"};
  }
  const auto names = string_list(body, "checks");
  if (names.empty()) throw BadRequest{"must specify checks for " + action + " action"};
  for (const auto& name : names) {
    if (!plan_.checks.count(name)) throw BadRequest{"cannot find check " + qstr(name)};
  }
  json changed = json::array();
  for (const auto& name : names) {
    auto& state = checks_[name];
    const bool stop = action == "stop";
    if (state.stopped != stop) {
      state.stopped = stop;
      if (!stop) state.status = pebble::CheckStatus::kUp;
      changed.push_back(name);
    }
  }
  return sync_response(json{{"changed", changed}});
}

void State::set_check_status(const std::string& name, pebble::CheckStatus status, int failures) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& state = checks_[name];
  state.status = status;
  state.failures = failures;
}

// ---------------------------------------------------- notices, warnings

Response State::post_notices(const Request& request) {
  const json body = parse_body(request);
  if (body.value("action", "") != "add") throw BadRequest{"action must be \"add\""};
  const std::string type = body.value("type", "");
  if (type != "custom")
    throw BadRequest{"invalid type " + qstr(type) + " (can only add \"custom\" notices)"};
  const std::string key = body.value("key", "");
  if (key.empty()) throw BadRequest{"key must be set"};
  std::map<std::string, std::string> data;
  if (auto it = body.find("data"); it != body.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) throw BadRequest{"data values must be strings"};
      data[k] = v.get<std::string>();
    }
  }
  const std::string now = now_rfc3339();
  for (auto& notice : notices_) {
    if (notice.type == type && notice.key == key) {
      notice.occurrences += 1;
      notice.last_occurred = now;
      notice.last_repeated = now;
      notice.last_data = data;
      return sync_response(json{{"id", notice.id}});
    }
  }
  pebble::Notice notice;
  notice.id = std::to_string(next_notice_++);
  notice.type = type;
  notice.key = key;
  notice.first_occurred = notice.last_occurred = notice.last_repeated = now;
  notice.occurrences = 1;
  notice.last_data = data;
  notice.repeat_after = optional_string(body, "repeat-after");
  notice.expire_after = "168h0m0s";
  notices_.push_back(notice);
  return sync_response(json{{"id", notice.id}});
}

Response State::get_notices(const Request& request) {
  const auto types = split_commas(query_value(request, "types"));
  const auto keys = split_commas(query_value(request, "keys"));
  const std::string after = query_value(request, "after");
  json result = json::array();
  for (const auto& notice : notices_) {
    if (!types.empty() && std::find(types.begin(), types.end(), notice.type) == types.end()) {
      continue;
    }
    if (!keys.empty() && std::find(keys.begin(), keys.end(), notice.key) == keys.end()) continue;
    if (!after.empty() && !(notice.last_repeated > after)) continue;
    result.push_back(notice);
  }
  return sync_response(result);
}

void State::add_warning(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string now = now_rfc3339();
  for (auto& w : warnings_) {
    if (w.warning.message == message) {
      w.warning.last_added = now;
      w.shown = false;
      return;
    }
  }
  warnings_.push_back(
      WarningRecord{{message, now, now, std::nullopt, "672h0m0s", "24h0m0s"}, false});
}

}  // namespace ops::pebble_server::detail

namespace ops::pebble_server {

// ------------------------------------------------ SimulatedServiceManager

void SimulatedServiceManager::start(const std::string& name, const pebble::Service&) {
  std::lock_guard<std::mutex> lock(mutex_);
  history_.push_back("start " + name);
  auto failure = start_failures_.find(name);
  if (failure != start_failures_.end()) {
    status_[name] = pebble::ServiceStatus::kError;
    throw std::runtime_error(failure->second);
  }
  status_[name] = pebble::ServiceStatus::kActive;
}

void SimulatedServiceManager::stop(const std::string& name, const pebble::Service&) {
  std::lock_guard<std::mutex> lock(mutex_);
  history_.push_back("stop " + name);
  status_[name] = pebble::ServiceStatus::kInactive;
}

pebble::ServiceStatus SimulatedServiceManager::status(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = status_.find(name);
  return it == status_.end() ? pebble::ServiceStatus::kInactive : it->second;
}

void SimulatedServiceManager::signal(const std::string& name, int signum) {
  std::lock_guard<std::mutex> lock(mutex_);
  const char* abbrev = sigabbrev_np(signum);
  history_.push_back("signal " + name + " SIG" +
                     (abbrev != nullptr ? abbrev : std::to_string(signum)));
}

void SimulatedServiceManager::set_start_failure(const std::string& name,
                                                const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (message.empty()) {
    start_failures_.erase(name);
  } else {
    start_failures_[name] = message;
  }
}

std::vector<std::string> SimulatedServiceManager::history() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return history_;
}

}  // namespace ops::pebble_server
