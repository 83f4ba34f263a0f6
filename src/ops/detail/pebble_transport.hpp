// The Pebble client's transport: HTTP/1.1 requests and the exec websockets
// over a unix socket. The interface is Boost-free; Boost.Beast lives only in
// pebble_transport.cpp. Failures throw the pebble errors: ConnectionError
// (cannot connect, connection lost), ProtocolError (not HTTP, not a
// websocket, or a body over its limit), TimeoutError (the deadline passed).
#pragma once

#include <cstddef>
#include <cstdint>
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

// Receives bytes as they arrive: a response body, or output of an exec'd
// command.
using OutputSink = std::function<void(std::string_view)>;

// Sends one request on a new connection to `socket_path` and reads the whole
// response (chunked or not), all within `timeout`. A body longer than
// `max_body` bytes (announced by Content-Length or counted as it arrives)
// throws ProtocolError "<METHOD> <target>: response body exceeds the limit
// of N MiB" without reading further.
HttpResponse http_request(const std::string& socket_path, const HttpRequest& request,
                          Duration timeout, std::uint64_t max_body = kMaxJsonResponseSize);

// Chooses, once the status line and headers have arrived, where the body
// goes: a sink that receives it in pieces (of at most kBodyPieceSize bytes)
// as it arrives, or an empty function to buffer it in HttpResponse::body.
using BodyRouter = std::function<OutputSink(const HttpResponse& head)>;

// The largest piece of a body handed to a sink at once.
inline constexpr std::size_t kBodyPieceSize = 64 * 1024;

// As http_request, but a body routed to a sink is not buffered (nor
// limited): the response returned has an empty body.
HttpResponse http_request_streamed(const std::string& socket_path, const HttpRequest& request,
                                   Duration timeout, const BodyRouter& route,
                                   std::uint64_t max_body = kMaxJsonResponseSize);

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
