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
#include <memory>
#include <string>
#include <thread>

#include "ops/pebble.hpp"
#include "pebble_server.hpp"

namespace ops_test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ops-pebble-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

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

  TempDir dir_;
  ops::pebble_server::SimulatedServiceManager* services_ = nullptr;
  std::unique_ptr<ops::pebble_server::Server> server_;
  std::unique_ptr<ops::pebble::Client> client_;
};

// Listens on a unix socket; for every connection reads the request head
// (and a Content-Length body), writes `reply` and closes. With an empty reply
// it holds the connection open without answering until destroyed.
class RawSocketServer {
 public:
  RawSocketServer(std::string path, std::string reply)
      : path_(std::move(path)), reply_(std::move(reply)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 8) != 0) {
      throw std::runtime_error("cannot listen on " + path_);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~RawSocketServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    ::unlink(path_.c_str());
  }
  int connections() const { return connections_; }

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
      if (reply_.empty()) {
        while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } else {
        std::size_t sent = 0;
        while (sent < reply_.size()) {
          const auto n = ::send(conn, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
          if (n <= 0) break;
          sent += static_cast<std::size_t>(n);
        }
      }
      ::close(conn);
    }
  }

  std::string path_;
  std::string reply_;
  int fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace ops_test
