// The Pebble client's transport: HTTP/1.1 requests and the exec websockets
// over a unix socket. The interface is Boost-free; Boost.Beast lives only in
// pebble_transport.cpp. Failures throw the pebble errors: ConnectionError
// (cannot connect, connection lost), ProtocolError (not HTTP, not a
// websocket), TimeoutError (the deadline passed).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/pebble.hpp"

namespace ops::pebble::detail {

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // path and query, already escaped
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  // The header's value, or "" when absent; `name` in lower case.
  std::string header(const std::string& name) const;
};

// Sends one request on a new connection to `socket_path` and reads the whole
// response (chunked or not), all within `timeout`.
HttpResponse http_request(const std::string& socket_path, const HttpRequest& request,
                          Duration timeout);

// Receives output bytes of an exec'd command.
using OutputSink = std::function<void(std::string_view)>;

// The websockets of one exec task: control, stdio and (unless stderr is
// combined) stderr, at /v1/tasks/<task-id>/websocket/<name>.
class ExecChannels {
 public:
  // Connects every websocket of task `task_id` within `timeout`.
  static std::unique_ptr<ExecChannels> connect(const std::string& socket_path,
                                               const std::string& task_id, bool with_stderr,
                                               Duration timeout);
  virtual ~ExecChannels() = default;
  // Starts a background thread that sends `stdin_data` then end-of-input on
  // stdio, and feeds stdout/stderr to the sinks until Pebble ends them.
  virtual void start(std::string stdin_data, OutputSink on_stdout, OutputSink on_stderr) = 0;
  // Asks Pebble to send `signal` to the process (control websocket).
  virtual void send_signal(const std::string& signal) = 0;
  // Waits for the background thread; rethrows its failure as ConnectionError.
  virtual void join() = 0;
};

}  // namespace ops::pebble::detail
