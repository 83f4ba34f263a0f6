// The Pebble client over HTTP: request paths, JSON bodies, response
// envelopes, change waiting, multipart files and exec. Boost-free: the
// transport (detail/pebble_transport.cpp) does the socket work.
#include <exception>
#include <istream>
#include <iterator>
#include <optional>
#include <ostream>
#include <sstream>

#include "ops/detail/pebble_model.hpp"
#include "ops/detail/pebble_multipart.hpp"
#include "ops/detail/pebble_transport.hpp"
#include "ops/detail/strings.hpp"
#include "ops/pebble.hpp"

namespace ops::pebble {
namespace {

using nlohmann::json;
using Query = std::vector<std::pair<std::string, std::string>>;

// Pebble answers a wait request after at most this long, so that a dead
// server is noticed while a long wait goes on.
constexpr Duration kWaitChunk{4.0};

std::string percent_encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string target(const std::string& path, const Query& query) {
  std::string out = path;
  char separator = '?';
  for (const auto& [key, value] : query) {
    out += separator + percent_encode(key) + "=" + percent_encode(value);
    separator = '&';
  }
  return out;
}

// Converts a decoded result into T, reporting a wrong shape as ProtocolError.
template <typename T>
T decode(const json& j, const char* what) {
  try {
    return j.get<T>();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ProtocolError(std::string("unexpected ") + what + " in Pebble response: " + e.what());
  }
}

json field(const json& envelope, const char* key) {
  if (!envelope.is_object() || !envelope.contains(key)) {
    throw ProtocolError(std::string("Pebble response lacks \"") + key + "\": " + envelope.dump());
  }
  return envelope.at(key);
}

// Raises the PathError that a files result reports for `path`, if any.
void raise_on_path_error(const json& envelope, const std::string& path) {
  const json& result = field(envelope, "result");
  if (result.is_null()) return;
  if (!result.is_array()) throw ProtocolError("files result is not a list: " + result.dump());
  for (const auto& item : result) {
    if (!item.is_object() || item.value("path", "") != path) continue;
    auto it = item.find("error");
    if (it == item.end() || it->is_null()) return;
    throw PathError(it->value("kind", ""), it->value("message", ""));
  }
}

json auth_fields(const std::optional<int>& permissions, const std::optional<std::int64_t>& user_id,
                 const std::optional<std::string>& user,
                 const std::optional<std::int64_t>& group_id,
                 const std::optional<std::string>& group) {
  json info = json::object();
  if (permissions) info["permissions"] = detail::format_permissions(*permissions);
  if (user_id) info["user-id"] = *user_id;
  if (user) info["user"] = *user;
  if (group_id) info["group-id"] = *group_id;
  if (group) info["group"] = *group;
  return info;
}

class HttpClient;

class HttpExecProcess final : public ExecProcess {
 public:
  HttpExecProcess(HttpClient& client, std::vector<std::string> command, std::string change_id,
                  std::optional<Duration> timeout, std::unique_ptr<detail::ExecChannels> channels,
                  const ExecOptions& options)
      : client_(client),
        command_(std::move(command)),
        change_id_(std::move(change_id)),
        timeout_(timeout),
        channels_(std::move(channels)),
        capture_stderr_(!options.combine_stderr) {
    detail::OutputSink on_stdout = [this](std::string_view b) { stdout_.append(b); };
    detail::OutputSink on_stderr = [this](std::string_view b) { stderr_.append(b); };
    if (options.stdout_stream != nullptr) {
      std::ostream* out = options.stdout_stream;
      on_stdout = [out](std::string_view b) { out->write(b.data(), b.size()); };
    }
    if (options.stderr_stream != nullptr) {
      std::ostream* err = options.stderr_stream;
      on_stderr = [err](std::string_view b) { err->write(b.data(), b.size()); };
    }
    channels_->start(options.stdin_data, std::move(on_stdout), std::move(on_stderr));
  }

  ExecOutput wait_output() override {
    const int exit_code = finish();
    ExecOutput output{stdout_,
                      capture_stderr_ ? std::optional<std::string>(stderr_) : std::nullopt};
    if (exit_code != 0) throw ExecError(command_, exit_code, output.stdout, output.stderr);
    return output;
  }

  void wait() override {
    const int exit_code = finish();
    if (exit_code != 0) throw ExecError(command_, exit_code, std::nullopt, std::nullopt);
  }

  void send_signal(const std::string& signal) override { channels_->send_signal(signal); }

 private:
  int finish();

  HttpClient& client_;
  std::vector<std::string> command_;
  std::string change_id_;
  std::optional<Duration> timeout_;
  std::unique_ptr<detail::ExecChannels> channels_;
  bool capture_stderr_;
  std::string stdout_;
  std::string stderr_;
};

class HttpClient final : public Client {
 public:
  HttpClient(std::string socket_path, Duration timeout)
      : socket_path_(std::move(socket_path)), timeout_(timeout) {}

  // ------------------------------------------------------------ plumbing

  detail::HttpResponse raw(const std::string& method, const std::string& path,
                           const Query& query = {}, std::string body = {},
                           const std::string& content_type = {}, Duration extra = Duration(0),
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    detail::HttpRequest request{method, target(path, query), std::move(headers), std::move(body)};
    if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    auto response = detail::http_request(socket_path_, request, timeout_ + extra);
    if (response.status < 200 || response.status >= 300) throw_api_error(response);
    return response;
  }

  json request(const std::string& method, const std::string& path, const Query& query = {},
               const std::optional<json>& body = std::nullopt, Duration extra = Duration(0)) {
    auto response = raw(method, path, query, body ? body->dump() : std::string(),
                        body ? "application/json" : "", extra);
    return parse_envelope(response);
  }

  static json parse_envelope(const detail::HttpResponse& response) {
    json envelope = json::parse(response.body, nullptr, false);
    if (envelope.is_discarded() || !envelope.is_object()) {
      throw ProtocolError("invalid JSON in Pebble response (HTTP " +
                          std::to_string(response.status) + "): " + response.body.substr(0, 200));
    }
    return envelope;
  }

  [[noreturn]] static void throw_api_error(const detail::HttpResponse& response) {
    json body = json::parse(response.body, nullptr, false);
    std::string message;
    if (!body.is_discarded() && body.is_object() && body.contains("result") &&
        body["result"].is_object() && body["result"].contains("message") &&
        body["result"]["message"].is_string()) {
      message = body["result"]["message"].get<std::string>();
    } else {
      message = "HTTP " + std::to_string(response.status) + " " + response.reason + ": " +
                response.body.substr(0, 200);
      body = json::object();
    }
    throw APIError(body, response.status, response.reason, message);
  }

  std::string services_action(const std::string& action, const std::vector<std::string>& services,
                              Duration timeout) {
    auto envelope =
        request("POST", "/v1/services", {}, json{{"action", action}, {"services", services}});
    const json change_id = field(envelope, "change");
    if (!change_id.is_string()) throw ProtocolError("change id is not a string");
    std::string id = change_id.get<std::string>();
    if (timeout.count() > 0) {
      Change change = wait_change(id, timeout);
      if (change.err) throw ChangeError(*change.err, change);
    }
    return id;
  }

  // ------------------------------------------------------------- system

  SystemInfo get_system_info() override {
    return decode<SystemInfo>(field(request("GET", "/v1/system-info"), "result"), "system info");
  }

  std::vector<Warning> get_warnings(WarningState select) override {
    auto envelope = request("GET", "/v1/warnings",
                            {{"select", select == WarningState::kAll ? "all" : "pending"}});
    const json result = field(envelope, "result");
    if (result.is_null()) return {};
    return decode<std::vector<Warning>>(result, "warnings");
  }

  int ack_warnings(const std::string& timestamp) override {
    auto envelope =
        request("POST", "/v1/warnings", {}, json{{"action", "okay"}, {"timestamp", timestamp}});
    return decode<int>(field(envelope, "result"), "acknowledged count");
  }

  // ------------------------------------------------------------ changes

  std::vector<Change> get_changes(ChangeState select, const std::string& service) override {
    Query query{{"select", select == ChangeState::kAll     ? "all"
                           : select == ChangeState::kReady ? "ready"
                                                           : "in-progress"}};
    if (!service.empty()) query.emplace_back("for", service);
    const json result = field(request("GET", "/v1/changes", query), "result");
    if (result.is_null()) return {};
    return decode<std::vector<Change>>(result, "changes");
  }

  Change get_change(const std::string& change_id) override {
    return decode<Change>(
        field(request("GET", "/v1/changes/" + percent_encode(change_id)), "result"), "change");
  }

  Change abort_change(const std::string& change_id) override {
    auto envelope =
        request("POST", "/v1/changes/" + percent_encode(change_id), {}, json{{"action", "abort"}});
    return decode<Change>(field(envelope, "result"), "change");
  }

  Change wait_change(const std::string& change_id, Duration timeout) override {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout);
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      const Duration left = std::chrono::duration_cast<Duration>(deadline - now);
      const Duration chunk = std::min(left, kWaitChunk);
      try {
        auto envelope = request("GET", "/v1/changes/" + percent_encode(change_id) + "/wait",
                                {{"timeout", format_duration(chunk)}}, std::nullopt, chunk);
        return decode<Change>(field(envelope, "result"), "change");
      } catch (const APIError& e) {
        if (e.code() != 504) throw;  // 504: Pebble's wait timed out; ask again
      }
    }
    throw TimeoutError("timed out waiting for change " + change_id + " (" +
                       format_duration(timeout) + ")");
  }

  // ----------------------------------------------------------- services

  std::string autostart_services(Duration timeout) override {
    return services_action("autostart", {}, timeout);
  }
  std::string replan_services(Duration timeout) override {
    return services_action("replan", {}, timeout);
  }
  std::string start_services(const std::vector<std::string>& services, Duration timeout) override {
    return services_action("start", services, timeout);
  }
  std::string stop_services(const std::vector<std::string>& services, Duration timeout) override {
    return services_action("stop", services, timeout);
  }
  std::string restart_services(const std::vector<std::string>& services,
                               Duration timeout) override {
    return services_action("restart", services, timeout);
  }

  std::vector<ServiceInfo> get_services(const std::vector<std::string>& names) override {
    Query query;
    if (!names.empty()) query.emplace_back("names", ops::detail::join(names, ","));
    const json result = field(request("GET", "/v1/services", query), "result");
    if (result.is_null()) return {};
    return decode<std::vector<ServiceInfo>>(result, "services");
  }

  void add_layer(const std::string& label, const Layer& layer, bool combine) override {
    request("POST", "/v1/layers", {},
            json{{"action", "add"},
                 {"combine", combine},
                 {"label", label},
                 {"format", "yaml"},
                 {"layer", layer.to_yaml()}});
  }

  Plan get_plan() override {
    const json result = field(request("GET", "/v1/plan", {{"format", "yaml"}}), "result");
    if (!result.is_string()) throw ProtocolError("plan result is not YAML text");
    return Plan::from_yaml(result.get<std::string>());
  }

  // -------------------------------------------------------------- files

  std::string pull(const std::string& path) override {
    std::string content;
    pull_into(path, [&](std::string_view bytes) {
      if (content.size() + bytes.size() > kMaxPullSize) {
        throw detail::pull_too_large(path);
      }
      content.append(bytes);
    });
    return content;
  }

  void pull(const std::string& path, std::ostream& out) override {
    pull_into(path, [&](std::string_view bytes) {
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) throw Error("cannot write the content of " + path + " to the stream");
    });
  }

  // GET /v1/files?action=read as Pebble answers it (api_files.go): a
  // multipart body with one "files" part per file read, then a "response"
  // part with the JSON result. The file's bytes go to `sink` as they arrive;
  // only the "response" part is buffered, within kMaxJsonResponseSize.
  void pull_into(const std::string& path, const detail::OutputSink& sink) {
    const std::string what = "pull " + path;
    std::optional<detail::MultipartReader> reader;
    std::optional<json> envelope;
    std::string response_part;
    enum class Part { kNone, kFile, kResponse } current = Part::kNone;
    int files = 0;
    detail::MultipartHandler handler;
    handler.on_part = [&](const detail::MultipartPart& part) {
      if (part.name == "files") {
        if (!part.filename) throw ProtocolError("multipart \"files\" part missing filename");
        if (++files > 1) {
          throw ProtocolError("single file request resulted in a multi-file response");
        }
        if (*part.filename != path) {
          throw ProtocolError("path not expected: " + detail::go_quote(*part.filename));
        }
        current = Part::kFile;
      } else if (part.name == "response") {
        current = Part::kResponse;
      } else {
        throw ProtocolError("unexpected name in content-disposition header: " +
                            detail::go_quote(part.name));
      }
    };
    handler.on_data = [&](std::string_view bytes) {
      if (current == Part::kFile) {
        sink(bytes);
      } else if (current == Part::kResponse) {
        if (response_part.size() + bytes.size() > kMaxJsonResponseSize) {
          throw ProtocolError(what + ": multipart \"response\" part exceeds the limit of " +
                              std::to_string(kMaxJsonResponseSize >> 20) + " MiB");
        }
        response_part.append(bytes);
      }
    };
    handler.on_end = [&] {
      if (current == Part::kResponse) {
        envelope = parse_envelope({200, {}, {}, response_part});
        response_part.clear();
      }
      current = Part::kNone;
    };
    detail::BodyRouter route = [&](const detail::HttpResponse& head) -> detail::OutputSink {
      if (head.status < 200 || head.status >= 300) return {};  // an error envelope
      reader.emplace(detail::multipart_boundary(head.header("content-type")), handler);
      return [&](std::string_view bytes) { reader->feed(bytes); };
    };
    detail::HttpRequest request{"GET",
                                target("/v1/files", {{"action", "read"}, {"path", path}}),
                                {{"Accept", "multipart/form-data"}},
                                {}};
    const auto response = detail::http_request_streamed(socket_path_, request, timeout_, route);
    if (response.status < 200 || response.status >= 300) throw_api_error(response);
    if (!reader) throw ProtocolError("no multipart body in the response");
    reader->finish();
    if (!envelope) throw ProtocolError("no \"response\" field in multipart body");
    raise_on_path_error(*envelope, path);
    if (files == 0) throw ProtocolError("no file content in multipart response");
  }

  void push(const std::string& path, std::string_view data, const PushOptions& options) override {
    json info = auth_fields(options.permissions, options.user_id, options.user, options.group_id,
                            options.group);
    info["path"] = path;
    if (options.make_dirs) info["make-dirs"] = true;
    detail::MultipartWriter writer;
    writer.add("request", std::nullopt, "application/json",
               json{{"action", "write"}, {"files", json::array({info})}}.dump());
    writer.add("files", path, "application/octet-stream", data);
    const std::string content_type = writer.content_type();
    auto response = raw("POST", "/v1/files", {}, writer.finish(), content_type);
    raise_on_path_error(parse_envelope(response), path);
  }

  void push(const std::string& path, std::istream& data, const PushOptions& options) override {
    std::string content{std::istreambuf_iterator<char>(data), std::istreambuf_iterator<char>()};
    if (data.bad()) throw Error("cannot read the content to push to " + path);
    push(path, std::string_view(content), options);
  }

  std::vector<FileInfo> list_files(const std::string& path,
                                   const ListFilesOptions& options) override {
    Query query{{"action", "list"}, {"path", path}};
    if (options.pattern) query.emplace_back("pattern", *options.pattern);
    if (options.itself) query.emplace_back("itself", "true");
    const json result = field(request("GET", "/v1/files", query), "result");
    if (result.is_null()) return {};
    return decode<std::vector<FileInfo>>(result, "file list");
  }

  void make_dir(const std::string& path, const MakeDirOptions& options) override {
    json info = auth_fields(options.permissions, options.user_id, options.user, options.group_id,
                            options.group);
    info["path"] = path;
    if (options.make_parents) info["make-parents"] = true;
    auto envelope = request("POST", "/v1/files", {},
                            json{{"action", "make-dirs"}, {"dirs", json::array({info})}});
    raise_on_path_error(envelope, path);
  }

  void remove_path(const std::string& path, bool recursive) override {
    json info{{"path", path}};
    if (recursive) info["recursive"] = true;
    auto envelope = request("POST", "/v1/files", {},
                            json{{"action", "remove"}, {"paths", json::array({info})}});
    raise_on_path_error(envelope, path);
  }

  // --------------------------------------------------------------- exec

  std::unique_ptr<ExecProcess> exec(const std::vector<std::string>& command,
                                    const ExecOptions& options) override {
    if (command.empty()) throw Error("exec: command must contain at least one item");
    if (options.combine_stderr && options.stderr_stream != nullptr) {
      throw Error("exec: stderr_stream must be unset when combine_stderr is true");
    }
    json body{{"command", command},
              {"environment", options.environment},
              {"split-stderr", !options.combine_stderr}};
    if (options.working_dir) body["working-dir"] = *options.working_dir;
    if (options.timeout) body["timeout"] = format_duration(*options.timeout);
    if (options.user_id) body["user-id"] = *options.user_id;
    if (options.user) body["user"] = *options.user;
    if (options.group_id) body["group-id"] = *options.group_id;
    if (options.group) body["group"] = *options.group;
    if (options.service_context) body["service-context"] = *options.service_context;
    auto envelope = request("POST", "/v1/exec", {}, body);
    const json change = field(envelope, "change");
    const json result = field(envelope, "result");
    if (!change.is_string() || !result.is_object() || !result.contains("task-id") ||
        !result["task-id"].is_string()) {
      throw ProtocolError("unexpected exec response: " + envelope.dump());
    }
    const std::string change_id = change.get<std::string>();
    const std::string task_id = result["task-id"].get<std::string>();
    std::unique_ptr<detail::ExecChannels> channels;
    try {
      channels =
          detail::ExecChannels::connect(socket_path_, task_id, !options.combine_stderr, timeout_);
    } catch (const Error& e) {
      // The command may have failed before its websockets were connected.
      Change finished = wait_change(change_id, timeout_);
      if (finished.err) throw ChangeError(*finished.err, finished);
      throw ConnectionError(std::string("cannot connect to exec websockets: ") + e.what());
    }
    return std::make_unique<HttpExecProcess>(*this, command, change_id, options.timeout,
                                             std::move(channels), options);
  }

  void send_signal(const std::string& signal, const std::vector<std::string>& services) override {
    request("POST", "/v1/signals", {}, json{{"signal", signal}, {"services", services}});
  }

  // ------------------------------------------------------------- checks

  std::vector<CheckInfo> get_checks(CheckLevel level,
                                    const std::vector<std::string>& names) override {
    Query query;
    if (level != CheckLevel::kUnset) query.emplace_back("level", to_string(level));
    if (!names.empty()) query.emplace_back("names", ops::detail::join(names, ","));
    const json result = field(request("GET", "/v1/checks", query), "result");
    if (result.is_null()) return {};
    return decode<std::vector<CheckInfo>>(result, "checks");
  }

  std::vector<std::string> checks_action(const std::string& action,
                                         const std::vector<std::string>& names) {
    auto envelope = request("POST", "/v1/checks", {}, json{{"action", action}, {"checks", names}});
    const json result = field(envelope, "result");
    if (!result.is_object() || !result.contains("changed")) {
      throw ProtocolError("unexpected checks response: " + envelope.dump());
    }
    if (result["changed"].is_null()) return {};
    return decode<std::vector<std::string>>(result["changed"], "changed checks");
  }

  std::vector<std::string> start_checks(const std::vector<std::string>& names) override {
    return checks_action("start", names);
  }
  std::vector<std::string> stop_checks(const std::vector<std::string>& names) override {
    return checks_action("stop", names);
  }

  // ------------------------------------------------------------ notices

  std::string notify(const std::string& type, const std::string& key,
                     const std::map<std::string, std::string>& data,
                     std::optional<Duration> repeat_after) override {
    json body{{"action", "add"}, {"type", type}, {"key", key}};
    if (!data.empty()) body["data"] = data;
    if (repeat_after) body["repeat-after"] = format_duration(*repeat_after);
    const json result = field(request("POST", "/v1/notices", {}, body), "result");
    if (!result.is_object() || !result.contains("id") || !result["id"].is_string()) {
      throw ProtocolError("unexpected notify response: " + result.dump());
    }
    return result["id"].get<std::string>();
  }

  Notice get_notice(const std::string& id) override {
    return decode<Notice>(field(request("GET", "/v1/notices/" + percent_encode(id)), "result"),
                          "notice");
  }

  std::vector<Notice> get_notices(const NoticesFilter& filter) override {
    Query query;
    if (filter.all_users) query.emplace_back("users", "all");
    if (filter.user_id) query.emplace_back("user-id", std::to_string(*filter.user_id));
    if (!filter.types.empty()) query.emplace_back("types", ops::detail::join(filter.types, ","));
    if (!filter.keys.empty()) query.emplace_back("keys", ops::detail::join(filter.keys, ","));
    if (filter.after) query.emplace_back("after", *filter.after);
    const json result = field(request("GET", "/v1/notices", query), "result");
    if (result.is_null()) return {};
    return decode<std::vector<Notice>>(result, "notices");
  }

 private:
  std::string socket_path_;
  Duration timeout_;
};

int HttpExecProcess::finish() {
  // A broken stream may mean Pebble failed the command: the change says so.
  std::exception_ptr stream_error;
  try {
    channels_->join();
  } catch (const Error&) {
    stream_error = std::current_exception();
  }
  // Without a command timeout the wait is unbounded, as in Python ops; with
  // one, Pebble kills the command then, so allow a second for that.
  const Duration wait = timeout_ ? *timeout_ + Duration(1) : Duration(365.0 * 24 * 3600);
  Change change = client_.wait_change(change_id_, wait);
  if (change.err) throw ChangeError(*change.err, change);
  if (stream_error) std::rethrow_exception(stream_error);
  if (change.tasks.empty()) return -1;
  const json& data = change.tasks.front().data;
  auto it = data.find("exit-code");
  if (it == data.end() || !it->is_number_integer()) return -1;
  return it->get<int>();
}

}  // namespace

std::unique_ptr<Client> make_client(const std::string& socket_path, Duration timeout) {
  return std::make_unique<HttpClient>(socket_path, timeout);
}

}  // namespace ops::pebble
