// The Pebble server's I/O: HTTP over the unix socket, change waits, the exec
// websockets and the processes exec runs. Everything runs as coroutines on
// one io_context thread; the State (server_state.cpp) holds the API's data.
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "pebble_server.hpp"
#include "server_state.hpp"

namespace ops::pebble_server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using stream_protocol = net::local::stream_protocol;
using WebSocket = websocket::stream<stream_protocol::socket>;
using net::use_awaitable;

// Largest HTTP body accepted. (Boost 1.74's parser treats an unset limit as
// zero, so a limit is always set.)
constexpr std::uint64_t kBodyLimit = std::uint64_t{1} << 32;
using nlohmann::json;

// How long an exec waits for its websockets before failing.
constexpr std::chrono::seconds kWebsocketWait{10};
// A change wait without a timeout parameter ends after this.
constexpr std::chrono::hours kLongestWait{24};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

detail::Request to_request(const http::request<http::string_body>& in) {
  detail::Request out;
  out.method = std::string(in.method_string());
  const std::string target(in.target());
  const auto question = target.find('?');
  out.path = percent_decode(target.substr(0, question));
  if (question != std::string::npos) {
    std::string_view query = std::string_view(target).substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const auto pair = query.substr(0, amp);
      const auto eq = pair.find('=');
      if (!pair.empty()) {
        out.query[percent_decode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = in.body();
  return out;
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

struct Pipe {
  int read = -1;
  int write = -1;
  void open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Pipe() {
    close_fd(read);
    close_fd(write);
  }
};

}  // namespace

// One exec'd command and its websockets. Shared by the coroutines serving it.
class ExecSession : public std::enable_shared_from_this<ExecSession> {
 public:
  ExecSession(Server::Impl& impl, detail::ExecSpec spec);
  void arm_connect_timeout();
  net::awaitable<void> attach(const std::string& name, std::unique_ptr<WebSocket> ws);
  void kill_now();
  pid_t pid() const { return pid_; }
  const std::string& change_id() const { return spec_.change_id; }

 private:
  bool all_connected() const { return control_ && stdio_ && (!spec_.split_stderr || stderr_ws_); }
  void launch();
  net::awaitable<void> pump_input();
  net::awaitable<void> pump_output(net::posix::stream_descriptor& pipe, WebSocket& ws);
  net::awaitable<void> read_control();
  net::awaitable<void> reap();
  void output_done();
  void maybe_finish();
  void fail(const std::string& error);

  Server::Impl& impl_;
  detail::ExecSpec spec_;
  std::unique_ptr<WebSocket> control_;
  std::unique_ptr<WebSocket> stdio_;
  std::unique_ptr<WebSocket> stderr_ws_;
  std::unique_ptr<net::posix::stream_descriptor> stdin_;
  std::unique_ptr<net::posix::stream_descriptor> stdout_;
  std::unique_ptr<net::posix::stream_descriptor> stderr_;
  net::steady_timer connect_timer_;
  net::steady_timer timeout_timer_;
  pid_t pid_ = -1;
  bool launched_ = false;
  bool exited_ = false;
  bool timed_out_ = false;
  bool finished_ = false;
  int exit_code_ = -1;
  int outputs_left_ = 0;
};

struct Server::Impl {
  explicit Impl(ServerOptions options)
      : socket_path(options.socket_path),
        exec_prefix(std::move(options.exec_prefix)),
        state(options.root_dir, std::move(options.services), options.version),
        ioc(1),
        acceptor(ioc) {
    namespace fs = std::filesystem;
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe or socket is an error code, not a death
    const fs::path path(socket_path);
    if (path.has_parent_path()) fs::create_directories(path.parent_path());
    struct stat st {};
    if (::lstat(socket_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      ::unlink(socket_path.c_str());
    }
    try {
      acceptor.open();
      acceptor.bind(stream_protocol::endpoint(socket_path));
      acceptor.listen();
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("pebble-server: cannot listen on " + socket_path + ": " +
                               e.code().message());
    }
    state.set_on_change_ready([this] { net::post(ioc, [this] { wake_waiters(); }); });
    state.set_on_abort([this](const std::string& change_id) {
      net::post(ioc, [this, change_id] {
        for (auto& [task_id, session] : execs) {
          if (session->change_id() == change_id) session->kill_now();
        }
      });
    });
    net::co_spawn(ioc, accept_loop(), net::detached);
  }

  ~Impl() {
    state.set_on_change_ready(nullptr);
    state.set_on_abort(nullptr);
    for (auto& [task_id, session] : execs) session->kill_now();
    for (pid_t pid : children) {
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    ::unlink(socket_path.c_str());
  }

  void wake_waiters() {
    for (auto* timer : waiters) timer->cancel();
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      stream_protocol::socket socket(ioc);
      boost::system::error_code ec;
      co_await acceptor.async_accept(socket, net::redirect_error(use_awaitable, ec));
      if (ec == net::error::operation_aborted) co_return;
      if (ec) continue;
      net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> session(stream_protocol::socket socket) {
    beast::flat_buffer buffer;
    try {
      for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(kBodyLimit);
        co_await http::async_read(socket, buffer, parser, use_awaitable);
        auto request = parser.release();
        if (websocket::is_upgrade(request)) {
          co_await upgrade(std::move(socket), std::move(request));
          co_return;
        }
        const detail::Response answer = co_await dispatch(request);
        http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
        response.set(http::field::content_type, answer.content_type);
        response.set(http::field::server, "ops-cpp-pebble-server");
        response.keep_alive(request.keep_alive());
        response.body() = answer.body;
        if (answer.chunked) {
          response.chunked(true);
        } else {
          response.prepare_payload();
        }
        co_await http::async_write(socket, response, use_awaitable);
        if (!request.keep_alive()) break;
      }
    } catch (const boost::system::system_error& e) {
      // The client went away or sent garbage: drop the connection.
      const auto& ec = e.code();
      if (ec != http::error::end_of_stream && ec != net::error::eof &&
          ec != net::error::connection_reset && ec != net::error::broken_pipe) {
        std::fprintf(stderr, "pebble-server: dropping a connection: %s\n", ec.message().c_str());
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "pebble-server: dropping a connection: %s\n", e.what());
    }
    boost::system::error_code ignored;
    socket.shutdown(stream_protocol::socket::shutdown_both, ignored);
  }

  net::awaitable<detail::Response> dispatch(const http::request<http::string_body>& in) {
    detail::Request request = to_request(in);
    const std::string prefix = "/v1/changes/";
    const std::string suffix = "/wait";
    if (request.method == "GET" && request.path.rfind(prefix, 0) == 0 &&
        request.path.size() > prefix.size() + suffix.size() &&
        request.path.compare(request.path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string id =
          request.path.substr(prefix.size(), request.path.size() - prefix.size() - suffix.size());
      co_return co_await wait_change(id, request);
    }
    std::optional<detail::ExecSpec> exec;
    detail::Response response = state.handle(request, exec);
    if (exec) {
      const std::string task_id = exec->task_id;
      auto session = std::make_shared<ExecSession>(*this, std::move(*exec));
      execs[task_id] = session;
      session->arm_connect_timeout();
    }
    co_return response;
  }

  net::awaitable<detail::Response> wait_change(const std::string& id,
                                               const detail::Request& request) {
    auto deadline = std::chrono::steady_clock::now() + kLongestWait;
    pebble::Duration timeout{0};
    if (auto it = request.query.find("timeout"); it != request.query.end()) {
      try {
        timeout = pebble::parse_duration(it->second);
      } catch (const pebble::Error& e) {
        co_return detail::error_response(400, std::string("invalid timeout: ") + e.what());
      }
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    }
    net::steady_timer timer(ioc);
    waiters.insert(&timer);
    struct Unregister {
      std::set<net::steady_timer*>& set;
      net::steady_timer* timer;
      ~Unregister() { set.erase(timer); }
    } unregister{waiters, &timer};
    for (;;) {
      bool ready = false;
      auto change = state.change_json(id, ready);
      if (!change)
        co_return detail::error_response(404, "cannot find change with id \"" + id + "\"");
      if (ready) co_return detail::sync_response(*change);
      if (std::chrono::steady_clock::now() >= deadline) {
        co_return detail::error_response(
            504, "timed out waiting for change after " + detail::go_duration(timeout));
      }
      timer.expires_at(deadline);
      boost::system::error_code ec;
      co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
    }
  }

  net::awaitable<void> upgrade(stream_protocol::socket socket,
                               http::request<http::string_body> request) {
    // /v1/tasks/<task-id>/websocket/<name>
    const detail::Request parsed = to_request(request);
    const std::string prefix = "/v1/tasks/";
    const std::string middle = "/websocket/";
    std::string task_id;
    std::string name;
    if (parsed.path.rfind(prefix, 0) == 0) {
      const auto pos = parsed.path.find(middle, prefix.size());
      if (pos != std::string::npos) {
        task_id = parsed.path.substr(prefix.size(), pos - prefix.size());
        name = parsed.path.substr(pos + middle.size());
      }
    }
    auto it = execs.find(task_id);
    if (it == execs.end() || (name != "control" && name != "stdio" && name != "stderr")) {
      const auto answer = detail::error_response(404, "cannot find websocket " + parsed.path);
      http::response<http::string_body> response{http::status::not_found, 11};
      response.set(http::field::content_type, answer.content_type);
      response.body() = answer.body;
      response.prepare_payload();
      co_await http::async_write(socket, response, use_awaitable);
      co_return;
    }
    auto session = it->second;
    auto ws = std::make_unique<WebSocket>(std::move(socket));
    co_await ws->async_accept(request, use_awaitable);
    co_await session->attach(name, std::move(ws));
  }

  std::string socket_path;
  std::vector<std::string> exec_prefix;  // see ServerOptions
  detail::State state;
  // Declared before ioc: the coroutines ioc destroys at the end still refer
  // to these. ~Server empties execs first, while ioc is alive.
  std::set<net::steady_timer*> waiters;                       // I/O thread only
  std::map<std::string, std::shared_ptr<ExecSession>> execs;  // by task id; I/O thread only
  std::set<pid_t> children;                                   // not yet reaped
  net::io_context ioc;
  stream_protocol::acceptor acceptor;
  std::thread thread;
};

// ---------------------------------------------------------------- ExecSession

ExecSession::ExecSession(Server::Impl& impl, detail::ExecSpec spec)
    : impl_(impl), spec_(std::move(spec)), connect_timer_(impl.ioc), timeout_timer_(impl.ioc) {}

void ExecSession::arm_connect_timeout() {
  connect_timer_.expires_after(kWebsocketWait);
  connect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->launched_) return;
    self->fail("timed out waiting for websocket connections");
  });
}

net::awaitable<void> ExecSession::attach(const std::string& name, std::unique_ptr<WebSocket> ws) {
  if (launched_ || finished_) co_return;  // a late or duplicate connection
  auto& slot = name == "control" ? control_ : name == "stdio" ? stdio_ : stderr_ws_;
  slot = std::move(ws);
  if (all_connected()) launch();
}

void ExecSession::fail(const std::string& error) {
  if (finished_) return;
  finished_ = true;
  impl_.state.exec_failed(spec_.change_id, error);
  impl_.execs.erase(spec_.task_id);
}

void ExecSession::launch() {
  launched_ = true;
  connect_timer_.cancel();
  Pipe in;
  Pipe out;
  Pipe err;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  try {
    in.open();
    out.open();
    if (spec_.split_stderr) err.open();
  } catch (const std::exception& e) {
    fail(std::string("cannot create pipes: ") + e.what());
    return;
  }
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, spec_.split_stderr ? err.write : out.write, 2);
  posix_spawn_file_actions_addchdir_np(&actions, spec_.working_dir.c_str());
  // Only the standard streams: not the server's sockets or other pipes.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> command = impl_.exec_prefix;
  command.insert(command.end(), spec_.command.begin(), spec_.command.end());
  std::vector<char*> argv;
  for (auto& arg : command) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : spec_.environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    fail("cannot start " + spec_.command.front() + ": " + std::strerror(rc));
    return;
  }
  impl_.children.insert(pid_);
  impl_.state.exec_started(spec_.change_id);
  Pipe::close_fd(in.read);
  Pipe::close_fd(out.write);
  Pipe::close_fd(err.write);
  stdin_ = std::make_unique<net::posix::stream_descriptor>(impl_.ioc, std::exchange(in.write, -1));
  stdout_ = std::make_unique<net::posix::stream_descriptor>(impl_.ioc, std::exchange(out.read, -1));
  if (spec_.split_stderr) {
    stderr_ =
        std::make_unique<net::posix::stream_descriptor>(impl_.ioc, std::exchange(err.read, -1));
  }

  auto self = shared_from_this();
  outputs_left_ = spec_.split_stderr ? 2 : 1;
  net::co_spawn(impl_.ioc, pump_input(), [self](std::exception_ptr) {});
  net::co_spawn(impl_.ioc, pump_output(*stdout_, *stdio_),
                [self](std::exception_ptr) { self->output_done(); });
  if (spec_.split_stderr) {
    net::co_spawn(impl_.ioc, pump_output(*stderr_, *stderr_ws_),
                  [self](std::exception_ptr) { self->output_done(); });
  }
  net::co_spawn(impl_.ioc, read_control(), [self](std::exception_ptr) {});
  net::co_spawn(impl_.ioc, reap(), [self](std::exception_ptr) {});
  if (spec_.timeout) {
    timeout_timer_.expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(*spec_.timeout));
    timeout_timer_.async_wait([self](boost::system::error_code ec) {
      if (ec || self->exited_) return;
      self->timed_out_ = true;
      ::kill(self->pid_, SIGKILL);
    });
  }
}

net::awaitable<void> ExecSession::pump_input() {
  beast::flat_buffer buffer;
  bool broken = false;  // the process closed its stdin: drop further input
  for (;;) {
    buffer.clear();
    boost::system::error_code ec;
    co_await stdio_->async_read(buffer, net::redirect_error(use_awaitable, ec));
    if (ec) break;
    if (stdio_->got_text()) {
      const auto data = buffer.cdata();
      const auto message = json::parse(
          std::string_view(static_cast<const char*>(data.data()), data.size()), nullptr, false);
      if (message.is_object() && message.value("command", "") == "end") break;
      continue;
    }
    if (broken) continue;
    co_await net::async_write(*stdin_, buffer.cdata(), net::redirect_error(use_awaitable, ec));
    if (ec) broken = true;
  }
  boost::system::error_code ignored;
  stdin_->close(ignored);
  // Keep reading until the client closes, so that its close is answered.
  for (;;) {
    buffer.clear();
    boost::system::error_code ec;
    co_await stdio_->async_read(buffer, net::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

net::awaitable<void> ExecSession::pump_output(net::posix::stream_descriptor& pipe, WebSocket& ws) {
  std::vector<char> chunk(64 * 1024);
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n =
        co_await pipe.async_read_some(net::buffer(chunk), net::redirect_error(use_awaitable, ec));
    if (n > 0) {
      ws.binary(true);
      boost::system::error_code write_ec;
      co_await ws.async_write(net::buffer(chunk.data(), n),
                              net::redirect_error(use_awaitable, write_ec));
      if (write_ec) break;
    }
    if (ec) break;  // eof: the process closed its end
  }
  boost::system::error_code ec;
  ws.text(true);
  co_await ws.async_write(net::buffer(std::string_view(R"({"command":"end"})")),
                          net::redirect_error(use_awaitable, ec));
}

net::awaitable<void> ExecSession::read_control() {
  beast::flat_buffer buffer;
  for (;;) {
    buffer.clear();
    boost::system::error_code ec;
    co_await control_->async_read(buffer, net::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const auto data = buffer.cdata();
    const auto message = json::parse(
        std::string_view(static_cast<const char*>(data.data()), data.size()), nullptr, false);
    if (!message.is_object() || message.value("command", "") != "signal") continue;
    std::string name = message.contains("signal") && message["signal"].is_object()
                           ? message["signal"].value("name", "")
                           : "";
    if (name.rfind("SIG", 0) == 0) name = name.substr(3);
    for (int sig = 1; sig < NSIG; ++sig) {
      const char* abbrev = sigabbrev_np(sig);
      if (abbrev != nullptr && name == abbrev && !exited_) ::kill(pid_, sig);
    }
  }
}

net::awaitable<void> ExecSession::reap() {
  // Poll for the exit: no thread, and shutdown needs no coordination.
  net::steady_timer timer(impl_.ioc);
  auto delay = std::chrono::microseconds(500);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno == ECHILD)) {
      impl_.children.erase(pid_);
      exited_ = true;
      exit_code_ = done == pid_ ? exit_code_of(status) : -1;
      timeout_timer_.cancel();
      maybe_finish();
      co_return;
    }
    timer.expires_after(delay);
    co_await timer.async_wait(use_awaitable);
    delay = std::min<std::chrono::microseconds>(delay * 2, std::chrono::milliseconds(20));
  }
}

void ExecSession::output_done() {
  --outputs_left_;
  maybe_finish();
}

void ExecSession::maybe_finish() {
  if (finished_ || !exited_) return;
  if (outputs_left_ > 0 && !timed_out_) return;
  finished_ = true;
  if (timed_out_) {
    impl_.state.exec_failed(
        spec_.change_id,
        "timed out after " + detail::go_duration(*spec_.timeout) + ": context deadline exceeded");
  } else {
    impl_.state.exec_finished(spec_.change_id, exit_code_);
  }
  impl_.execs.erase(spec_.task_id);
}

void ExecSession::kill_now() {
  if (pid_ > 0 && !exited_) ::kill(pid_, SIGKILL);
}

// ------------------------------------------------------------------ Server

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  stop();
  // Coroutines hold sessions that refer to impl_: destroy them first.
  for (auto& [task_id, session] : impl_->execs) session->kill_now();
  impl_->execs.clear();
}

void Server::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void Server::run() { impl_->ioc.run(); }

void Server::stop() {
  impl_->ioc.stop();
  if (impl_->thread.joinable() && impl_->thread.get_id() != std::this_thread::get_id()) {
    impl_->thread.join();
  }
}

const std::string& Server::socket_path() const { return impl_->socket_path; }

ServiceManager& Server::services() { return impl_->state.services(); }

void Server::set_check_status(const std::string& name, pebble::CheckStatus status, int failures) {
  impl_->state.set_check_status(name, status, failures);
}

void Server::add_warning(const std::string& message) { impl_->state.add_warning(message); }

}  // namespace ops::pebble_server
