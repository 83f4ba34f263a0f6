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

#include "ops/detail/pebble_files.hpp"
#include "ops/detail/pebble_model.hpp"
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
  struct WarningRecord {
    pebble::Warning warning;
    bool shown = false;
  };

  Response handle_locked(const Request& request, std::optional<ExecSpec>& exec);
  // server_services.cpp: services, layers and plan, signals, changes.
  Response get_services(const Request& request);
  Response post_services(const Request& request);
  Response post_layers(const Request& request);
  Response get_plan(const Request& request);
  Response post_signals(const Request& request);
  Response get_changes(const Request& request);
  Response change_endpoint(const Request& request);
  // server_files.cpp
  Response get_files(const Request& request);
  Response post_files(const Request& request);
  Response write_files(const Request& request);
  // server_exec.cpp
  Response post_exec(const Request& request, std::optional<ExecSpec>& exec);
  // server_checks.cpp: checks, notices, warnings.
  Response get_checks(const Request& request);
  Response post_checks(const Request& request);
  Response post_notices(const Request& request);
  Response get_notices(const Request& request);
  Response get_notice(const Request& request);
  Response warnings_endpoint(const Request& request);

  void make_ready(pebble::Change& change);
  void run_worker();
  void run_service_change(const std::string& change_id,
                          const std::vector<pebble::detail::ServiceOp>& ops);

  const std::string root_;
  std::unique_ptr<ServiceManager> services_;
  const std::string version_;

  std::mutex mutex_;
  pebble::detail::PebbleModel model_;
  pebble::detail::ContainerFiles files_;
  std::vector<WarningRecord> warnings_;
  std::function<void()> on_change_ready_;
  std::function<void(const std::string&)> on_abort_;

  // The worker runs service changes one at a time, off the I/O thread.
  std::deque<std::pair<std::string, std::vector<pebble::detail::ServiceOp>>> queue_;
  std::condition_variable queue_cv_;
  bool stopping_ = false;
  std::thread worker_;
};

// Helpers shared by the State's source files.
// A request the client got wrong: answered with `status` and the message.
struct BadRequest {
  explicit BadRequest(std::string text, int code = 400, std::string error_kind = {})
      : message(std::move(text)), status(code), kind(std::move(error_kind)) {}
  std::string message;
  int status;
  std::string kind;
};
Response async_response(const std::string& change_id, const nlohmann::json& result = nullptr);
nlohmann::json parse_body(const Request& request);
std::vector<std::string> string_list(const nlohmann::json& body, const char* key);
std::vector<std::string> split_commas(const std::string& text);
std::string query_value(const Request& request, const std::string& key);
std::optional<std::int64_t> optional_int(const nlohmann::json& j, const char* key);
std::optional<std::string> optional_string(const nlohmann::json& j, const char* key);

}  // namespace ops::pebble_server::detail
