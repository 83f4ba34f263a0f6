// The Boost-free core of the Pebble server: the API's state (layers, plan,
// changes, files under the root, checks, notices, warnings) and the handlers
// of every endpoint that answers at once. The I/O side (pebble_server.cpp)
// parses HTTP, serves the websockets, runs exec'd commands and waits on
// changes; it calls into State for everything else. All members are
// thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pebble_server.hpp"

namespace ops::pebble_server::detail {

struct Request {
  std::string method;
  std::string path;                            // without the query
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool chunked = false;  // send with Transfer-Encoding: chunked
};

// A command POST /v1/exec accepted; the I/O side runs it.
struct ExecSpec {
  std::vector<std::string> command;
  std::vector<std::string> environment;  // "NAME=value", complete
  std::string working_dir;
  std::optional<pebble::Duration> timeout;
  bool split_stderr = true;
  std::string change_id;
  std::string task_id;
};

std::string status_text(int status);
Response sync_response(const nlohmann::json& result, int status = 200);
Response error_response(int status, const std::string& message, const std::string& kind = {});
// The current time as RFC 3339 text with microseconds, UTC.
std::string now_rfc3339();
// Go's short duration text: 1.5 s -> "1.5s".
std::string go_duration(pebble::Duration d);

class State {
 public:
  State(std::string root_dir, std::unique_ptr<ServiceManager> services, std::string version);
  ~State();

  // Answers every endpoint except change waits and websockets. A POST
  // /v1/exec that is accepted also fills `exec`.
  Response handle(const Request& request, std::optional<ExecSpec>& exec);

  // The change as JSON when it exists; sets `ready`.
  std::optional<nlohmann::json> change_json(const std::string& id, bool& ready);
  // Called (from any thread) whenever a change becomes ready.
  void set_on_change_ready(std::function<void()> callback);
  // Called, under the state's lock, when a client aborts an exec change; the
  // I/O side kills the command (the change then fails with "task aborted").
  void set_on_abort(std::function<void(const std::string& change_id)> callback);

  // Exec bookkeeping, called by the I/O side.
  void exec_started(const std::string& change_id);
  void exec_finished(const std::string& change_id, int exit_code);
  void exec_failed(const std::string& change_id, const std::string& error);

  ServiceManager& services() { return *services_; }
  void set_check_status(const std::string& name, pebble::CheckStatus status, int failures);
  void add_warning(const std::string& message);

 private:
  struct ChangeRecord {
    pebble::Change change;
    std::vector<std::string> services;  // for GET /v1/changes?for=
  };
  struct Ownership {
    std::optional<std::int64_t> user_id;
    std::optional<std::string> user;
    std::optional<std::int64_t> group_id;
    std::optional<std::string> group;
  };
  struct CheckState {
    pebble::CheckStatus status = pebble::CheckStatus::kUp;
    int failures = 0;
    bool stopped = false;
  };
  struct WarningRecord {
    pebble::Warning warning;
    bool shown = false;
  };
  struct ServiceOp {
    std::string action;  // "start" or "stop"
    std::string name;
  };

  Response handle_locked(const Request& request, std::optional<ExecSpec>& exec);
  Response get_services(const Request& request);
  Response post_services(const Request& request);
  Response post_layers(const Request& request);
  Response get_files(const Request& request);
  Response post_files(const Request& request);
  Response write_files(const Request& request);
  Response post_exec(const Request& request, std::optional<ExecSpec>& exec);
  Response post_signals(const Request& request);
  Response get_checks(const Request& request);
  Response post_checks(const Request& request);
  Response get_changes(const Request& request);
  Response post_notices(const Request& request);
  Response get_notices(const Request& request);

  std::string new_change(const std::string& kind, const std::string& summary,
                         std::vector<pebble::Task> tasks, std::vector<std::string> services);
  void make_ready(pebble::Change& change);
  void run_worker();
  void run_service_change(const std::string& change_id, const std::vector<ServiceOp>& ops);
  // Ordered names to start: the requested ones and what they require, each
  // after the services it must follow.
  std::vector<std::string> start_order(const std::vector<std::string>& names) const;

  const std::string root_;
  std::unique_ptr<ServiceManager> services_;
  const std::string version_;

  std::mutex mutex_;
  std::vector<std::pair<std::string, pebble::Layer>> layers_;
  pebble::Plan plan_;
  std::map<std::string, pebble::Service> started_with_;  // config at last start
  std::map<std::string, ChangeRecord> changes_;
  int next_change_ = 1;
  int next_task_ = 1;
  int next_notice_ = 1;
  std::map<std::string, Ownership> ownership_;  // by container path
  std::map<std::string, CheckState> checks_;
  std::vector<pebble::Notice> notices_;
  std::vector<WarningRecord> warnings_;
  std::function<void()> on_change_ready_;
  std::function<void(const std::string&)> on_abort_;

  // The worker runs service changes one at a time, off the I/O thread.
  std::deque<std::pair<std::string, std::vector<ServiceOp>>> queue_;
  std::condition_variable queue_cv_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace ops::pebble_server::detail
