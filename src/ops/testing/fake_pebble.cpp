// The in-memory Pebble: layers, services, checks, notices, files under a
// host directory and canned exec results.
#include "ops/testing/fake_pebble.hpp"

#include <unistd.h>

#include <fnmatch.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>
#include <system_error>

namespace ops::testing {
namespace fs = std::filesystem;

std::string pebble_timestamp_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
      1000000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%s.%09lldZ", date, static_cast<long long>(nanos));
  return text;
}

namespace {

pebble::APIError api_error(int code, const std::string& message) {
  const std::string status = code == 404   ? "Not Found"
                             : code == 500 ? "Internal Server Error"
                                           : "Bad Request";
  nlohmann::json body = {{"type", "error"},
                         {"status-code", code},
                         {"status", status},
                         {"result", {{"message", message}}}};
  return pebble::APIError(std::move(body), code, status, message);
}

bool starts_with(const std::vector<std::string>& command, const std::vector<std::string>& prefix) {
  if (prefix.size() > command.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), command.begin());
}

pebble::FileType file_type_of(const fs::file_status& status) {
  switch (status.type()) {
    case fs::file_type::regular:
      return pebble::FileType::kFile;
    case fs::file_type::directory:
      return pebble::FileType::kDirectory;
    case fs::file_type::symlink:
      return pebble::FileType::kSymlink;
    case fs::file_type::socket:
      return pebble::FileType::kSocket;
    case fs::file_type::fifo:
      return pebble::FileType::kNamedPipe;
    case fs::file_type::block:
    case fs::file_type::character:
      return pebble::FileType::kDevice;
    default:
      return pebble::FileType::kUnknown;
  }
}

// The finished command of an exec() call.
class FakeExecProcess final : public pebble::ExecProcess {
 public:
  FakeExecProcess(std::vector<std::string> command, ExecResult result, bool combine_stderr,
                  std::ostream* out, std::ostream* err)
      : command_(std::move(command)),
        result_(std::move(result)),
        combine_(combine_stderr),
        out_(out),
        err_(err) {}

  pebble::ExecOutput wait_output() override {
    if (waited_) throw HarnessError("wait_output()/wait() may be called only once per exec()");
    waited_ = true;
    pebble::ExecOutput output;
    std::string stdout_text = result_.stdout_text;
    std::optional<std::string> stderr_text = result_.stderr_text;
    if (combine_) {
      stdout_text += result_.stderr_text;
      stderr_text.reset();
    }
    if (out_ != nullptr) {
      *out_ << stdout_text;
      stdout_text.clear();
    }
    if (err_ != nullptr && stderr_text) {
      *err_ << *stderr_text;
      stderr_text = std::string();
    }
    if (result_.exit_code != 0) {
      throw pebble::ExecError(command_, result_.exit_code, stdout_text, stderr_text);
    }
    output.stdout = std::move(stdout_text);
    output.stderr = std::move(stderr_text);
    return output;
  }

  void wait() override { wait_output(); }

  void send_signal(const std::string& /*signal*/) override {
    if (waited_) throw api_error(400, "cannot send signal: the command has finished");
  }

 private:
  std::vector<std::string> command_;
  ExecResult result_;
  bool combine_;
  std::ostream* out_;
  std::ostream* err_;
  bool waited_ = false;
};

// A pebble::Client over a FakePebble.
class FakeClient final : public pebble::Client {
 public:
  explicit FakeClient(FakePebble& pebble) : pebble_(pebble) {}

  pebble::SystemInfo get_system_info() override {
    check();
    return {"1.10.0"};
  }
  std::vector<pebble::Warning> get_warnings(pebble::WarningState /*select*/) override {
    check();
    return {};
  }
  int ack_warnings(const std::string& /*timestamp*/) override {
    check();
    return 0;
  }
  std::vector<pebble::Change> get_changes(pebble::ChangeState select,
                                          const std::string& /*service*/) override {
    check();
    std::vector<pebble::Change> out;
    for (const auto& [id, change] : pebble_.changes()) {
      if (select == pebble::ChangeState::kInProgress && change.ready) continue;
      if (select == pebble::ChangeState::kReady && !change.ready) continue;
      out.push_back(change);
    }
    return out;
  }
  pebble::Change get_change(const std::string& change_id) override {
    check();
    auto it = pebble_.changes().find(change_id);
    if (it == pebble_.changes().end()) {
      throw api_error(404, "cannot find change with id \"" + change_id + "\"");
    }
    return it->second;
  }
  pebble::Change abort_change(const std::string& change_id) override {
    pebble::Change change = get_change(change_id);
    throw api_error(400, "cannot abort change " + change_id + " with nothing pending");
  }
  pebble::Change wait_change(const std::string& change_id, pebble::Duration /*timeout*/) override {
    return get_change(change_id);
  }
  std::string autostart_services(pebble::Duration /*timeout*/) override {
    check();
    return pebble_.change_services("autostart", {});
  }
  std::string replan_services(pebble::Duration /*timeout*/) override {
    check();
    return pebble_.change_services("replan", {});
  }
  std::string start_services(const std::vector<std::string>& services,
                             pebble::Duration /*timeout*/) override {
    check();
    return pebble_.change_services("start", services);
  }
  std::string stop_services(const std::vector<std::string>& services,
                            pebble::Duration /*timeout*/) override {
    check();
    return pebble_.change_services("stop", services);
  }
  std::string restart_services(const std::vector<std::string>& services,
                               pebble::Duration /*timeout*/) override {
    check();
    return pebble_.change_services("restart", services);
  }
  std::vector<pebble::ServiceInfo> get_services(const std::vector<std::string>& names) override {
    check();
    std::vector<pebble::ServiceInfo> out;
    for (const auto& [name, service] : pebble_.plan().services) {
      if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
      pebble::ServiceInfo info;
      info.name = name;
      info.startup = service.startup == std::optional<std::string>("enabled")
                         ? pebble::ServiceStartup::kEnabled
                         : pebble::ServiceStartup::kDisabled;
      info.current = pebble_.service_status(name);
      out.push_back(std::move(info));
    }
    return out;
  }
  void add_layer(const std::string& label, const pebble::Layer& layer, bool combine) override {
    check();
    pebble_.add_layer(label, layer, combine);
  }
  pebble::Plan get_plan() override {
    check();
    return pebble_.plan();
  }

  std::string pull(const std::string& path) override {
    check();
    const fs::path host = pebble_.host_path(path);
    std::error_code ec;
    const auto status = fs::status(host, ec);
    if (ec || !fs::exists(status)) {
      throw pebble::PathError("not-found", "stat " + path + ": no such file or directory");
    }
    if (fs::is_directory(status)) {
      throw pebble::PathError("generic-file-error",
                              "can only read a regular file: \"" + path + "\"");
    }
    std::ifstream in(host, std::ios::binary);
    if (!in) throw pebble::PathError("permission-denied", "open " + path + ": permission denied");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void pull(const std::string& path, std::ostream& out) override { out << pull(path); }

  void push(const std::string& path, std::string_view data,
            const pebble::PushOptions& options) override {
    check();
    const fs::path host = pebble_.host_path(path);
    const fs::path parent = host.parent_path();
    std::error_code ec;
    if (!fs::is_directory(parent, ec)) {
      if (!options.make_dirs) {
        throw pebble::PathError(
            "not-found", "parent directory not found: " + fs::path(path).parent_path().string());
      }
      fs::create_directories(parent, ec);
      if (ec) throw pebble::PathError("generic-file-error", "mkdir: " + ec.message());
    }
    if (fs::is_directory(host, ec)) {
      throw pebble::PathError("generic-file-error", "open " + path + ": is a directory");
    }
    {
      std::ofstream out(host, std::ios::binary | std::ios::trunc);
      if (!out) throw pebble::PathError("permission-denied", "open " + path + ": cannot write");
      out.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    fs::permissions(host, static_cast<fs::perms>(options.permissions.value_or(0644)),
                    fs::perm_options::replace, ec);
  }
  void push(const std::string& path, std::istream& data,
            const pebble::PushOptions& options) override {
    std::ostringstream text;
    text << data.rdbuf();
    push(path, text.str(), options);
  }

  std::vector<pebble::FileInfo> list_files(const std::string& path,
                                           const pebble::ListFilesOptions& options) override {
    check();
    const fs::path host = pebble_.host_path(path);
    std::error_code ec;
    const auto status = fs::symlink_status(host, ec);
    if (ec || !fs::exists(status)) {
      throw pebble::PathError("not-found", "stat " + path + ": no such file or directory");
    }
    std::vector<pebble::FileInfo> out;
    auto describe = [&](const fs::path& entry, const std::string& container_path) {
      pebble::FileInfo info;
      info.path = container_path;
      info.name = fs::path(container_path).filename().string();
      if (info.name.empty()) info.name = "/";
      const auto entry_status = fs::symlink_status(entry);
      info.type = file_type_of(entry_status);
      if (info.type == pebble::FileType::kFile) {
        info.size = static_cast<std::int64_t>(fs::file_size(entry));
      }
      info.permissions = static_cast<int>(entry_status.permissions() & fs::perms::mask);
      info.last_modified = pebble_timestamp_now();
      info.user_id = static_cast<std::int64_t>(getuid());
      info.group_id = static_cast<std::int64_t>(getgid());
      return info;
    };
    if (options.itself || !fs::is_directory(status)) {
      out.push_back(describe(host, path));
      return out;
    }
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(host)) entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) {
      const std::string name = entry.filename().string();
      if (options.pattern && fnmatch(options.pattern->c_str(), name.c_str(), 0) != 0) continue;
      std::string container_path = path;
      if (container_path.empty() || container_path.back() != '/') container_path += '/';
      out.push_back(describe(entry, container_path + name));
    }
    return out;
  }

  void make_dir(const std::string& path, const pebble::MakeDirOptions& options) override {
    check();
    const fs::path host = pebble_.host_path(path);
    std::error_code ec;
    if (fs::exists(host, ec)) {
      if (options.make_parents && fs::is_directory(host)) return;
      throw pebble::PathError("generic-file-error", "mkdir " + path + ": file exists");
    }
    if (!fs::is_directory(host.parent_path(), ec) && !options.make_parents) {
      throw pebble::PathError("not-found", "mkdir " + path + ": no such file or directory");
    }
    fs::create_directories(host, ec);
    if (ec) throw pebble::PathError("generic-file-error", "mkdir " + path + ": " + ec.message());
    fs::permissions(host, static_cast<fs::perms>(options.permissions.value_or(0755)),
                    fs::perm_options::replace, ec);
  }

  void remove_path(const std::string& path, bool recursive) override {
    check();
    const fs::path host = pebble_.host_path(path);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(host, ec))) {
      if (recursive) return;  // Pebble: removing nothing recursively succeeds
      throw pebble::PathError("not-found", "remove " + path + ": no such file or directory");
    }
    if (recursive) {
      fs::remove_all(host, ec);
    } else if (fs::is_directory(host) && !fs::is_empty(host)) {
      throw pebble::PathError("generic-file-error", "remove " + path + ": directory not empty");
    } else {
      fs::remove(host, ec);
    }
    if (ec) throw pebble::PathError("generic-file-error", "remove " + path + ": " + ec.message());
  }

  std::unique_ptr<pebble::ExecProcess> exec(const std::vector<std::string>& command,
                                            const pebble::ExecOptions& options) override {
    check();
    if (command.empty()) throw api_error(400, "must specify command");
    ExecArgs args;
    args.container = pebble_.container_name();
    args.command = command;
    args.environment = options.environment;
    args.working_dir = options.working_dir;
    if (options.timeout) args.timeout_seconds = options.timeout->count();
    args.user_id = options.user_id;
    args.user = options.user;
    args.group_id = options.group_id;
    args.group = options.group;
    args.stdin_data = options.stdin_data;
    args.combine_stderr = options.combine_stderr;
    ExecResult result = pebble_.run_exec(args);
    return std::make_unique<FakeExecProcess>(command, std::move(result), options.combine_stderr,
                                             options.stdout_stream, options.stderr_stream);
  }

  void send_signal(const std::string& signal, const std::vector<std::string>& services) override {
    check();
    if (services.empty()) throw api_error(400, "must specify services");
    const auto plan = pebble_.plan();
    for (const auto& name : services) {
      if (!plan.services.count(name) ||
          pebble_.service_status(name) != pebble::ServiceStatus::kActive) {
        throw api_error(500, "cannot send signal to \"" + name + "\": service is not running");
      }
    }
    static_cast<void>(signal);
  }

  std::vector<pebble::CheckInfo> get_checks(pebble::CheckLevel level,
                                            const std::vector<std::string>& names) override {
    check();
    std::vector<pebble::CheckInfo> out;
    for (auto& info : pebble_.check_infos()) {
      if (level != pebble::CheckLevel::kUnset && info.level != level) continue;
      if (!names.empty() && std::find(names.begin(), names.end(), info.name) == names.end()) {
        continue;
      }
      out.push_back(std::move(info));
    }
    return out;
  }
  std::vector<std::string> start_checks(const std::vector<std::string>& names) override {
    return set_checks(names, pebble::CheckStatus::kUp);
  }
  std::vector<std::string> stop_checks(const std::vector<std::string>& names) override {
    return set_checks(names, pebble::CheckStatus::kInactive);
  }

  std::string notify(const std::string& type, const std::string& key,
                     const std::map<std::string, std::string>& data,
                     std::optional<pebble::Duration> repeat_after) override {
    check();
    return pebble_.record_notice(type, key, data, repeat_after).first;
  }
  pebble::Notice get_notice(const std::string& id) override {
    check();
    for (const auto& notice : pebble_.notices()) {
      if (notice.id == id) return notice;
    }
    throw api_error(404, "cannot find notice with id \"" + id + "\"");
  }
  std::vector<pebble::Notice> get_notices(const pebble::NoticesFilter& filter) override {
    check();
    std::vector<pebble::Notice> out;
    for (const auto& notice : pebble_.notices()) {
      if (!filter.types.empty() &&
          std::find(filter.types.begin(), filter.types.end(), notice.type) == filter.types.end()) {
        continue;
      }
      if (!filter.keys.empty() &&
          std::find(filter.keys.begin(), filter.keys.end(), notice.key) == filter.keys.end()) {
        continue;
      }
      if (filter.after && notice.last_repeated <= *filter.after) continue;
      out.push_back(notice);
    }
    return out;
  }

 private:
  void check() const {
    if (!pebble_.can_connect()) {
      throw pebble::ConnectionError("cannot connect to the Pebble of container '" +
                                    pebble_.container_name() +
                                    "' (the test has not made it reachable: set_can_connect or "
                                    "container_pebble_ready)");
    }
  }

  std::vector<std::string> set_checks(const std::vector<std::string>& names,
                                      pebble::CheckStatus status) {
    check();
    std::vector<std::string> changed;
    const auto infos = pebble_.check_infos();
    for (const auto& name : names) {
      auto it = std::find_if(infos.begin(), infos.end(),
                             [&](const pebble::CheckInfo& info) { return info.name == name; });
      if (it == infos.end()) throw api_error(400, "cannot find check \"" + name + "\"");
      if (it->status == status) continue;
      pebble::CheckInfo info = *it;
      info.status = status;
      pebble_.set_check_info(info);
      changed.push_back(name);
    }
    return changed;
  }

  FakePebble& pebble_;
};

}  // namespace

FakePebble::FakePebble(std::string container_name) : name_(std::move(container_name)) {}

FakePebble::~FakePebble() {
  if (owns_root_ && root_) {
    std::error_code ec;
    fs::remove_all(*root_, ec);
  }
}

std::unique_ptr<pebble::Client> FakePebble::client() { return std::make_unique<FakeClient>(*this); }

const fs::path& FakePebble::filesystem_root() {
  if (!root_) {
    std::string pattern = (fs::temp_directory_path() / "ops-testing-container-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw HarnessError("cannot make a temporary directory for container '" + name_ + "'");
    }
    root_ = fs::path(pattern);
    owns_root_ = true;
  }
  return *root_;
}

void FakePebble::set_filesystem_root(fs::path root) {
  if (!fs::is_directory(root)) {
    throw HarnessError("filesystem root " + root.string() + " of container '" + name_ +
                       "' is not a directory");
  }
  if (owns_root_ && root_) {
    std::error_code ec;
    fs::remove_all(*root_, ec);
  }
  root_ = std::move(root);
  owns_root_ = false;
}

fs::path FakePebble::host_path(const std::string& container_path) {
  if (container_path.empty() || container_path.front() != '/') {
    throw pebble::PathError("generic-file-error",
                            "paths must be absolute, got \"" + container_path + "\"");
  }
  return filesystem_root() / fs::path(container_path).relative_path();
}

void FakePebble::handle_exec(std::vector<std::string> prefix, ExecResult result) {
  handle_exec(std::move(prefix), [result](const ExecArgs&) { return result; });
}

void FakePebble::handle_exec(std::vector<std::string> prefix, ExecHandler handler) {
  for (auto& rule : exec_rules_) {
    if (rule.prefix == prefix) {
      rule.handler = std::move(handler);
      return;
    }
  }
  exec_rules_.push_back({std::move(prefix), std::move(handler)});
}

ExecResult FakePebble::run_exec(const ExecArgs& args) {
  exec_history_.push_back(args);
  const ExecRule* best = nullptr;
  for (const auto& rule : exec_rules_) {
    if (starts_with(args.command, rule.prefix) &&
        (best == nullptr || rule.prefix.size() > best->prefix.size())) {
      best = &rule;
    }
  }
  if (best == nullptr) {
    std::string text;
    for (const auto& word : args.command) text += (text.empty() ? "" : " ") + word;
    throw HarnessError("no exec result registered for command \"" + text + "\" in container '" +
                       name_ + "' (register one with handle_exec)");
  }
  return best->handler(args);
}

void FakePebble::add_layer(const std::string& label, const pebble::Layer& layer, bool combine) {
  for (const auto& [name, service] : layer.services) {
    if (service.override != std::optional<std::string>("merge") &&
        service.override != std::optional<std::string>("replace")) {
      throw api_error(
          400, "layer \"" + label + "\" must define \"override\" for service \"" + name + "\"");
    }
  }
  for (auto& [existing_label, existing] : layers_) {
    if (existing_label != label) continue;
    if (!combine) throw api_error(400, "layer \"" + label + "\" already exists");
    existing.combine(layer);
    return;
  }
  layers_.emplace_back(label, layer);
}

pebble::Plan FakePebble::plan() const {
  pebble::Layer combined;
  for (const auto& [label, layer] : layers_) combined.combine(layer);
  pebble::Plan plan;
  plan.services = std::move(combined.services);
  plan.checks = std::move(combined.checks);
  plan.log_targets = std::move(combined.log_targets);
  return plan;
}

pebble::ServiceStatus FakePebble::service_status(const std::string& service) const {
  auto it = service_statuses_.find(service);
  return it == service_statuses_.end() ? pebble::ServiceStatus::kInactive : it->second;
}

void FakePebble::set_service_status(const std::string& service, pebble::ServiceStatus status) {
  service_statuses_[service] = status;
}

void FakePebble::set_check_info(pebble::CheckInfo info) {
  std::string name = info.name;
  checks_[name] = std::move(info);
}

std::vector<pebble::CheckInfo> FakePebble::check_infos() const {
  std::map<std::string, pebble::CheckInfo> all = checks_;
  for (const auto& [name, check] : plan().checks) {
    if (all.count(name)) continue;
    pebble::CheckInfo info;
    info.name = name;
    info.level = check.level == std::optional<std::string>("alive")   ? pebble::CheckLevel::kAlive
                 : check.level == std::optional<std::string>("ready") ? pebble::CheckLevel::kReady
                                                                      : pebble::CheckLevel::kUnset;
    info.startup = check.startup.value_or("enabled");
    info.status = pebble::CheckStatus::kUp;
    info.threshold = static_cast<int>(check.threshold.value_or(3));
    all.emplace(name, std::move(info));
  }
  std::vector<pebble::CheckInfo> out;
  for (auto& [name, info] : all) out.push_back(std::move(info));
  return out;
}

std::pair<std::string, bool> FakePebble::record_notice(
    const std::string& type, const std::string& key, const std::map<std::string, std::string>& data,
    std::optional<pebble::Duration> repeat_after) {
  const std::string now = pebble_timestamp_now();
  for (auto& notice : notices_) {
    if (notice.type != type || notice.key != key) continue;
    ++notice.occurrences;
    notice.last_occurred = now;
    notice.last_data = data;
    // A repeat only counts (and fires an event) when repeat_after has passed;
    // the timestamps here are too coarse to measure that, so a repeat_after
    // means "not repeated yet".
    const bool repeated = !repeat_after.has_value();
    if (repeated) notice.last_repeated = now;
    if (repeat_after) notice.repeat_after = pebble::format_duration(*repeat_after);
    return {notice.id, repeated};
  }
  pebble::Notice notice;
  notice.id = std::to_string(notices_.size() + 1);
  notice.type = type;
  notice.key = key;
  notice.first_occurred = notice.last_occurred = notice.last_repeated = now;
  notice.occurrences = 1;
  notice.last_data = data;
  if (repeat_after) notice.repeat_after = pebble::format_duration(*repeat_after);
  notices_.push_back(notice);
  return {notice.id, true};
}

void FakePebble::add_notice(pebble::Notice notice) { notices_.push_back(std::move(notice)); }

std::string FakePebble::change_services(const std::string& kind,
                                        const std::vector<std::string>& names) {
  const pebble::Plan current = plan();
  std::vector<std::string> targets;
  if (kind == "autostart" || kind == "replan") {
    for (const auto& [name, service] : current.services) {
      if (service.startup == std::optional<std::string>("enabled")) targets.push_back(name);
    }
  } else {
    if (names.empty()) throw api_error(400, "no services specified for " + kind);
    for (const auto& name : names) {
      if (!current.services.count(name)) {
        throw api_error(400,
                        "cannot " + kind + " services: service \"" + name + "\" does not exist");
      }
    }
    targets = names;
  }
  const auto status =
      kind == "stop" ? pebble::ServiceStatus::kInactive : pebble::ServiceStatus::kActive;
  for (const auto& name : targets) service_statuses_[name] = status;

  pebble::Change change;
  change.id = std::to_string(++last_change_);
  change.kind = kind;
  change.summary = kind + " service(s)";
  change.status = "Done";
  change.ready = true;
  change.spawn_time = pebble_timestamp_now();
  change.ready_time = change.spawn_time;
  changes_.emplace(change.id, change);
  return change.id;
}

}  // namespace ops::testing
