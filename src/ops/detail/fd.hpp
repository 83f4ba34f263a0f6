// An owned file descriptor and reading one to its end: the library's one
// copy of each (charm metadata, Pebble's files, hook tool pipes).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace ops::detail {

// Closes its descriptor on destruction; move-only. A negative value is no
// descriptor (callers may keep a negative errno in it to report), and is
// never closed.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Closes the descriptor held (if any) and holds `fd` instead.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Everything `fd` has left to read, read again after EINTR. A regular
// file's size sizes the buffer, so that it is read in one call (and one
// more to see its end). Throws std::system_error with read(2)'s errno, its
// text "read PATH" ("read" when no path is given).
inline std::string read_all(int fd, std::string_view path = {}) {
  constexpr std::size_t kChunk = 4096;
  std::string text;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    text.resize(static_cast<std::size_t>(st.st_size) + 1);
  } else {
    text.resize(kChunk);
  }
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) text.resize(text.size() * 2);
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n > 0) {
      used += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int error = errno;
      std::string what = "read";
      if (!path.empty()) what.append(" ").append(path);
      throw std::system_error(error, std::generic_category(), what);
    }
  }
  text.resize(used);
  return text;
}

}  // namespace ops::detail
