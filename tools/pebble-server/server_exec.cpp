// POST /v1/exec of the Pebble server: the request checked and turned into an
// ExecSpec that the I/O side runs, and the exec change's bookkeeping.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "server_state.hpp"

extern char** environ;

namespace ops::pebble_server::detail {

namespace fs = std::filesystem;
using nlohmann::json;
namespace model = ops::pebble::detail;

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
    auto service = model_.plan().services.find(*context);
    if (service == model_.plan().services.end()) {
      throw BadRequest{"cannot find service " + model::go_quote(*context) + " for service context"};
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
    throw BadRequest{"cannot find working directory " + model::go_quote(spec.working_dir)};
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
  if (!path) throw BadRequest{"cannot find executable " + model::go_quote(spec.command.front())};
  spec.command.front() = *path;

  pebble::Task task;
  task.kind = "exec";
  task.summary = "Execute command " + model::go_quote(fs::path(*path).filename().string());
  spec.change_id = model_.new_change("exec", task.summary, {task}, {});
  spec.task_id = model_.change(spec.change_id).tasks.front().id;
  const std::string task_id = spec.task_id;
  const std::string change_id = spec.change_id;
  exec = std::move(spec);
  return async_response(change_id, json{{"task-id", task_id}});
}

void State::exec_started(const std::string& change_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (model_.find_change(change_id) != nullptr) {
    model_.change(change_id).tasks.front().status = "Doing";
  }
}

void State::exec_finished(const std::string& change_id, int exit_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (model_.find_change(change_id) == nullptr) return;
  auto& change = model_.change(change_id);
  if (change.ready) return;
  auto& task = change.tasks.front();
  task.progress.done = 1;
  task.data = {{"exit-code", exit_code}};
  if (change.status == "Abort") {
    task.status = "Error";
    task.log.push_back(now_rfc3339() + " ERROR task aborted");
  } else {
    task.status = "Done";
  }
  make_ready(change);
}

void State::exec_failed(const std::string& change_id, const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (model_.find_change(change_id) == nullptr) return;
  auto& change = model_.change(change_id);
  if (change.ready) return;
  auto& task = change.tasks.front();
  task.status = "Error";
  task.log.push_back(now_rfc3339() + " ERROR " + error);
  make_ready(change);
}

}  // namespace ops::pebble_server::detail
