// The in-memory Pebble: an in-process front of the shared Pebble model
// (layers, plan, service changes, checks, notices) and of the shared files
// API over a host directory, plus canned exec results.
#include "ops/testing/fake_pebble.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <istream>
#include <ostream>
#include <sstream>
#include <system_error>

#include "ops/detail/pebble_files.hpp"
#include "ops/detail/pebble_model.hpp"

namespace ops::testing {
namespace fs = std::filesystem;

class FakePebbleAccess {
 public:
  static pebble::detail::PebbleModel& model(FakePebble& pebble) { return *pebble.model_; }
  static pebble::detail::ContainerFiles& files(FakePebble& pebble) { return pebble.files(); }
};

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
  return pebble::detail::api_error(code, message);
}

bool starts_with(const std::vector<std::string>& command, const std::vector<std::string>& prefix) {
  if (prefix.size() > command.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), command.begin());
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

// A pebble::Client over a FakePebble: each call goes to the shared model
// or the shared files API, which raise what the HTTP client would.
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
                                          const std::string& service) override {
    check();
    return model().changes(select, service);
  }
  pebble::Change get_change(const std::string& change_id) override {
    check();
    return model().change(change_id);
  }
  pebble::Change abort_change(const std::string& change_id) override {
    pebble::Change change = get_change(change_id);
    if (change.ready) {
      throw api_error(400, "cannot abort change " + change_id + " with nothing pending");
    }
    return change;
  }
  pebble::Change wait_change(const std::string& change_id, pebble::Duration /*timeout*/) override {
    return get_change(change_id);
  }
  std::string autostart_services(pebble::Duration timeout) override {
    return wait_services("autostart", {}, timeout);
  }
  std::string replan_services(pebble::Duration timeout) override {
    return wait_services("replan", {}, timeout);
  }
  std::string start_services(const std::vector<std::string>& services,
                             pebble::Duration timeout) override {
    return wait_services("start", services, timeout);
  }
  std::string stop_services(const std::vector<std::string>& services,
                            pebble::Duration timeout) override {
    return wait_services("stop", services, timeout);
  }
  std::string restart_services(const std::vector<std::string>& services,
                               pebble::Duration timeout) override {
    return wait_services("restart", services, timeout);
  }
  std::vector<pebble::ServiceInfo> get_services(const std::vector<std::string>& names) override {
    check();
    std::vector<pebble::ServiceInfo> out;
    for (const auto& [name, service] : model().plan().services) {
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
    std::string content = files().read(path);
    if (content.size() > pebble::kMaxPullSize) throw pebble::detail::pull_too_large(path);
    return content;
  }
  void pull(const std::string& path, std::ostream& out) override {
    check();
    out << files().read(path);
  }

  void push(const std::string& path, std::string_view data,
            const pebble::PushOptions& options) override {
    check();
    files().write(path, data,
                  {options.make_dirs,
                   options.permissions ? pebble::detail::format_permissions(*options.permissions)
                                       : std::string(),
                   {options.user_id, options.user, options.group_id, options.group}});
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
    return files().list(path, options.pattern.value_or(""), options.itself);
  }

  void make_dir(const std::string& path, const pebble::MakeDirOptions& options) override {
    check();
    files().make_dir(path,
                     {options.make_parents,
                      options.permissions ? pebble::detail::format_permissions(*options.permissions)
                                          : std::string(),
                      {options.user_id, options.user, options.group_id, options.group}});
  }

  void remove_path(const std::string& path, bool recursive) override {
    check();
    files().remove(path, recursive);
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
    if (services.empty()) throw api_error(400, "must specify one or more services");
    const auto plan = pebble_.plan();
    for (const auto& name : services) {
      if (!plan.services.count(name) ||
          pebble_.service_status(name) != pebble::ServiceStatus::kActive) {
        throw api_error(400, "cannot send signal to \"" + name + "\": service is not running");
      }
    }
    static_cast<void>(signal);
  }

  std::vector<pebble::CheckInfo> get_checks(pebble::CheckLevel level,
                                            const std::vector<std::string>& names) override {
    check();
    return model().check_infos(level, names);
  }
  std::vector<std::string> start_checks(const std::vector<std::string>& names) override {
    check();
    return model().run_checks("start", names);
  }
  std::vector<std::string> stop_checks(const std::vector<std::string>& names) override {
    check();
    return model().run_checks("stop", names);
  }

  std::string notify(const std::string& type, const std::string& key,
                     const std::map<std::string, std::string>& data,
                     std::optional<pebble::Duration> repeat_after) override {
    check();
    return pebble_.record_notice(type, key, data, repeat_after).first;
  }
  pebble::Notice get_notice(const std::string& id) override {
    check();
    return model().notice(id);
  }
  std::vector<pebble::Notice> get_notices(const pebble::NoticesFilter& filter) override {
    check();
    return model().notices(filter.types, filter.keys, filter.after.value_or(""));
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

  pebble::detail::PebbleModel& model() { return FakePebbleAccess::model(pebble_); }
  pebble::detail::ContainerFiles& files() { return FakePebbleAccess::files(pebble_); }

  // A service action, as the real client does it: the change is waited for
  // (it is ready at once here) and a failed one raises ChangeError.
  std::string wait_services(const std::string& kind, const std::vector<std::string>& names,
                            pebble::Duration timeout) {
    check();
    std::string id = pebble_.change_services(kind, names);
    const pebble::Change& change = model().change(id);
    if (timeout.count() != 0 && change.err) throw pebble::ChangeError(*change.err, change);
    return id;
  }

  FakePebble& pebble_;
};

}  // namespace

FakePebble::FakePebble(std::string container_name)
    : name_(std::move(container_name)), model_(std::make_unique<pebble::detail::PebbleModel>()) {}

FakePebble::~FakePebble() {
  files_.reset();
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
  files_.reset();
  if (owns_root_ && root_) {
    std::error_code ec;
    fs::remove_all(*root_, ec);
  }
  root_ = std::move(root);
  owns_root_ = false;
}

pebble::detail::ContainerFiles& FakePebble::files() {
  if (!files_)
    files_ = std::make_unique<pebble::detail::ContainerFiles>(
        filesystem_root().string(), pebble::detail::UserDatabase::kContainer);
  return *files_;
}

const std::vector<std::pair<std::string, pebble::Layer>>& FakePebble::layers() const noexcept {
  return model_->layers();
}

const std::map<std::string, pebble::CheckInfo>& FakePebble::explicit_check_infos() const noexcept {
  return model_->explicit_check_infos();
}

const std::vector<pebble::Notice>& FakePebble::notices() const noexcept {
  return model_->notices();
}

const std::map<std::string, pebble::Change>& FakePebble::changes() const noexcept {
  return model_->all_changes();
}

fs::path FakePebble::host_path(const std::string& container_path) {
  if (container_path.empty() || container_path.front() != '/') {
    throw pebble::PathError("generic-file-error",
                            "paths must be absolute, got \"" + container_path + "\"");
  }
  return filesystem_root() / fs::path(container_path).relative_path();
}

void FakePebble::handle_exec(std::vector<std::string> prefix, ExecResult result) {
  handle_exec(std::move(prefix), [result = std::move(result)](const ExecArgs&) { return result; });
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
  model_->add_layer(label, layer, combine);
}

pebble::Plan FakePebble::plan() const { return model_->plan(); }

pebble::ServiceStatus FakePebble::service_status(const std::string& service) const {
  auto it = service_statuses_.find(service);
  return it == service_statuses_.end() ? pebble::ServiceStatus::kInactive : it->second;
}

void FakePebble::set_service_status(const std::string& service, pebble::ServiceStatus status) {
  service_statuses_[service] = status;
}

void FakePebble::set_check_info(pebble::CheckInfo info) { model_->set_check_info(std::move(info)); }

std::vector<pebble::CheckInfo> FakePebble::check_infos() const { return model_->check_infos(); }

std::pair<std::string, bool> FakePebble::record_notice(
    const std::string& type, const std::string& key, const std::map<std::string, std::string>& data,
    std::optional<pebble::Duration> repeat_after) {
  return model_->notify(type, key, data, repeat_after);
}

void FakePebble::add_notice(pebble::Notice notice) { model_->add_notice(std::move(notice)); }

std::string FakePebble::change_services(const std::string& kind,
                                        const std::vector<std::string>& names) {
  const auto plan = model_->plan_services(
      kind, names, [this](const std::string& name) { return service_status(name); });
  return model_->run_service_plan(plan, [this](const pebble::detail::ServiceOp& op) {
    auto skipped = pebble::detail::skipped_op(op, service_status(op.name));
    if (!skipped) {
      service_statuses_[op.name] =
          op.action == "start" ? pebble::ServiceStatus::kActive : pebble::ServiceStatus::kInactive;
    }
    return skipped;
  });
}

}  // namespace ops::testing
