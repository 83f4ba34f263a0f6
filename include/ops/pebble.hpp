// Pebble: the service manager that runs a Kubernetes charm's workload.
//
// A charm talks to the Pebble of each workload container over HTTP/1.1 on the
// unix socket /charm/containers/<container>/pebble.socket (socket_path()
// applies the OPS_PEBBLE_SOCKET_DIR override used for local runs and tests).
//
// This header holds the configuration types (Layer, Service, Check,
// LogTarget, Plan), which convert to and from YAML and JSON and compare equal
// by content; the information types the API returns (ServiceInfo, CheckInfo,
// Change, Task, FileInfo, Notice, SystemInfo, Warning); the errors; and
// Client, an abstract interface whose real implementation (make_client) owns
// no connection between calls: each request opens a fresh one. The testing
// library substitutes an in-memory Pebble behind the same interface.
//
// Errors: every failure throws a subclass of pebble::Error (itself an
// ops::Error): APIError when Pebble answered with an error, ConnectionError
// when the socket cannot be reached, ProtocolError when the answer is not
// well-formed, PathError for a file operation on one path, ChangeError when a
// change finished with an error, ExecError for a command's non-zero exit and
// TimeoutError when a deadline passed.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/errors.hpp"

namespace ops::pebble {

// Seconds, possibly fractional, as the Python API takes them.
using Duration = std::chrono::duration<double>;

// The environment variable that replaces the /charm/containers directory.
inline constexpr const char* kSocketDirEnv = "OPS_PEBBLE_SOCKET_DIR";

// The largest file Client::pull(path) returns as a string (64 MiB);
// Client::pull(path, stream) and Container::pull_path stream any size.
inline constexpr std::uint64_t kMaxPullSize = std::uint64_t{64} << 20;

// The largest JSON answer the client accepts from Pebble (8 MiB, the bound
// Python ops' files parser puts on a "response" part). Pebble's own JSON
// answers are far smaller: a change with its tasks and logs, a plan, a
// directory listing of a few thousand entries.
inline constexpr std::uint64_t kMaxJsonResponseSize = std::uint64_t{8} << 20;

// The socket of `container_name`'s Pebble: <dir>/<container_name>/pebble.socket,
// where <dir> is $OPS_PEBBLE_SOCKET_DIR when set and non-empty, else
// /charm/containers.
std::string socket_path(std::string_view container_name);

// ---------------------------------------------------------------- errors

// Base of every Pebble client error.
class Error : public ops::Error {
 public:
  using ops::Error::Error;
};

// A deadline passed: the socket timeout, or waiting for a change.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

// The Pebble socket cannot be reached (missing, refused, closed early).
class ConnectionError : public Error {
 public:
  using Error::Error;
};

// Pebble's answer is not well-formed HTTP, JSON or multipart, or lacks a field.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

// Pebble answered with an error envelope. body() is the whole parsed body.
class APIError : public Error {
 public:
  APIError(nlohmann::json body, int code, std::string status, std::string message);
  const nlohmann::json& body() const noexcept { return body_; }
  int code() const noexcept { return code_; }
  const std::string& status() const noexcept { return status_; }
  const std::string& message() const noexcept { return message_; }

 private:
  nlohmann::json body_{};
  int code_{};
  std::string status_{};
  std::string message_{};
};

// A file operation failed on one path; kind() is Pebble's error kind
// ("not-found", "permission-denied", "generic-file-error"); what() is
// "<kind> - <message>".
class PathError : public Error {
 public:
  PathError(std::string kind, std::string message);
  const std::string& kind() const noexcept { return kind_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string kind_{};
  std::string message_{};
};

struct Change;

// A change finished with an error. what() is err() followed by the logs of
// the change's tasks.
class ChangeError : public Error {
 public:
  ChangeError(std::string err, const Change& change);
  const std::string& err() const noexcept { return err_; }
  const Change& change() const noexcept { return *change_; }

 private:
  std::string err_{};
  std::shared_ptr<const Change> change_;  // shared: exceptions are copyable
};

// A command run by exec() exited non-zero. stdout/stderr are what it wrote
// (empty when not captured); what() quotes at most 1024 bytes of each.
class ExecError : public Error {
 public:
  ExecError(std::vector<std::string> command, int exit_code, std::optional<std::string> stdout_text,
            std::optional<std::string> stderr_text);
  const std::vector<std::string>& command() const noexcept { return command_; }
  int exit_code() const noexcept { return exit_code_; }
  const std::optional<std::string>& stdout() const noexcept { return stdout_; }
  const std::optional<std::string>& stderr() const noexcept { return stderr_; }

 private:
  std::vector<std::string> command_{};
  int exit_code_{};
  std::optional<std::string> stdout_{};
  std::optional<std::string> stderr_{};
};

// ---------------------------------------------------------- configuration
//
// Plain structs: build them with designated initializers, e.g.
//   Layer{.summary = "redis",
//         .services = {{"redis", Service{.override = "replace",
//                                        .command = "redis-server /etc/redis.conf",
//                                        .startup = "enabled"}}}};
// Absent optional fields and empty lists/maps are not written out, so two
// values compare equal exactly when their YAML forms are equal.

// One service of a layer. The name is the key of Layer::services.
struct Service {
  std::optional<std::string> summary{};
  std::optional<std::string> description{};
  std::optional<std::string> override{};  // "merge" or "replace"
  std::optional<std::string> command{};
  std::optional<std::string> startup{};  // "enabled" or "disabled"
  std::vector<std::string> after{};
  std::vector<std::string> before{};
  std::vector<std::string> requires_{};  // YAML "requires" (a C++ keyword)
  std::map<std::string, std::string> environment{};
  std::optional<std::string> user{};
  std::optional<std::int64_t> user_id{};
  std::optional<std::string> group{};
  std::optional<std::int64_t> group_id{};
  std::optional<std::string> working_dir{};
  std::optional<std::string> on_success{};  // "restart", "shutdown", "ignore"
  std::optional<std::string> on_failure{};
  std::map<std::string, std::string> on_check_failure{};  // check name -> action
  std::optional<std::string> backoff_delay{};             // Go duration, "500ms"
  std::optional<double> backoff_factor{};
  std::optional<std::string> backoff_limit{};
  std::optional<std::string> kill_delay{};

  // Applies `other` on top of this service by Pebble's rules
  // (internals/plan Service.Merge): with override "replace" the result is
  // `other`; otherwise a string set and not empty in `other` replaces, an id,
  // duration or factor set in `other` replaces, after/before/requires append
  // (duplicates kept, as Pebble keeps them), maps merge key by key, and
  // `override` stays the one this service was defined with.
  void combine(const Service& other);
  bool operator==(const Service&) const = default;
};

struct HttpCheck {
  std::optional<std::string> url{};
  std::map<std::string, std::string> headers{};
  bool operator==(const HttpCheck&) const = default;
};

struct TcpCheck {
  std::optional<std::int64_t> port{};
  std::optional<std::string> host{};
  bool operator==(const TcpCheck&) const = default;
};

struct ExecCheck {
  std::optional<std::string> command{};
  std::optional<std::string> service_context{};
  std::map<std::string, std::string> environment{};
  std::optional<std::string> user{};
  std::optional<std::int64_t> user_id{};
  std::optional<std::string> group{};
  std::optional<std::int64_t> group_id{};
  std::optional<std::string> working_dir{};
  bool operator==(const ExecCheck&) const = default;
};

// One health check of a layer. The name is the key of Layer::checks.
struct Check {
  std::optional<std::string> override{};
  std::optional<std::string> level{};    // "alive", "ready" or unset
  std::optional<std::string> startup{};  // "enabled" or "disabled"
  std::optional<std::string> period{};   // Go duration, "10s"
  std::optional<std::string> timeout{};
  std::optional<std::int64_t> threshold{};
  std::optional<HttpCheck> http{};
  std::optional<TcpCheck> tcp{};
  std::optional<ExecCheck> exec{};

  // Applies `other` as Service::combine does; http/tcp/exec merge field-wise;
  // a zero threshold or port in `other` leaves this one, as in Pebble.
  void combine(const Check& other);
  bool operator==(const Check&) const = default;
};

// One log forwarding target of a layer. The name is the key of
// Layer::log_targets.
struct LogTarget {
  std::optional<std::string> override{};
  std::optional<std::string> type{};  // "loki", "syslog"
  std::optional<std::string> location{};
  std::vector<std::string> services{};
  std::map<std::string, std::string> labels{};

  void combine(const LogTarget& other);
  bool operator==(const LogTarget&) const = default;
};

// A Pebble configuration layer.
struct Layer {
  std::optional<std::string> summary{};
  std::optional<std::string> description{};
  std::map<std::string, Service> services{};
  std::map<std::string, Check> checks{};
  std::map<std::string, LogTarget> log_targets{};

  // Parses layer YAML; throws ProtocolError naming the bad field.
  [[nodiscard]] static Layer from_yaml(std::string_view yaml);
  [[nodiscard]] std::string to_yaml() const;
  // Applies `other` on top as Pebble's CombineLayers does: the summary and
  // description become `other`'s, each service/check/log target is combined
  // by name (added when new). `services` of a log target append, as
  // Service::combine's lists.
  void combine(const Layer& other);
  bool operator==(const Layer&) const = default;
};

// The effective configuration: every layer combined in order.
struct Plan {
  std::map<std::string, Service> services{};
  std::map<std::string, Check> checks{};
  std::map<std::string, LogTarget> log_targets{};

  // Parses plan YAML (as GET /v1/plan?format=yaml returns it).
  [[nodiscard]] static Plan from_yaml(std::string_view yaml);
  [[nodiscard]] std::string to_yaml() const;
  bool operator==(const Plan&) const = default;
};

void to_json(nlohmann::json& j, const Service& v);
void from_json(const nlohmann::json& j, Service& v);
void to_json(nlohmann::json& j, const Check& v);
void from_json(const nlohmann::json& j, Check& v);
void to_json(nlohmann::json& j, const LogTarget& v);
void from_json(const nlohmann::json& j, LogTarget& v);
void to_json(nlohmann::json& j, const Layer& v);
void from_json(const nlohmann::json& j, Layer& v);
void to_json(nlohmann::json& j, const Plan& v);
void from_json(const nlohmann::json& j, Plan& v);

// ------------------------------------------------------------ information

struct SystemInfo {
  std::string version{};
  bool operator==(const SystemInfo&) const = default;
};

enum class ServiceStartup { kEnabled, kDisabled, kUnknown };
enum class ServiceStatus { kActive, kInactive, kError, kBackoff, kUnknown };

std::string to_string(ServiceStartup v);
std::string to_string(ServiceStatus v);
ServiceStartup service_startup_from_string(std::string_view s);
ServiceStatus service_status_from_string(std::string_view s);

struct ServiceInfo {
  std::string name{};
  ServiceStartup startup = ServiceStartup::kUnknown;
  ServiceStatus current = ServiceStatus::kUnknown;
  bool is_running() const noexcept { return current == ServiceStatus::kActive; }
  bool operator==(const ServiceInfo&) const = default;
};

enum class CheckLevel { kUnset, kAlive, kReady };
enum class CheckStatus { kUp, kDown, kInactive, kUnknown };

std::string to_string(CheckLevel v);
std::string to_string(CheckStatus v);

struct CheckInfo {
  std::string name{};
  CheckLevel level = CheckLevel::kUnset;
  std::string startup{};  // "enabled" or "disabled"
  CheckStatus status = CheckStatus::kUnknown;
  int failures = 0;
  int threshold = 0;
  std::optional<std::string> change_id{};
  bool operator==(const CheckInfo&) const = default;
};

struct TaskProgress {
  std::string label{};
  std::int64_t done = 0;
  std::int64_t total = 0;
  bool operator==(const TaskProgress&) const = default;
};

// Timestamps are kept as Pebble's RFC 3339 text.
struct Task {
  std::string id{};
  std::string kind{};
  std::string summary{};
  std::string status{};
  std::vector<std::string> log{};
  TaskProgress progress{};
  std::string spawn_time{};
  std::optional<std::string> ready_time{};
  nlohmann::json data = nlohmann::json::object();
  bool operator==(const Task&) const = default;
};

struct Change {
  std::string id{};
  std::string kind{};
  std::string summary{};
  std::string status{};
  std::vector<Task> tasks{};
  bool ready = false;
  std::optional<std::string> err{};
  std::string spawn_time{};
  std::optional<std::string> ready_time{};
  nlohmann::json data = nlohmann::json::object();
  bool operator==(const Change&) const = default;
};

enum class FileType { kFile, kDirectory, kSymlink, kSocket, kNamedPipe, kDevice, kUnknown };
std::string to_string(FileType v);
FileType file_type_from_string(std::string_view s);

struct FileInfo {
  std::string path{};
  std::string name{};
  FileType type = FileType::kUnknown;
  std::optional<std::int64_t> size{};  // only for regular files
  int permissions = 0;                 // mode bits, e.g. 0644
  std::string last_modified{};
  std::optional<std::int64_t> user_id{};
  std::optional<std::string> user{};
  std::optional<std::int64_t> group_id{};
  std::optional<std::string> group{};
  bool operator==(const FileInfo&) const = default;
};

struct Notice {
  std::string id{};
  std::optional<std::int64_t> user_id{};
  std::string type{};  // "custom", "change-update", "warning"
  std::string key{};
  std::string first_occurred{};
  std::string last_occurred{};
  std::string last_repeated{};
  std::int64_t occurrences = 0;
  std::map<std::string, std::string> last_data{};
  std::optional<std::string> repeat_after{};
  std::optional<std::string> expire_after{};
  bool operator==(const Notice&) const = default;
};

struct Warning {
  std::string message{};
  std::string first_added{};
  std::string last_added{};
  std::optional<std::string> last_shown{};
  std::string expire_after{};
  std::string repeat_after{};
  bool operator==(const Warning&) const = default;
};

void to_json(nlohmann::json& j, const ServiceInfo& v);
void from_json(const nlohmann::json& j, ServiceInfo& v);
void to_json(nlohmann::json& j, const CheckInfo& v);
void from_json(const nlohmann::json& j, CheckInfo& v);
void to_json(nlohmann::json& j, const Task& v);
void from_json(const nlohmann::json& j, Task& v);
void to_json(nlohmann::json& j, const Change& v);
void from_json(const nlohmann::json& j, Change& v);
void to_json(nlohmann::json& j, const FileInfo& v);
void from_json(const nlohmann::json& j, FileInfo& v);
void to_json(nlohmann::json& j, const Notice& v);
void from_json(const nlohmann::json& j, Notice& v);
void to_json(nlohmann::json& j, const Warning& v);
void from_json(const nlohmann::json& j, Warning& v);
void to_json(nlohmann::json& j, const SystemInfo& v);
void from_json(const nlohmann::json& j, SystemInfo& v);

// Go duration text as Pebble writes it: 1.5 s -> "1.500s".
std::string format_duration(Duration d);
// Parses a Go duration ("4.000s", "500ms", "1m30s", "2h"); throws
// ProtocolError on malformed text.
Duration parse_duration(std::string_view text);

// ------------------------------------------------------------------ client

enum class WarningState { kAll, kPending };
enum class ChangeState { kAll, kInProgress, kReady };

// Ownership and mode of pushed files and created directories.
struct PushOptions {
  bool make_dirs = false;
  std::optional<int> permissions{};  // e.g. 0600; Pebble defaults to 0644
  std::optional<std::int64_t> user_id{};
  std::optional<std::string> user{};
  std::optional<std::int64_t> group_id{};
  std::optional<std::string> group{};
};

struct MakeDirOptions {
  bool make_parents = false;
  std::optional<int> permissions{};  // Pebble defaults to 0755
  std::optional<std::int64_t> user_id{};
  std::optional<std::string> user{};
  std::optional<std::int64_t> group_id{};
  std::optional<std::string> group{};
};

struct ListFilesOptions {
  std::optional<std::string> pattern{};  // glob on the names, e.g. "*.conf"
  bool itself = false;                   // describe the directory, not its entries
};

struct ExecOptions {
  std::map<std::string, std::string> environment{};
  std::optional<std::string> working_dir{};
  std::optional<Duration> timeout{};  // the process is killed after it
  std::optional<std::int64_t> user_id{};
  std::optional<std::string> user{};
  std::optional<std::int64_t> group_id{};
  std::optional<std::string> group{};
  std::optional<std::string> service_context{};
  std::string stdin_data{};  // sent to the process's standard input, then EOF
  // When set, output is streamed to these instead of being captured.
  std::ostream* stdout_stream = nullptr;
  std::ostream* stderr_stream = nullptr;
  bool combine_stderr = false;  // stderr goes to stdout; stderr is not captured
};

struct ExecOutput {
  std::string stdout{};
  std::optional<std::string> stderr{};  // absent with combine_stderr
};

struct NoticesFilter {
  std::optional<std::int64_t> user_id{};
  bool all_users = false;
  std::vector<std::string> types{};
  std::vector<std::string> keys{};
  std::optional<std::string> after{};  // RFC 3339 timestamp
};

// A command started by Client::exec. Its output is read by a background
// thread; call wait() or wait_output() exactly once. It must not outlive the
// Client that started it.
class ExecProcess {
 public:
  virtual ~ExecProcess() = default;
  // Waits for the command; returns its output. Throws ExecError on a
  // non-zero exit, ChangeError when Pebble failed the command (timeout).
  virtual ExecOutput wait_output() = 0;
  // Like wait_output() but discards captured output.
  virtual void wait() = 0;
  // Sends a signal ("SIGTERM" or "TERM") to the running command.
  virtual void send_signal(const std::string& signal) = 0;
};

// Everything a charm can ask of Pebble. Methods mirror Python ops'
// pebble.Client; a `timeout` of zero on a service action means "do not
// wait", and the change id is returned either way.
class Client {
 public:
  virtual ~Client() = default;

  [[nodiscard]] virtual SystemInfo get_system_info() = 0;
  [[nodiscard]] virtual std::vector<Warning> get_warnings(
      WarningState select = WarningState::kPending) = 0;
  // Acknowledges warnings up to `timestamp`; returns how many.
  virtual int ack_warnings(const std::string& timestamp) = 0;

  [[nodiscard]] virtual std::vector<Change> get_changes(
      ChangeState select = ChangeState::kInProgress, const std::string& service = {}) = 0;
  [[nodiscard]] virtual Change get_change(const std::string& change_id) = 0;
  virtual Change abort_change(const std::string& change_id) = 0;
  // Waits until the change is ready; throws TimeoutError after `timeout`.
  virtual Change wait_change(const std::string& change_id, Duration timeout = Duration(30)) = 0;

  virtual std::string autostart_services(Duration timeout = Duration(30)) = 0;
  virtual std::string replan_services(Duration timeout = Duration(30)) = 0;
  virtual std::string start_services(const std::vector<std::string>& services,
                                     Duration timeout = Duration(30)) = 0;
  virtual std::string stop_services(const std::vector<std::string>& services,
                                    Duration timeout = Duration(30)) = 0;
  virtual std::string restart_services(const std::vector<std::string>& services,
                                       Duration timeout = Duration(30)) = 0;
  // Services in the plan (all when `names` is empty), with their state.
  [[nodiscard]] virtual std::vector<ServiceInfo> get_services(
      const std::vector<std::string>& names = {}) = 0;

  // Adds (or with `combine`, merges into the layer of the same label) a layer.
  virtual void add_layer(const std::string& label, const Layer& layer, bool combine = false) = 0;
  [[nodiscard]] virtual Plan get_plan() = 0;

  // Reads a whole file; throws PathError (kind "not-found", ...). A file
  // larger than kMaxPullSize throws Error: pull such files into a stream.
  [[nodiscard]] virtual std::string pull(const std::string& path) = 0;
  // Writes the file's content to `out` as it arrives, without holding it in
  // memory (no size limit). On a failure after the first bytes, `out` holds
  // part of the content.
  virtual void pull(const std::string& path, std::ostream& out) = 0;
  // Writes a file; throws PathError.
  virtual void push(const std::string& path, std::string_view data,
                    const PushOptions& options = {}) = 0;
  // Reads `data` to its end, then pushes it.
  virtual void push(const std::string& path, std::istream& data,
                    const PushOptions& options = {}) = 0;
  [[nodiscard]] virtual std::vector<FileInfo> list_files(const std::string& path,
                                                         const ListFilesOptions& options = {}) = 0;
  virtual void make_dir(const std::string& path, const MakeDirOptions& options = {}) = 0;
  virtual void remove_path(const std::string& path, bool recursive = false) = 0;

  // Starts a command; throws APIError when Pebble refuses it.
  virtual std::unique_ptr<ExecProcess> exec(const std::vector<std::string>& command,
                                            const ExecOptions& options = {}) = 0;
  // Sends a signal ("SIGHUP") to running services; APIError if not running.
  virtual void send_signal(const std::string& signal, const std::vector<std::string>& services) = 0;

  [[nodiscard]] virtual std::vector<CheckInfo> get_checks(
      CheckLevel level = CheckLevel::kUnset, const std::vector<std::string>& names = {}) = 0;
  // Returns the names of the checks whose state changed.
  virtual std::vector<std::string> start_checks(const std::vector<std::string>& names) = 0;
  virtual std::vector<std::string> stop_checks(const std::vector<std::string>& names) = 0;

  // Records a custom notice; returns its id.
  virtual std::string notify(const std::string& type, const std::string& key,
                             const std::map<std::string, std::string>& data = {},
                             std::optional<Duration> repeat_after = std::nullopt) = 0;
  [[nodiscard]] virtual Notice get_notice(const std::string& id) = 0;
  [[nodiscard]] virtual std::vector<Notice> get_notices(const NoticesFilter& filter = {}) = 0;
};

// A Client over HTTP on the unix socket at `socket_path`. `timeout` bounds
// each request (waiting calls add their own wait to it). Does not connect yet.
std::unique_ptr<Client> make_client(const std::string& socket_path, Duration timeout = Duration(5));

}  // namespace ops::pebble
