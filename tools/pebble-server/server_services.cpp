// Services, layers and the plan, signals and changes of the Pebble server.
// The rules are the shared model's (ops/detail/pebble_model.hpp); service
// changes run on the worker thread through the ServiceManager.
#include <algorithm>
#include <csignal>
#include <cstring>

#include "server_state.hpp"

namespace ops::pebble_server::detail {

using nlohmann::json;
namespace model = ops::pebble::detail;

namespace {

int signal_number(std::string name) {
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  static const std::map<std::string, int> kSignals = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},  {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},  {"CONT", SIGCONT},
      {"STOP", SIGSTOP}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH}};
  auto it = kSignals.find(name);
  return it == kSignals.end() ? 0 : it->second;
}

}  // namespace

// ---------------------------------------------------------------- services

Response State::get_services(const Request& request) {
  std::map<std::string, pebble::Service> services;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    services = model_.plan().services;
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

Response State::post_services(const Request& request) {
  const json body = parse_body(request);
  const std::string action = body.value("action", "");
  const auto names = string_list(body, "services");
  const auto plan = model_.plan_services(
      action, names, [this](const std::string& name) { return services_->status(name); });
  const std::string id = model_.new_change(action, model::PebbleModel::service_summary(plan),
                                           model::PebbleModel::service_tasks(plan), plan.services);
  if (plan.ops.empty()) {
    if (on_change_ready_) on_change_ready_();
    return async_response(id);
  }
  queue_.emplace_back(id, plan.ops);
  queue_cv_.notify_one();
  return async_response(id);
}

void State::make_ready(pebble::Change& change) {
  model::PebbleModel::make_ready(change);
  if (on_change_ready_) on_change_ready_();
}

void State::run_worker() {
  for (;;) {
    std::pair<std::string, std::vector<model::ServiceOp>> job;
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

void State::run_service_change(const std::string& change_id,
                               const std::vector<model::ServiceOp>& ops) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& op = ops[i];
    pebble::Service service;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      model_.change(change_id).tasks[i].status = "Doing";
      auto it = model_.plan().services.find(op.name);
      if (it != model_.plan().services.end()) service = it->second;
    }
    std::string error;
    std::optional<std::string> note;
    try {
      note = model::skipped_op(op, services_->status(op.name));
      if (!note) {
        if (op.action == "start") {
          services_->start(op.name, service);
        } else {
          services_->stop(op.name, service);
        }
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto& task = model_.change(change_id).tasks[i];
    task.ready_time = now_rfc3339();
    task.progress.done = 1;
    if (error.empty()) {
      task.status = "Done";
      if (note) task.log.push_back(now_rfc3339() + " INFO " + *note);
      if (op.action == "start") {
        model_.service_started(op.name);
      } else {
        model_.service_stopped(op.name);
      }
    } else {
      task.status = "Error";
      task.log.push_back(now_rfc3339() + " ERROR " + error);
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  make_ready(model_.change(change_id));
}

Response State::post_signals(const Request& request) {
  const json body = parse_body(request);
  const std::string name = body.value("signal", "");
  const int signum = signal_number(name);
  if (signum == 0) {
    throw BadRequest{"cannot send signal " + model::go_quote(name) + ": invalid signal name"};
  }
  const auto names = string_list(body, "services");
  if (names.empty()) throw BadRequest{"must specify one or more services"};
  for (const auto& service : names) {
    if (!model_.plan().services.count(service) ||
        services_->status(service) != pebble::ServiceStatus::kActive) {
      throw BadRequest{"cannot send signal to " + model::go_quote(service) +
                       ": service is not running"};
    }
  }
  for (const auto& service : names) services_->signal(service, signum);
  return sync_response(true);
}

// ------------------------------------------------------------------ layers

Response State::post_layers(const Request& request) {
  const json body = parse_body(request);
  const std::string action = body.value("action", "");
  if (action != "add") throw BadRequest{"invalid action " + model::go_quote(action)};
  const std::string label = body.value("label", "");
  if (label.empty()) throw BadRequest{"label must be set"};
  const std::string format = body.value("format", "");
  if (format != "yaml") throw BadRequest{"invalid format " + model::go_quote(format)};
  model_.add_layer_yaml(label, body.value("layer", ""), body.value("combine", false));
  return sync_response(true);
}

Response State::get_plan(const Request& request) {
  const auto format = query_value(request, "format");
  if (format != "yaml") throw BadRequest{"invalid format " + model::go_quote(format)};
  return sync_response(model_.plan().to_yaml());
}

// ----------------------------------------------------------------- changes

Response State::get_changes(const Request& request) {
  const std::string select = query_value(request, "select");
  const auto state = select == "all"     ? pebble::ChangeState::kAll
                     : select == "ready" ? pebble::ChangeState::kReady
                                         : pebble::ChangeState::kInProgress;
  json result = json::array();
  for (const auto& change : model_.changes(state, query_value(request, "for"))) {
    result.push_back(change);
  }
  return sync_response(result);
}

Response State::change_endpoint(const Request& request) {
  const std::string id = request.path.substr(std::string("/v1/changes/").size());
  pebble::Change& change = model_.change(id);
  if (request.method == "GET") return sync_response(change);
  const json body = parse_body(request);
  if (body.value("action", "") != "abort") throw BadRequest{"change action must be \"abort\""};
  if (change.ready) throw BadRequest{"cannot abort change " + id + " with nothing pending"};
  change.status = "Abort";
  if (change.kind == "exec" && on_abort_) on_abort_(id);
  return sync_response(change);
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

namespace ops::pebble_server::detail {

std::optional<nlohmann::json> State::change_json(const std::string& id, bool& ready) {
  std::lock_guard<std::mutex> lock(mutex_);
  const pebble::Change* change = model_.find_change(id);
  if (change == nullptr) return std::nullopt;
  ready = change->ready;
  return nlohmann::json(*change);
}

}  // namespace ops::pebble_server::detail
