// Pebble's files API over a container root (see detail/pebble_files.hpp).
#include "ops/detail/pebble_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "ops/detail/fd.hpp"
#include "ops/detail/pebble_model.hpp"

namespace ops::pebble::detail {

using ops::detail::Fd;

namespace {

std::atomic<bool> g_walk{false};

// Go's text of an errno: strerror with a lower-case first letter.
std::string errno_text(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string kind_of(int err) {
  if (err == ENOENT) return "not-found";
  if (err == EACCES || err == EPERM) return "permission-denied";
  return "generic-file-error";
}

// Go's *os.PathError: "<op> <path>: <errno text>".
PathError path_error(const std::string& op, const std::string& path, int err) {
  return PathError(kind_of(err), op + " " + path + ": " + errno_text(err));
}

void require_absolute(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    throw PathError("generic-file-error", "paths must be absolute, got " + go_quote(path));
  }
}

// "/a//b/../c/" -> "/a/c".
std::string normalized(const std::string& path) {
  std::string out = std::filesystem::path(path).lexically_normal().generic_string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.empty()) out = "/";
  return out;
}

std::string relative(const std::string& normal) { return normal.substr(1); }

std::string parent_of(const std::string& normal) {
  const auto slash = normal.rfind('/');
  return slash == 0 ? "/" : normal.substr(0, slash);
}

std::string base_of(const std::string& normal) { return normal.substr(normal.rfind('/') + 1); }

std::string joined(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::deque<std::string> components(std::string_view path) {
  std::deque<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) out.emplace_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// The walk: one component at a time, never following a link by the kernel.
// Links are read and expanded here, absolute ones from the root, ".." never
// above the root. Returns the fd or -errno.
int walk_open(int root_fd, const std::string& rel, int flags, mode_t mode) {
  std::vector<Fd> stack;
  stack.emplace_back(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!stack.back()) return -errno;
  auto parts = components(rel);
  int links = 0;
  const bool follow_last = (flags & O_NOFOLLOW) == 0;
  while (!parts.empty()) {
    const std::string part = parts.front();
    parts.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    const int dir = stack.back().get();
    const bool last = parts.empty();
    struct stat st {};
    const bool exists = ::fstatat(dir, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && (errno != ENOENT || !last)) return -errno;
    if (exists && S_ISLNK(st.st_mode) && (!last || follow_last)) {
      if (++links > 40) return -ELOOP;
      std::string target(PATH_MAX, '\0');
      const auto n = ::readlinkat(dir, part.c_str(), target.data(), target.size());
      if (n < 0) return -errno;
      target.resize(static_cast<std::size_t>(n));
      if (!target.empty() && target.front() == '/') stack.resize(1);
      auto expanded = components(target);
      parts.insert(parts.begin(), expanded.begin(), expanded.end());
      continue;
    }
    if (last) {
      const int fd = ::openat(dir, part.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
      if (fd < 0) return -errno;
      // O_PATH|O_NOFOLLOW opens a link that replaced the entry since the
      // fstatat above: refuse it rather than follow it.
      struct stat opened {};
      if ((flags & O_PATH) != 0 && follow_last && ::fstat(fd, &opened) == 0 &&
          S_ISLNK(opened.st_mode)) {
        ::close(fd);
        return -ELOOP;
      }
      return fd;
    }
    Fd next(::openat(dir, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return -errno;
    stack.push_back(std::move(next));
  }
  const int fd = ::openat(stack.back().get(), ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC, mode);
  return fd < 0 ? -errno : fd;
}

// Opens container path `rel` (relative to the root) resolved inside the root.
// Returns the fd or -errno.
int open_in_root(int root_fd, const std::string& rel, int flags, mode_t mode = 0) {
  if (!g_walk.load()) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) != 0 ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char* path = rel.empty() ? "." : rel.c_str();
    for (int attempt = 0; attempt < 16; ++attempt) {
      const long fd = ::syscall(SYS_openat2, root_fd, path, &how, sizeof how);
      if (fd >= 0) return static_cast<int>(fd);
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == ENOSYS) break;  // an older kernel: walk
      return -errno;
    }
    if (errno != ENOSYS) return -errno;
  }
  return walk_open(root_fd, rel, flags, mode);
}

std::string user_name(uid_t uid) {
  std::string buf(16384, '\0');
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return {};
}

std::string group_name(gid_t gid) {
  std::string buf(16384, '\0');
  group gr{};
  group* found = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return found->gr_name;
  }
  return {};
}

std::string rfc3339(const timespec& ts) {
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
  return buf;
}

FileInfo info_of(const struct stat& st, const std::string& path, const std::string& name) {
  FileInfo info;
  info.path = path;
  info.name = name;
  if (S_ISREG(st.st_mode)) {
    info.type = FileType::kFile;
    info.size = static_cast<std::int64_t>(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileType::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileType::kSymlink;
  } else if (S_ISSOCK(st.st_mode)) {
    info.type = FileType::kSocket;
  } else if (S_ISFIFO(st.st_mode)) {
    info.type = FileType::kNamedPipe;
  } else if (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)) {
    info.type = FileType::kDevice;
  } else {
    info.type = FileType::kUnknown;
  }
  info.permissions = static_cast<int>(st.st_mode & 0777);
  info.last_modified = rfc3339(st.st_mtim);
  info.user_id = st.st_uid;
  info.group_id = st.st_gid;
  if (auto name_of_user = user_name(st.st_uid); !name_of_user.empty()) info.user = name_of_user;
  if (auto name_of_group = group_name(st.st_gid); !name_of_group.empty()) {
    info.group = name_of_group;
  }
  return info;
}

std::string temp_name(const std::string& base) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return base + "." + std::to_string(random() % 10000000000ULL) + "~";
}

}  // namespace

// The owner resolved: ids to apply on the host, or nothing to apply; and
// (UserDatabase::kContainer) what list() reports.
struct ContainerFiles::Owner {
  bool apply = false;
  uid_t uid = 0;
  gid_t gid = 0;
  FileOwner record{};
};

namespace {

// One entry of a container's /etc/passwd or /etc/group.
struct DbEntry {
  std::string name;
  std::int64_t id = 0;
  std::int64_t group_id = 0;  // passwd: the primary group
};

std::optional<std::int64_t> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(text);
}

// The entries of a passwd ("name:pw:uid:gid:...") or group
// ("name:pw:gid:...") file as Go's os/user reads them: blank lines,
// comments and lines without numeric ids skipped.
std::vector<DbEntry> parse_user_db(const std::string& text, bool passwd) {
  std::vector<DbEntry> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<std::string> fields;
    std::size_t from = first;
    for (;;) {
      const auto colon = line.find(':', from);
      fields.push_back(line.substr(from, colon == std::string::npos ? colon : colon - from));
      if (colon == std::string::npos) break;
      from = colon + 1;
    }
    if (fields.size() < (passwd ? 6u : 3u)) continue;
    const auto id = parse_id(fields[2]);
    const auto group_id = passwd ? parse_id(fields[3]) : std::optional<std::int64_t>(0);
    if (!id || !group_id) continue;
    out.push_back({fields[0], *id, *group_id});
  }
  return out;
}

const DbEntry* find_name(const std::vector<DbEntry>& db, const std::string& name) {
  for (const auto& entry : db) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

const DbEntry* find_id(const std::vector<DbEntry>& db, std::int64_t id) {
  for (const auto& entry : db) {
    if (entry.id == id) return &entry;
  }
  return nullptr;
}

}  // namespace

void ContainerFiles::use_component_walk_for_testing(bool walk) { g_walk = walk; }

ContainerFiles::ContainerFiles(const std::string& root, UserDatabase users) : users_(users) {
  root_fd_ = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) {
    throw std::runtime_error("container root " + root +
                             " is not a directory: " + errno_text(errno));
  }
}

ContainerFiles::~ContainerFiles() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

// Pebble's NormalizeUidGid, on the host's user database. A name the host
// does not know is not an error here (the container's users need not exist
// on the host): the owner is then recorded, not applied.
std::optional<std::string> ContainerFiles::read_if_exists(const std::string& rel) const {
  Fd fd(open_in_root(root_fd_, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    if (-fd.get() == ENOENT) return std::nullopt;
    throw path_error("open", "/" + rel, -fd.get());
  }
  try {
    return ops::detail::read_all(fd.get());
  } catch (const std::system_error& e) {
    throw path_error("read", "/" + rel, e.code().value());
  }
}

// Pebble's NormalizeUidGid on the container's /etc/passwd and /etc/group
// (see UserDatabase::kContainer), in Pebble's order: the user name, the
// group name, the primary group of a user without one, then a group
// without a user.
ContainerFiles::Owner ContainerFiles::resolve_in_container(const FileOwner& requested) const {
  Owner owner;
  const auto passwd_text = read_if_exists("etc/passwd");
  const auto group_text = read_if_exists("etc/group");
  const auto passwd = parse_user_db(passwd_text.value_or(""), true);
  const auto groups = parse_user_db(group_text.value_or(""), false);
  // The name of `id` in a database, or root's for 0 when the file is absent.
  auto named = [](const std::optional<std::string>& text, const std::vector<DbEntry>& db,
                  std::int64_t id) -> std::optional<std::string> {
    if (!text) return id == 0 ? std::optional<std::string>("root") : std::nullopt;
    const auto* entry = find_id(db, id);
    return entry ? std::optional<std::string>(entry->name) : std::nullopt;
  };
  auto user_named = [&](std::int64_t id) { return named(passwd_text, passwd, id); };
  auto group_named = [&](std::int64_t id) { return named(group_text, groups, id); };
  if (requested.empty()) {
    // Pebble runs as root: what it makes without an owner is root's.
    owner.record = {0, user_named(0), 0, group_named(0)};
    return owner;
  }
  auto fail = [](const std::string& reason) {
    return PathError("generic-file-error", "cannot look up user and group: " + reason);
  };
  // The id of the user or group `name` (kind "user"/"group", id_label
  // "UID"/"GID"), checked against the id asked for beside it.
  auto id_named = [&](const std::vector<DbEntry>& db, const std::string& kind, const char* id_label,
                      const std::string& name, const auto& asked_id) -> std::int64_t {
    const auto* entry = find_name(db, name);
    if (entry == nullptr) throw fail(kind + ": unknown " + kind + " " + name);
    if (asked_id && *asked_id != entry->id) {
      throw fail(kind + " " + go_quote(name) + " " + id_label + " (" + std::to_string(entry->id) +
                 ") does not match " + kind + "-id (" + std::to_string(*asked_id) + ")");
    }
    return entry->id;
  };
  FileOwner record = requested;
  if (requested.user && passwd_text) {
    record.user_id = id_named(passwd, "user", "UID", *requested.user, requested.user_id);
  }
  if (requested.group && group_text) {
    record.group_id = id_named(groups, "group", "GID", *requested.group, requested.group_id);
  }
  if (!requested.group && !requested.group_id && record.user_id && passwd_text) {
    const auto* entry = find_id(passwd, *record.user_id);
    if (entry == nullptr) throw fail("user: unknown userid " + std::to_string(*record.user_id));
    record.group_id = entry->group_id;
  }
  if (!requested.user && !requested.user_id) throw fail("must specify user, not just group");
  if (!record.user && record.user_id) record.user = user_named(*record.user_id);
  if (!record.group && record.group_id) record.group = group_named(*record.group_id);
  owner.record = record;
  return owner;
}

ContainerFiles::Owner ContainerFiles::resolve_owner(const FileOwner& requested) const {
  if (users_ == UserDatabase::kContainer) return resolve_in_container(requested);
  Owner owner;
  if (requested.empty()) return owner;
  auto fail = [](const std::string& reason) {
    return PathError("generic-file-error", "cannot look up user and group: " + reason);
  };
  if (!requested.user && !requested.user_id) throw fail("must specify user, not just group");
  std::string buf(16384, '\0');
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  if (requested.user) {
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwnam_r(requested.user->c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
        found == nullptr) {
      return owner;
    }
    if (requested.user_id && *requested.user_id != found->pw_uid) {
      throw fail("user " + go_quote(*requested.user) + " UID (" + std::to_string(found->pw_uid) +
                 ") does not match user-id (" + std::to_string(*requested.user_id) + ")");
    }
    uid = found->pw_uid;
  } else {
    uid = static_cast<uid_t>(*requested.user_id);
  }
  if (requested.group) {
    group gr{};
    group* found = nullptr;
    if (::getgrnam_r(requested.group->c_str(), &gr, buf.data(), buf.size(), &found) != 0 ||
        found == nullptr) {
      return owner;
    }
    if (requested.group_id && *requested.group_id != found->gr_gid) {
      throw fail("group " + go_quote(*requested.group) + " GID (" + std::to_string(found->gr_gid) +
                 ") does not match group-id (" + std::to_string(*requested.group_id) + ")");
    }
    gid = found->gr_gid;
  } else if (requested.group_id) {
    gid = static_cast<gid_t>(*requested.group_id);
  } else {
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
      return owner;
    }
    gid = found->pw_gid;
  }
  owner.apply = true;
  owner.uid = *uid;
  owner.gid = *gid;
  return owner;
}

void ContainerFiles::apply_owner(int fd, const Owner& owner, const std::string& path,
                                 const FileOwner& requested, const std::string& what) {
  if (users_ == UserDatabase::kContainer) {
    recorded_[path] = owner.record;
    return;
  }
  recorded_.erase(path);
  if (requested.empty()) return;
  if (owner.apply) {
    if (::fchown(fd, owner.uid, owner.gid) == 0) return;
    const int err = errno;
    // Not root and not our own ids: keep the owner as a record.
    if (err != EPERM || ::geteuid() == 0) throw path_error("chown", what, err);
  }
  recorded_[path] = requested;
}

std::string ContainerFiles::read(const std::string& path) const {
  require_absolute(path);
  const std::string normal = normalized(path);
  Fd fd(open_in_root(root_fd_, relative(normal), O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!fd) throw path_error("stat", path, -fd.get());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw path_error("stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    throw PathError("generic-file-error", "can only read a regular file: " + go_quote(path));
  }
  try {
    return ops::detail::read_all(fd.get());
  } catch (const std::system_error& e) {
    throw path_error("read", path, e.code().value());
  }
}

void ContainerFiles::write(const std::string& path, std::string_view data,
                           const WriteFileOptions& options) {
  require_absolute(path);
  const std::string normal = normalized(path);
  if (normal == "/") throw PathError("generic-file-error", "open /: is a directory");
  const Owner owner = resolve_owner(options.owner);
  const std::string parent = parent_of(normal);
  if (options.make_dirs) {
    try {
      make_dir_all(parent, 0755, owner, options.owner);
    } catch (const PathError& e) {
      throw PathError(e.kind(), "cannot create directory: " + e.message());
    }
  }
  const int mode = parse_permissions(options.permissions, 0644);
  const std::string base = base_of(normal);
  std::string temp = temp_name(base);
  Fd dir(open_in_root(root_fd_, relative(parent), O_PATH | O_DIRECTORY));
  if (!dir) throw path_error("open", joined(parent, temp), -dir.get());
  Fd file;
  for (int attempt = 0; attempt < 100; ++attempt) {
    file = Fd(::openat(dir.get(), temp.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file || errno != EEXIST) break;
    temp = temp_name(base);
  }
  if (!file) throw path_error("open", joined(parent, temp), errno);
  auto discard = [&] { ::unlinkat(dir.get(), temp.c_str(), 0); };
  try {
    std::size_t written = 0;
    while (written < data.size()) {
      const auto n = ::write(file.get(), data.data() + written, data.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw path_error("write", joined(parent, temp), errno);
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fchmod(file.get(), static_cast<mode_t>(mode)) != 0) {
      throw path_error("chmod", joined(parent, temp), errno);
    }
    apply_owner(file.get(), owner, normal, options.owner, joined(parent, temp));
    if (::renameat(dir.get(), temp.c_str(), dir.get(), base.c_str()) != 0) {
      const int err = errno;
      // Go's os.Rename reports a directory in the way as "file exists".
      throw PathError(kind_of(err), "rename " + joined(parent, temp) + " " + path + ": " +
                                        errno_text(err == EISDIR ? EEXIST : err));
    }
  } catch (...) {
    discard();
    throw;
  }
}

std::vector<FileInfo> ContainerFiles::list(const std::string& path, const std::string& pattern,
                                           bool itself) const {
  try {
    return list_entries(path, pattern, itself);
  } catch (const PathError& e) {
    // GET /v1/files?action=list answers a failure as an error response.
    const int status = e.kind() == "not-found" ? 404 : e.kind() == "permission-denied" ? 403 : 400;
    throw api_error(status, e.message(), e.kind());
  }
}

std::vector<FileInfo> ContainerFiles::list_entries(const std::string& path,
                                                   const std::string& pattern, bool itself) const {
  if (path.empty() || path.front() != '/') {
    throw api_error(400, "path must be absolute, got " + go_quote(path));
  }
  const std::string normal = normalized(path);
  Fd fd(open_in_root(root_fd_, relative(normal), O_PATH));
  if (!fd) throw path_error("stat", path, -fd.get());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw path_error("stat", path, errno);
  std::vector<FileInfo> out;
  if (!S_ISDIR(st.st_mode) || itself) {
    const std::string name = normal == "/" ? "/" : base_of(normal);
    if (pattern.empty() || ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
      out.push_back(info_of(st, normal, name));
    }
  } else {
    Fd dir(open_in_root(root_fd_, relative(normal), O_RDONLY | O_DIRECTORY));
    if (!dir) throw path_error("open", path, -dir.get());
    const int listing = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0);
    DIR* stream = listing < 0 ? nullptr : ::fdopendir(listing);
    if (stream == nullptr) {
      const int err = errno;
      if (listing >= 0) ::close(listing);
      throw path_error("open", path, err);
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(stream)) {
      const std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (!pattern.empty() && ::fnmatch(pattern.c_str(), name.c_str(), 0) != 0) continue;
      names.push_back(name);
    }
    ::closedir(stream);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      struct stat entry {};
      if (::fstatat(dir.get(), name.c_str(), &entry, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed meanwhile
        throw path_error("lstat", joined(normal, name), errno);
      }
      out.push_back(info_of(entry, joined(normal, name), name));
    }
  }
  for (auto& info : out) {
    auto owner = recorded_.find(info.path);
    if (owner == recorded_.end()) continue;
    if (users_ == UserDatabase::kContainer) {
      info.user_id = owner->second.user_id;
      info.user = owner->second.user;
      info.group_id = owner->second.group_id;
      info.group = owner->second.group;
      continue;
    }
    if (owner->second.user_id) info.user_id = owner->second.user_id;
    if (owner->second.user) info.user = owner->second.user;
    if (owner->second.group_id) info.group_id = owner->second.group_id;
    if (owner->second.group) info.group = owner->second.group;
  }
  return out;
}

// osutil's mkdir: "<path>.mkdir-new" made, owned and chmod'ed, then renamed.
void ContainerFiles::make_one_dir(const std::string& path, int mode, const Owner& owner,
                                  const FileOwner& requested) {
  const std::string parent = parent_of(path);
  const std::string base = base_of(path);
  const std::string candidate = base + ".mkdir-new";
  const std::string shown = path + ".mkdir-new";
  Fd dir(open_in_root(root_fd_, relative(parent), O_PATH | O_DIRECTORY));
  if (!dir) throw path_error("mkdir", shown, -dir.get());
  if (::mkdirat(dir.get(), candidate.c_str(), 0700) != 0 && errno != EEXIST) {
    throw path_error("mkdir", shown, errno);
  }
  Fd made(::openat(dir.get(), candidate.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!made) throw path_error("open", shown, errno);
  apply_owner(made.get(), owner, path, requested, shown);
  if (::fchmod(made.get(), static_cast<mode_t>(mode)) != 0) {
    throw path_error("chmod", shown, errno);
  }
  if (::renameat(dir.get(), candidate.c_str(), dir.get(), base.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir.get(), candidate.c_str(), AT_REMOVEDIR);
    throw PathError(kind_of(err), "rename " + shown + " " + path + ": " + errno_text(err));
  }
}

// osutil's mkdirAll with MakeParents: each missing directory from the top.
void ContainerFiles::make_dir_all(const std::string& path, int mode, const Owner& owner,
                                  const FileOwner& requested) {
  Fd fd(open_in_root(root_fd_, relative(path), O_PATH));
  if (fd) {
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    throw path_error("mkdir", path, ENOTDIR);
  }
  if (path == "/") throw path_error("mkdir", path, -fd.get());
  make_dir_all(parent_of(path), mode, owner, requested);
  make_one_dir(path, mode, owner, requested);
}

void ContainerFiles::make_dir(const std::string& path, const MakeDirOptionsText& options) {
  require_absolute(path);
  const int mode = parse_permissions(options.permissions, 0755);
  const Owner owner = resolve_owner(options.owner);
  const std::string normal = normalized(path);
  Fd fd(open_in_root(root_fd_, relative(normal), O_PATH));
  if (fd) {
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      throw path_error("mkdir", normal, ENOTDIR);
    }
    if (options.make_parents) return;
    throw path_error("mkdir", normal, EEXIST);
  }
  if (options.make_parents) {
    make_dir_all(normal, mode, owner, options.owner);
  } else {
    make_one_dir(normal, mode, owner, options.owner);
  }
}

namespace {

// os.RemoveAll below `dir`: never follows a link (a link is unlinked).
void remove_tree(int dir, const std::string& name, const std::string& shown) {
  if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) throw path_error("unlinkat", shown, errno);
  Fd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) throw path_error("openat", shown, errno);
  const int listing = ::fcntl(sub.get(), F_DUPFD_CLOEXEC, 0);
  DIR* stream = listing < 0 ? nullptr : ::fdopendir(listing);
  if (stream == nullptr) {
    const int err = errno;
    if (listing >= 0) ::close(listing);
    throw path_error("openat", shown, err);
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(stream)) {
    const std::string child = entry->d_name;
    if (child != "." && child != "..") names.push_back(child);
  }
  ::closedir(stream);
  for (const auto& child : names) remove_tree(sub.get(), child, joined(shown, child));
  if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    throw path_error("unlinkat", shown, errno);
  }
}

}  // namespace

void ContainerFiles::remove(const std::string& path, bool recursive) {
  require_absolute(path);
  const std::string normal = normalized(path);
  if (normal == "/") throw path_error("remove", path, EBUSY);
  Fd dir(open_in_root(root_fd_, relative(parent_of(normal)), O_PATH | O_DIRECTORY));
  if (!dir) {
    if (recursive && -dir.get() == ENOENT) return;
    throw path_error("remove", path, -dir.get());
  }
  const std::string base = base_of(normal);
  if (recursive) {
    remove_tree(dir.get(), base, normal);
  } else if (::unlinkat(dir.get(), base.c_str(), 0) != 0) {
    const int unlink_err = errno;
    if (::unlinkat(dir.get(), base.c_str(), AT_REMOVEDIR) != 0) {
      // As os.Remove: rmdir of a non-directory says ENOTDIR, so the unlink
      // error is the real one then.
      const int err = errno == ENOTDIR ? unlink_err : errno;
      throw path_error("remove", path, err);
    }
  }
  for (auto it = recorded_.begin(); it != recorded_.end();) {
    const bool below = it->first == normal || it->first.rfind(joined(normal, ""), 0) == 0;
    it = below ? recorded_.erase(it) : std::next(it);
  }
}

}  // namespace ops::pebble::detail
