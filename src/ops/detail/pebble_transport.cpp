// HTTP/1.1 and websockets over a unix socket with Boost.Beast: the only
// translation unit of ops_pebble that includes Boost. Each operation runs as
// a coroutine on a private io_context bounded by run_for(), which is how a
// deadline applies to a whole exchange.
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "ops/detail/pebble_transport.hpp"
#include "ops/detail/strings.hpp"

// GCC 12 at -O2 takes the operator new/delete pair of Boost.Asio's coroutine
// frames (awaitable_frame_base, its thread-local recycling allocator) for a
// mismatched allocation: a false positive of -Wmismatched-new-delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace ops::pebble::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using stream_protocol = net::local::stream_protocol;
using WebSocket = websocket::stream<stream_protocol::socket>;

// Beast's own body limit is off: exchange() applies the caller's limit to a
// buffered body and none to a streamed one. (Boost 1.74's parser treats an
// unset limit as zero, so the largest value stands for "none".)
constexpr std::uint64_t kNoBeastBodyLimit = std::numeric_limits<std::uint64_t>::max();

// "8 MiB", "512 KiB" or "100 bytes".
std::string describe_size(std::uint64_t bytes) {
  constexpr std::uint64_t kKiB = 1024;
  constexpr std::uint64_t kMiB = kKiB * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

[[noreturn]] void throw_too_large(const std::string& what, std::uint64_t limit) {
  throw ProtocolError(what + ": response body exceeds the limit of " + describe_size(limit));
}

// Runs `awaitable` on `ioc` for at most `timeout`; rethrows what it threw.
void run_bounded(net::io_context& ioc, net::awaitable<void> awaitable, Duration timeout,
                 const std::string& what) {
  bool done = false;
  std::exception_ptr error;
  net::co_spawn(ioc, std::move(awaitable), [&](std::exception_ptr e) {
    done = true;
    error = std::move(e);
  });
  ioc.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
  if (!done) {
    ioc.stop();
    throw TimeoutError(what + " timed out after " + format_duration(timeout));
  }
  if (error) std::rethrow_exception(error);
}

// Translates an error of the socket layer into the pebble error hierarchy.
[[noreturn]] void rethrow_io(const boost::system::system_error& e, const std::string& what) {
  const auto& ec = e.code();
  if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    throw ProtocolError(what + ": malformed HTTP response: " + ec.message());
  }
  if (ec.category() == websocket::make_error_code(websocket::error::closed).category()) {
    throw ProtocolError(what + ": websocket error: " + ec.message());
  }
  throw ConnectionError(what + ": " + ec.message());
}

net::awaitable<void> connect_socket(stream_protocol::socket& socket, const std::string& path) {
  try {
    co_await socket.async_connect(stream_protocol::endpoint(path), net::use_awaitable);
  } catch (const boost::system::system_error& e) {
    throw ConnectionError("cannot connect to Pebble at " + path + ": " + e.code().message());
  }
}

net::awaitable<void> exchange(const std::string& socket_path, const HttpRequest& in,
                              HttpResponse& out, const BodyRouter* route, std::uint64_t max_body) {
  auto executor = co_await net::this_coro::executor;
  stream_protocol::socket socket(executor);
  co_await connect_socket(socket, socket_path);
  const std::string what = in.method + " " + in.target;
  try {
    http::request<http::string_body> request{http::string_to_verb(in.method), in.target, 11};
    request.set(http::field::host, "localhost");
    request.set(http::field::user_agent, "ops-cpp");
    for (const auto& [name, value] : in.headers) request.set(name, value);
    request.body() = in.body;
    request.prepare_payload();
    co_await http::async_write(socket, request, net::use_awaitable);

    // The head, then the body piece by piece through a fixed buffer: what
    // this holds at once is bounded whatever the server sends.
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(kNoBeastBodyLimit);
    parser.header_limit(64 * 1024);
    co_await http::async_read_header(socket, buffer, parser, net::use_awaitable);
    auto& response = parser.get();
    out.status = static_cast<int>(response.result_int());
    out.reason = std::string(response.reason());
    for (const auto& field : response) {
      out.headers[ops::detail::ascii_lower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    OutputSink sink = route != nullptr ? (*route)(out) : OutputSink();
    if (!sink) {
      if (const auto length = parser.content_length(); length && *length > max_body) {
        throw_too_large(what, max_body);
      }
    }
    std::vector<char> piece(kBodyPieceSize);
    while (!parser.is_done()) {
      response.body().data = piece.data();
      response.body().size = piece.size();
      beast::error_code ec;
      co_await http::async_read(socket, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
      if (ec && ec != http::error::need_buffer) throw boost::system::system_error(ec);
      const std::size_t n = piece.size() - response.body().size;
      if (n == 0) continue;
      const std::string_view bytes(piece.data(), n);
      if (sink) {
        sink(bytes);
      } else {
        if (out.body.size() + n > max_body) throw_too_large(what, max_body);
        out.body.append(bytes);
      }
    }
  } catch (const boost::system::system_error& e) {
    rethrow_io(e, what);
  }
}

class ExecChannelsImpl final : public ExecChannels {
 public:
  ExecChannelsImpl(const std::string& socket_path, const std::string& task_id, bool with_stderr,
                   Duration timeout) {
    run_bounded(ioc_, open_all(socket_path, task_id, with_stderr), timeout,
                "connecting to the websockets of task " + task_id);
    ioc_.restart();
  }

  ~ExecChannelsImpl() override {
    if (thread_.joinable()) {
      ioc_.stop();
      thread_.join();
    }
  }

  void start(std::string stdin_data, OutputSink on_stdout, OutputSink on_stderr) override {
    stdin_ = std::move(stdin_data);
    net::co_spawn(ioc_, write_input(), [this](const std::exception_ptr& e) { record(e); });
    net::co_spawn(ioc_, read_output(*stdio_, std::move(on_stdout)),
                  [this](const std::exception_ptr& e) { record(e); });
    if (stderr_) {
      net::co_spawn(ioc_, read_output(*stderr_, std::move(on_stderr)),
                    [this](const std::exception_ptr& e) { record(e); });
    }
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void send_signal(const std::string& signal) override {
    // Only the caller's thread touches the control websocket.
    std::lock_guard<std::mutex> lock(control_mutex_);
    const std::string message =
        nlohmann::json{{"command", "signal"}, {"signal", {{"name", signal}}}}.dump();
    beast::error_code ec;
    control_->text(true);
    control_->write(net::buffer(message), ec);
    if (ec) throw ConnectionError("cannot send signal " + signal + ": " + ec.message());
  }

  void join() override {
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (error_) {
      try {
        std::rethrow_exception(error_);
      } catch (const Error&) {
        throw;
      } catch (const boost::system::system_error& e) {
        throw ConnectionError("exec websocket failed: " + e.code().message());
      } catch (const std::exception& e) {
        throw ConnectionError(std::string("exec websocket failed: ") + e.what());
      }
    }
  }

 private:
  net::awaitable<void> open_one(std::unique_ptr<WebSocket>& ws, const std::string& socket_path,
                                const std::string& target) {
    ws = std::make_unique<WebSocket>(ioc_);
    co_await connect_socket(ws->next_layer(), socket_path);
    try {
      co_await ws->async_handshake("localhost", target, net::use_awaitable);
    } catch (const boost::system::system_error& e) {
      throw ProtocolError("websocket handshake for " + target + " failed: " + e.code().message());
    }
    ws->binary(true);
    ws->auto_fragment(false);
  }

  net::awaitable<void> open_all(std::string socket_path, std::string task_id, bool with_stderr) {
    const std::string base = "/v1/tasks/" + task_id + "/websocket/";
    co_await open_one(control_, socket_path, base + "control");
    co_await open_one(stdio_, socket_path, base + "stdio");
    if (with_stderr) co_await open_one(stderr_, socket_path, base + "stderr");
  }

  net::awaitable<void> write_input() {
    constexpr std::size_t kChunk = 64 * 1024;
    std::string_view rest = stdin_;
    while (!rest.empty()) {
      const auto n = std::min(kChunk, rest.size());
      stdio_->binary(true);
      co_await stdio_->async_write(net::buffer(rest.data(), n), net::use_awaitable);
      rest.remove_prefix(n);
    }
    stdio_->text(true);
    co_await stdio_->async_write(net::buffer(std::string_view(R"({"command":"end"})")),
                                 net::use_awaitable);
  }

  static net::awaitable<void> read_output(WebSocket& ws, OutputSink sink) {
    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      try {
        co_await ws.async_read(buffer, net::use_awaitable);
      } catch (const boost::system::system_error& e) {
        if (e.code() == websocket::error::closed) co_return;  // closed without "end"
        throw;
      }
      const auto data = buffer.cdata();
      std::string_view bytes(static_cast<const char*>(data.data()), data.size());
      if (!ws.got_text()) {
        if (sink) sink(bytes);
        continue;
      }
      const auto message = nlohmann::json::parse(bytes, nullptr, false);
      if (message.is_object() && message.value("command", "") == "end") co_return;
    }
  }

  void record(const std::exception_ptr& e) {
    if (!e) return;
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!error_) error_ = e;
  }

  net::io_context ioc_;
  std::unique_ptr<WebSocket> control_;
  std::unique_ptr<WebSocket> stdio_;
  std::unique_ptr<WebSocket> stderr_;
  std::string stdin_;
  std::thread thread_;
  std::mutex control_mutex_;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse http_request(const std::string& socket_path, const HttpRequest& request,
                          Duration timeout, std::uint64_t max_body) {
  net::io_context ioc;
  HttpResponse response;
  run_bounded(ioc, exchange(socket_path, request, response, nullptr, max_body), timeout,
              request.method + " " + request.target);
  return response;
}

HttpResponse http_request_streamed(const std::string& socket_path, const HttpRequest& request,
                                   Duration timeout, const BodyRouter& route,
                                   std::uint64_t max_body) {
  net::io_context ioc;
  HttpResponse response;
  run_bounded(ioc, exchange(socket_path, request, response, &route, max_body), timeout,
              request.method + " " + request.target);
  return response;
}

std::unique_ptr<ExecChannels> ExecChannels::connect(const std::string& socket_path,
                                                    const std::string& task_id, bool with_stderr,
                                                    Duration timeout) {
  return std::make_unique<ExecChannelsImpl>(socket_path, task_id, with_stderr, timeout);
}

}  // namespace ops::pebble::detail
