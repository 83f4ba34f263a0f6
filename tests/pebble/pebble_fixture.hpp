// Test fixtures for the Pebble client: a temporary directory, a pebble
// server on a real unix socket inside it, and a tiny raw socket server that
// answers with whatever bytes a test gives it.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "ops/pebble.hpp"
#include "pebble_server.hpp"
#include "support/temp_dir.hpp"

namespace ops_test {

// A pebble server in a temp dir (socket at <tmp>/pebble.socket, container
// filesystem at <tmp>/root) and a client for it.
class PebbleServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(root());
    auto manager = std::make_unique<ops::pebble_server::SimulatedServiceManager>();
    services_ = manager.get();
    server_ = std::make_unique<ops::pebble_server::Server>(ops::pebble_server::ServerOptions{
        .socket_path = socket_path(), .root_dir = root().string(), .services = std::move(manager)});
    server_->start();
    client_ = ops::pebble::make_client(socket_path(), ops::pebble::Duration(5));
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  std::string socket_path() const { return (dir_.path() / "pebble.socket").string(); }
  std::filesystem::path root() const { return dir_.path() / "root"; }

  TempDir dir_{"ops-pebble-"};
  ops::pebble_server::SimulatedServiceManager* services_ = nullptr;
  std::unique_ptr<ops::pebble_server::Server> server_;
  std::unique_ptr<ops::pebble::Client> client_;
};

// Writes all of `bytes` to a socket; false when the peer went away.
inline bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Accepts connections on a unix socket; for each, reads the request head
// and runs `script` on the connection, then closes it.
class ScriptedServer {
 public:
  ScriptedServer(std::string path, std::function<void(int)> script)
      : path_(std::move(path)), script_(std::move(script)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 8) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot listen on " + path_);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    ::unlink(path_.c_str());
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // How many connections it has accepted.
  [[nodiscard]] int connections() const { return connections_; }

 private:
  void serve() {
    for (;;) {
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      ++connections_;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const auto n = ::read(conn, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      script_(conn);
      ::close(conn);
    }
  }

  std::string path_;
  std::function<void(int)> script_;
  int fd_ = -1;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A ScriptedServer that answers every request with `reply` and closes. With
// an empty reply it holds the connection open without answering until
// destroyed.
class RawSocketServer {
 public:
  RawSocketServer(std::string path, std::string reply)
      : reply_(std::move(reply)), server_(std::move(path), [this](int conn) { answer(conn); }) {}
  ~RawSocketServer() { stopping_ = true; }  // then server_ joins its thread
  RawSocketServer(const RawSocketServer&) = delete;
  RawSocketServer& operator=(const RawSocketServer&) = delete;

  [[nodiscard]] int connections() const { return server_.connections(); }

 private:
  void answer(int conn) {
    if (reply_.empty()) {
      while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } else {
      send_all(conn, reply_);
    }
  }

  const std::string reply_;
  std::atomic<bool> stopping_{false};
  ScriptedServer server_;  // last: its thread stops before reply_ and stopping_ go
};

}  // namespace ops_test
