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

// Where user and group names are looked up (Pebble's NormalizeUidGid).
enum class UserDatabase {
  // The host's (pebble-server under ops-sim, whose pods share the host's
  // users): an owner the host knows is applied with fchown when the process
  // may; a name the host does not know, or a chown refused to a process
  // that is not root, is recorded and reported by list() instead.
  kHost,
  // The container's own /etc/passwd and /etc/group, inside the root, as
  // Pebble in a container reads them (the testing FakePebble). Nothing is
  // chowned on the host: the owner is recorded and list() reports it. With
  // those files present, Pebble's refusals apply ("user: unknown user x",
  // "group: unknown group x", "user: unknown userid 1000" for a user-id
  // without a group, mismatched ids); without them the image's users are
  // unknown, so the names and ids asked for are recorded as asked (an
  // id-less name is listed without an id). A file or directory made without
  // an owner is Pebble's own: root (0:0).
  kContainer,
};

class ContainerFiles {
 public:
  // Opens `root` (a directory); throws std::runtime_error when it is not one.
  explicit ContainerFiles(const std::string& root, UserDatabase users = UserDatabase::kHost);
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

  // Ownership: see UserDatabase. An owner applied on the host is applied
  // with fchown before the file appears under its name.

  // Tests: resolve with the O_NOFOLLOW walk even where openat2 exists.
  static void use_component_walk_for_testing(bool walk);

 private:
  struct Owner;
  std::vector<FileInfo> list_entries(const std::string& path, const std::string& pattern,
                                     bool itself) const;
  Owner resolve_owner(const FileOwner& requested) const;
  Owner resolve_in_container(const FileOwner& requested) const;
  // The content of a file of the container (e.g. "etc/passwd"), nullopt
  // when it does not exist.
  std::optional<std::string> read_if_exists(const std::string& rel) const;
  void apply_owner(int fd, const Owner& owner, const std::string& path, const FileOwner& requested,
                   const std::string& what);
  void make_one_dir(const std::string& path, int mode, const Owner& owner,
                    const FileOwner& requested);
  void make_dir_all(const std::string& path, int mode, const Owner& owner,
                    const FileOwner& requested);

  int root_fd_ = -1;
  UserDatabase users_ = UserDatabase::kHost;
  std::map<std::string, FileOwner> recorded_;  // by normalized container path
};

}  // namespace ops::pebble::detail
