// The files API of Pebble (pull, push, list, make-dirs, remove) over a host
// directory that stands for the container's "/". Shared by the testing
// FakePebble and tools/pebble-server (which runs as root under ops-sim), so
// every path is resolved as if the root were "/": openat2(RESOLVE_IN_ROOT)
// where the kernel has it, else a walk that opens one component at a time
// with O_NOFOLLOW and expands each symbolic link itself, scoped to the root.
// A link (absolute or with "..") can never lead out of the root; the last
// component of a push, make-dir or remove is never followed (a push replaces
// a link, it does not write through it). Temporary files are created with
// O_EXCL|O_NOFOLLOW, and ownership is applied with fchown on the open file
// before it is renamed into place.
//
// Errors and their texts are Pebble's (internals/daemon/api_files.go):
// PathError kinds "not-found" (ENOENT), "permission-denied" (EACCES/EPERM)
// and "generic-file-error" with Go's "<op> <path>: <errno text>" messages.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/pebble.hpp"

namespace ops::pebble::detail {

// The owner a request names (any field may be absent).
struct FileOwner {
  std::optional<std::int64_t> user_id{};
  std::optional<std::string> user{};
  std::optional<std::int64_t> group_id{};
  std::optional<std::string> group{};
  bool empty() const noexcept { return !user_id && !user && !group_id && !group; }
  bool operator==(const FileOwner&) const = default;
};

struct WriteFileOptions {
  bool make_dirs = false;
  std::string permissions{};  // as sent: three octal digits, "" for 0644
  FileOwner owner{};
};

struct MakeDirOptionsText {
  bool make_parents = false;
  std::string permissions{};  // "" for 0755
  FileOwner owner{};
};

class ContainerFiles {
 public:
  // Opens `root` (a directory); throws std::runtime_error when it is not one.
  explicit ContainerFiles(const std::string& root);
  ~ContainerFiles();
  ContainerFiles(const ContainerFiles&) = delete;
  ContainerFiles& operator=(const ContainerFiles&) = delete;

  // GET /v1/files?action=read: the whole content of a regular file.
  std::string read(const std::string& path) const;
  // POST /v1/files write: an atomic write (temporary file, then rename).
  void write(const std::string& path, std::string_view data, const WriteFileOptions& options);
  // GET /v1/files?action=list. Failures are APIError, as Pebble answers
  // them: 404/403/400 with the kind, or 400 "path must be absolute, got
  // "x"" without one.
  std::vector<FileInfo> list(const std::string& path, const std::string& pattern,
                             bool itself) const;
  // POST /v1/files make-dirs.
  void make_dir(const std::string& path, const MakeDirOptionsText& options);
  // POST /v1/files remove (recursive: nothing to remove is no error).
  void remove(const std::string& path, bool recursive);

  // Ownership: a user or group that exists on the host is applied (fchown
  // before the file appears under its name) when the process may (root, or
  // its own ids); otherwise the requested owner is recorded and reported by
  // list() for that path (the container's users need not exist on the host).

  // Tests: resolve with the O_NOFOLLOW walk even where openat2 exists.
  static void use_component_walk_for_testing(bool walk);

 private:
  struct Owner;
  std::vector<FileInfo> list_entries(const std::string& path, const std::string& pattern,
                                     bool itself) const;
  Owner resolve_owner(const FileOwner& requested) const;
  void apply_owner(int fd, const Owner& owner, const std::string& path, const FileOwner& requested,
                   const std::string& what);
  void make_one_dir(const std::string& path, int mode, const Owner& owner,
                    const FileOwner& requested);
  void make_dir_all(const std::string& path, int mode, const Owner& owner,
                    const FileOwner& requested);

  int root_fd_ = -1;
  std::map<std::string, FileOwner> recorded_;  // by normalized container path
};

}  // namespace ops::pebble::detail
