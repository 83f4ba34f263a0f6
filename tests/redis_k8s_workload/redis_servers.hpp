// Test helpers: real redis-server / redis-sentinel processes on 127.0.0.1 in
// a temporary directory, free ports, TLS certificates made with the openssl
// command, and a socket that accepts connections but never answers.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "redis_client.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace redis_test {

using ops_test::read_file;
using ops_test::TempDir;
using ops_test::write_file;

// A port on 127.0.0.1 that nothing listened on a moment ago.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a free port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A child process (argv[0] looked up on PATH), its output in `log`; killed
// and reaped on stop() or destruction.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Kills the process and waits for it.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // True while the process has not exited.
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

 private:
  pid_t pid_ = -1;
};

// Polls `ready` every 20 ms until it returns true; throws after `limit`.
template <typename Fn>
void wait_until(Fn&& ready, const std::string& what,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("timed out waiting for " + what);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Runs a shell command (used for the openssl CLI); throws when it fails.
inline void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

// A CA and a server certificate for 127.0.0.1/localhost signed by it, plus a
// client certificate, all made with the openssl command (EC keys: fast).
struct Certificates {
  std::filesystem::path ca_cert, ca_key, server_cert, server_key, client_cert, client_key;

  static Certificates make(const std::filesystem::path& dir, const std::string& name = "ca") {
    Certificates c;
    c.ca_key = dir / (name + ".key");
    c.ca_cert = dir / (name + ".crt");
    c.server_key = dir / (name + "-server.key");
    c.server_cert = dir / (name + "-server.crt");
    c.client_key = dir / (name + "-client.key");
    c.client_cert = dir / (name + "-client.crt");
    const std::string quiet = " >/dev/null 2>&1";
    const std::string d = dir.string();
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
        " -subj /CN=ops-cpp-test-" +
        name + " -keyout " + c.ca_key.string() + " -out " + c.ca_cert.string() + quiet);
    write_file(dir / "server.ext",
               "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    write_file(dir / "client.ext", "extendedKeyUsage=clientAuth\n");
    for (const auto& [key, cert, cn, ext] :
         {std::tuple{c.server_key, c.server_cert, std::string("localhost"),
                     std::string("server.ext")},
          std::tuple{c.client_key, c.client_cert, std::string("client"),
                     std::string("client.ext")}}) {
      std::string csr = (dir / (cn + "-" + name + ".csr")).string();
      run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + cn +
          " -keyout " + key.string() + " -out " + csr + quiet);
      run("openssl x509 -req -in " + csr + " -CA " + c.ca_cert.string() + " -CAkey " +
          c.ca_key.string() + " -CAcreateserial -days 2 -extfile " + d + "/" + ext + " -out " +
          cert.string() + quiet);
    }
    return c;
  }
};

// True when a PING to the server answers (any answer, even NOAUTH).
inline bool answers_ping(redis_k8s::RedisClientOptions options) {
  options.password.reset();
  options.timeout = std::chrono::milliseconds(200);
  try {
    redis_k8s::RedisClient client(options);
    client.command({"PING"});
    return true;
  } catch (const redis_k8s::RedisReplyError&) {
    return true;  // NOAUTH: up, and wants a password
  } catch (const redis_k8s::RedisError&) {
    return false;
  }
}

// A listening socket on 127.0.0.1 that never accepts: connections complete
// in the kernel's backlog and then hear nothing.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 1) != 0) {
      throw std::runtime_error("cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() {
    for (int fd : fillers_) ::close(fd);
    ::close(fd_);
  }

  // Opens connections until the accept queue is full, so that the kernel
  // drops the next SYN and a new connect() hangs. Bounded: at most 256 tries.
  void fill_backlog() {
    for (int i = 0; i < 256; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers_.push_back(fd);
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 100) == 0) return;  // this one hangs: the queue is full
    }
    throw std::runtime_error("could not fill the accept queue");
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

}  // namespace redis_test
