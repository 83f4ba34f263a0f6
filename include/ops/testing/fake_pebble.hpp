// An in-memory Pebble for charm tests: one FakePebble per workload container.
//
// FakePebble holds what the Pebble of one container knows: whether it can be
// reached, the layers added (and so the plan), the state of each service, the
// checks, the notices, and a filesystem rooted in a directory of the host
// (a temporary directory made on first use, removed with the FakePebble, or
// one the test chooses). Commands run with exec() are not run: each returns
// the canned result registered for the longest matching command prefix, and
// every call is recorded in exec_history().
//
// client() hands out a pebble::Client that talks to this state, the same
// interface the real HTTP client implements, so charm code cannot tell the
// difference. While can_connect() is false every client call throws
// pebble::ConnectionError, as a container whose Pebble is not up yet does.
//
// The layers, plan, service changes, checks, notices and files are the same
// Pebble model that tools/pebble-server serves over HTTP, so both refuse
// what Pebble refuses, with Pebble's messages: APIError for refused requests
// (a layer Pebble's validation rejects, an unknown service, a duplicate
// layer label), PathError ("not-found", "permission-denied",
// "generic-file-error") for files, ExecError for a command whose canned
// exit code is not zero. File paths resolve inside the filesystem root as
// if it were "/" (a symbolic link never leads out of it). File owners are
// the container's: nothing is chowned on the host; the owner a push or
// make-dir asks for is recorded and list_files() reports it (root for none);
// with an /etc/passwd and /etc/group in the filesystem, names and ids are
// checked against them as Pebble checks them (PathError "cannot look up
// user and group: user: unknown user x"); a group without a user is refused.
// HarnessError when a command has no registered result: that is a test bug.
// The FakePebble must outlive the clients it hands out. Not thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ops/pebble.hpp"
#include "ops/testing/errors.hpp"

namespace ops::pebble::detail {
class PebbleModel;
class ContainerFiles;
}  // namespace ops::pebble::detail

namespace ops::testing {

// What a command run with exec() saw.
struct ExecArgs {
  std::string container;
  std::vector<std::string> command;
  std::map<std::string, std::string> environment;
  std::optional<std::string> working_dir;
  std::optional<double> timeout_seconds;
  std::optional<std::int64_t> user_id;
  std::optional<std::string> user;
  std::optional<std::int64_t> group_id;
  std::optional<std::string> group;
  std::string stdin_data;
  bool combine_stderr = false;

  bool operator==(const ExecArgs&) const = default;
};

// The canned outcome of a command.
struct ExecResult {
  int exit_code = 0;
  std::string stdout_text = {};
  std::string stderr_text = {};

  bool operator==(const ExecResult&) const = default;
};

// Computes a result from the call (for results that depend on arguments).
using ExecHandler = std::function<ExecResult(const ExecArgs& args)>;

// The Pebble of one workload container, in memory.
class FakePebble {
 public:
  explicit FakePebble(std::string container_name);
  ~FakePebble();
  FakePebble(const FakePebble&) = delete;
  FakePebble& operator=(const FakePebble&) = delete;

  const std::string& container_name() const noexcept { return name_; }

  // A client for this Pebble (what the charm's Container uses).
  std::unique_ptr<pebble::Client> client();

  // Whether clients can reach Pebble; false at first.
  bool can_connect() const noexcept { return can_connect_; }
  void set_can_connect(bool can_connect) noexcept { can_connect_ = can_connect; }

  // The directory that stands for the container's "/": a fresh temporary
  // directory made on first call (removed by the destructor) unless
  // set_filesystem_root() chose one.
  const std::filesystem::path& filesystem_root();
  // Whether the filesystem root exists yet (a file operation made it).
  bool has_filesystem_root() const noexcept { return root_.has_value(); }
  // Uses `root` (which must exist) as the container's "/"; it is not removed.
  void set_filesystem_root(std::filesystem::path root);
  // The host path of an absolute container path; HarnessError if relative.
  std::filesystem::path host_path(const std::string& container_path);

  // Registers the result of every command starting with `prefix` (the
  // longest registered prefix wins; an empty prefix matches everything).
  void handle_exec(std::vector<std::string> prefix, ExecResult result);
  void handle_exec(std::vector<std::string> prefix, ExecHandler handler);
  // Every exec() call, in order.
  const std::vector<ExecArgs>& exec_history() const noexcept { return exec_history_; }
  void clear_exec_history() { exec_history_.clear(); }

  // The layers in the order they were added, by label.
  const std::vector<std::pair<std::string, pebble::Layer>>& layers() const noexcept;
  // Adds a layer as Pebble's POST /v1/layers does: APIError(400) with
  // Pebble's message when the layer or the plan it makes is invalid (a
  // duplicate label without combine, a missing "override" or "command", ...).
  void add_layer(const std::string& label, const pebble::Layer& layer, bool combine);
  // Every layer combined in order.
  pebble::Plan plan() const;

  // The state of a service (kInactive when never started).
  pebble::ServiceStatus service_status(const std::string& service) const;
  void set_service_status(const std::string& service, pebble::ServiceStatus status);
  const std::map<std::string, pebble::ServiceStatus>& service_statuses() const noexcept {
    return service_statuses_;
  }

  // Check states; checks of the plan without an entry here read as up.
  void set_check_info(pebble::CheckInfo info);
  std::vector<pebble::CheckInfo> check_infos() const;
  const std::map<std::string, pebble::CheckInfo>& explicit_check_infos() const noexcept;

  // Records a notice of `type` with `key`; returns its id and whether it is
  // new or repeated (a repeat within repeat_after does not count).
  std::pair<std::string, bool> record_notice(const std::string& type, const std::string& key,
                                             const std::map<std::string, std::string>& data,
                                             std::optional<pebble::Duration> repeat_after);
  // Adds a notice as it is (Context states bring their own).
  void add_notice(pebble::Notice notice);
  const std::vector<pebble::Notice>& notices() const noexcept;

  // Changes made by service operations, by id.
  const std::map<std::string, pebble::Change>& changes() const noexcept;

  // What an exec of `args` returns; HarnessError when nothing matches.
  ExecResult run_exec(const ExecArgs& args);

  // Service operations (used by the client).
  std::string change_services(const std::string& kind, const std::vector<std::string>& names);

 private:
  friend class FakePebbleAccess;  // the client's way to the model and files
  pebble::detail::ContainerFiles& files();

  struct ExecRule {
    std::vector<std::string> prefix;
    ExecHandler handler;
  };

  std::string name_;
  bool can_connect_ = false;
  std::optional<std::filesystem::path> root_;
  bool owns_root_ = false;
  std::vector<ExecRule> exec_rules_;
  std::vector<ExecArgs> exec_history_;
  std::unique_ptr<pebble::detail::PebbleModel> model_;
  std::unique_ptr<pebble::detail::ContainerFiles> files_;
  std::map<std::string, pebble::ServiceStatus> service_statuses_;
};

// A timestamp as Pebble writes it, for now ("2024-05-01T12:00:00.000000000Z").
std::string pebble_timestamp_now();

}  // namespace ops::testing
