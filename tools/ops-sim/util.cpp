#include "util.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

extern char** environ;

namespace ops_sim {

std::pair<std::string, std::string> parse_key_value(const std::string& arg, std::string_view what) {
  auto pos = arg.find('=');
  if (pos == std::string::npos || pos == 0) {
    throw SimError("invalid " + std::string(what) + " \"" + arg + "\": expected key=value");
  }
  return {arg.substr(0, pos), arg.substr(pos + 1)};
}

std::optional<long long> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t j = i; j < s.size(); ++j) {
    if (!std::isdigit(static_cast<unsigned char>(s[j]))) return std::nullopt;
  }
  try {
    return std::stoll(std::string(s));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SimError("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw SimError("cannot write " + path.string() + ": " + std::strerror(errno));
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw SimError("cannot write " + path.string());
}

namespace {

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    throw SimError(std::string("pipe: ") + std::strerror(errno));
  }
  Fd in_r{in_pipe[0]}, in_w{in_pipe[1]}, out_r{out_pipe[0]}, out_w{out_pipe[1]}, err_r{err_pipe[0]},
      err_w{err_pipe[1]};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw SimError("cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  in_r.reset();
  out_w.reset();
  err_w.reset();
  CommandResult result;
  size_t written = 0;
  if (input.empty()) in_w.reset();
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    if (in_w.fd >= 0) fds[n++] = {in_w.fd, POLLOUT, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_w.fd) {
        ssize_t w = ::write(in_w.fd, input.data() + written, input.size() - written);
        if (w <= 0) {
          in_w.reset();
        } else {
          written += static_cast<size_t>(w);
          if (written == input.size()) in_w.reset();
        }
        continue;
      }
      char buf[8192];
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      bool is_out = fds[i].fd == out_r.fd;
      if (r <= 0) {
        (is_out ? out_r : err_r).reset();
      } else {
        (is_out ? result.out : result.err).append(buf, static_cast<size_t>(r));
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string check_command(const std::vector<std::string>& argv, const std::string& input) {
  auto r = run_command(argv, input);
  if (r.exit_code != 0) {
    throw SimError("\"" + join(argv, " ") + "\" failed (exit " + std::to_string(r.exit_code) +
                   "): " + trim(r.err));
  }
  return r.out;
}

std::string random_hex(size_t n) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = 0;
    in.read(reinterpret_cast<char*>(&c), 1);
    out += kHex[c & 15];
  }
  return out;
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ops_sim
