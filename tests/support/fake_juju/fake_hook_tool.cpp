// fake-hook-tool: the one fake of Juju's hook-tool processes, for the tests
// (through ops_test::FakeJuju, tests/support/fake_juju.hpp) and the benches
// (bench/dispatch, bench/redis_k8s). One executable, symlinked under each
// tool's name (`fake-hook-tool --install DIR` makes the links).
//
// Environment: FAKE_JUJU_STATE, a directory holding the model (state.json)
// and the canned answers (answers/); FAKE_JUJU_LOG, where each call is
// appended as a line of shell that replays it:
//   name 'arg' ...                      (a call without input)
//   printf %s 'input' | name 'arg' ...  (relation-set, which reads stdin)
// followed by ` # files: 'content' ...` when an argument is KEY#file=PATH
// (secret content), so that the content outlives the file.
//
// A call is answered, in this order, by
//   answers/NAME.sh   a POSIX sh body run with the call's argv ($0 is the
//                     tool's path on PATH), for a tool that must misbehave;
//   answers/NAME      fixed stdout, with answers/NAME.err (stderr) and
//                     answers/NAME.rc (exit status) when present;
//   state.json        the model, as strict as Juju (below).
// state.json: {"leader": bool, "config": {...}, "goal-state": {...},
//   "relations": {"ID": {"endpoint": E, "remote-app": A, "units": [U...],
//                        "data": {"unit/0" or "app": {k: v}}}},
//   "status": {"unit"|"app": {"status", "message"}}, "version": V,
//   "resources": {NAME: PATH}}
// Only the argv forms ops-cpp runs (src/ops/model/hookcmds.cpp) are
// accepted; as in Juju an unknown relation is a usage error ("relation not
// found", exit 2), and app data and app status are the leader's alone.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// Every tool name --install links (the tools ops-cpp runs).
const std::vector<std::string> kToolNames = {
    "action-fail",   "action-get",    "action-log",     "action-set",   "application-version-set",
    "close-port",    "config-get",    "credential-get", "goal-state",   "is-leader",
    "juju-log",      "juju-reboot",   "network-get",    "open-port",    "opened-ports",
    "relation-get",  "relation-ids",  "relation-list",  "relation-set", "resource-get",
    "secret-add",    "secret-get",    "secret-grant",   "secret-ids",   "secret-info-get",
    "secret-remove", "secret-revoke", "secret-set",     "state-delete", "state-get",
    "state-set",     "status-get",    "status-set",     "storage-add",  "storage-get",
    "storage-list"};

// A Juju tool failure: "ERROR <message>" on stderr, exit `code` (1 for a
// refused call, 2 for bad usage, as Juju's cmd package does).
struct ToolError {
  int code;
  std::string message;
};

std::string read_all(std::istream& in) {
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::optional<std::string> read_if_exists(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return read_all(in);
}

// `word` single-quoted for the shell.
std::string quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void append_log(const std::string& name, const std::vector<std::string>& args,
                const std::optional<std::string>& input) {
  const char* log = std::getenv("FAKE_JUJU_LOG");
  if (log == nullptr || *log == '\0') return;
  std::string line;
  if (input) line = "printf %s " + quote(*input) + " | ";
  line += name;
  for (const auto& arg : args) line += " " + quote(arg);
  std::string files;
  for (const auto& arg : args) {
    auto at = arg.find("#file=");
    if (at == std::string::npos) continue;
    files += " " + quote(read_if_exists(arg.substr(at + 6)).value_or(""));
  }
  if (!files.empty()) line += " # files:" + files;
  line += "\n";
  // One append per call: concurrent tools never interleave their lines.
  int fd = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::perror(log);
    std::exit(2);
  }
  ::close(fd);
}

// Where the shell found the tool: argv[0] when it holds a '/', else the
// first PATH entry holding an executable of that name.
std::string tool_path(const std::string& argv0) {
  if (argv0.find('/') != std::string::npos) return argv0;
  const char* path = std::getenv("PATH");
  std::string entries = path ? path : "";
  std::size_t start = 0;
  while (start <= entries.size()) {
    auto end = entries.find(':', start);
    if (end == std::string::npos) end = entries.size();
    std::string candidate = entries.substr(start, end - start) + "/" + argv0;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return argv0;
}

// Runs answers/NAME.sh in place of this process, with the consumed input
// (if any) back on stdin.
[[noreturn]] void exec_script(const fs::path& script, const char* argv0,
                              const std::vector<std::string>& args,
                              const std::optional<std::string>& input) {
  std::string body = read_if_exists(script).value_or("");
  std::string self = tool_path(argv0);
  if (input) {
    FILE* tmp = std::tmpfile();
    if (tmp == nullptr || std::fwrite(input->data(), 1, input->size(), tmp) != input->size() ||
        std::fflush(tmp) != 0 || std::fseek(tmp, 0, SEEK_SET) != 0 ||
        ::dup2(::fileno(tmp), STDIN_FILENO) < 0) {
      std::perror("fake-hook-tool: stdin");
      std::exit(2);
    }
  }
  std::vector<char*> argv = {const_cast<char*>("sh"), const_cast<char*>("-c"), body.data(),
                             self.data()};
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execv("/bin/sh", argv.data());
  std::perror("fake-hook-tool: /bin/sh");
  std::exit(2);
}

// The model in state.json and the hook's unit.
class Model {
 public:
  Model(fs::path dir, std::string unit) : path_(dir / "state.json"), unit_(std::move(unit)) {
    std::ifstream in(path_);
    if (!in) throw ToolError{2, "fake hook tool: no " + path_.string()};
    state_ = json::parse(in);
  }

  int run(const std::string& name, const std::vector<std::string>& a,
          const std::optional<std::string>& input) {
    const auto n = a.size();
    if (name == "is-leader" && a == std::vector<std::string>{"--format=json"}) {
      return print(json(leader()));
    }
    if (name == "config-get" && a == std::vector<std::string>{"--format=json"}) {
      return print(state_.value("config", json::object()));
    }
    if (name == "goal-state" && a == std::vector<std::string>{"--format=json"}) {
      return print(state_.value("goal-state",
                                json{{"units", json::object()}, {"relations", json::object()}}));
    }
    if (name == "juju-log" && n >= 2 && a[0] == "--log-level") return 0;
    if (name == "relation-ids" && n == 2 && a[1] == "--format=json") {
      json ids = json::array();
      for (const auto& [id, rel] : relations().items()) {
        if (rel.value("endpoint", "") == a[0]) ids.push_back(a[0] + ":" + id);
      }
      return print(ids);
    }
    if (name == "relation-list" && n >= 3 && a[0] == "-r" && a.back() == "--format=json") {
      json& rel = relation(a[1]);
      if (n == 4 && a[2] == "--app") return print(rel.value("remote-app", json("")));
      if (n == 3) return print(rel.value("units", json::array()));
    }
    if (name == "relation-get" && n >= 5 && a[0] == "-r" && a[2] == "-" &&
        a.back() == "--format=json" && (n == 5 || (n == 6 && a[4] == "--app"))) {
      json& rel = relation(a[1]);
      if (n == 6 && a[3] == app() && !leader()) throw ToolError{1, "permission denied"};
      return print(rel["data"].value(a[3], json::object()));
    }
    if (name == "relation-set" && n >= 4 && a[0] == "-r" && a[n - 2] == "--file" &&
        a[n - 1] == "-" && (n == 4 || (n == 5 && a[2] == "--app"))) {
      json& rel = relation(a[1]);
      std::string entity = unit_;
      if (n == 5) {
        if (!leader()) throw ToolError{1, "cannot write relation settings: permission denied"};
        entity = app();
      }
      json& data = rel["data"][entity];
      if (!data.is_object()) data = json::object();
      const json settings = json::parse(input.value_or("{}"));
      for (const auto& [key, value] : settings.items()) {
        if (value == "") {
          data.erase(key);
        } else {
          data[key] = value;
        }
      }
      return save();
    }
    if (name == "status-set" && n == 4 && a[2] == "--" &&
        (a[0] == "--application=True" || a[0] == "--application=False")) {
      std::string key = "unit";
      if (a[0] == "--application=True") {
        if (!leader()) {
          throw ToolError{1, "cannot set application status: this unit is not the leader"};
        }
        key = "app";
      }
      state_["status"][key] = {{"status", a[1]}, {"message", a[3]}};
      return save();
    }
    if (name == "status-get" && n == 3 && a[0] == "--include-data" && a[2] == "--format=json") {
      json unknown = {{"status", "unknown"}, {"message", ""}};
      if (a[1] == "--application=False") {
        json s = status("unit").value_or(unknown);
        s["status-data"] = json::object();
        return print(s);
      }
      if (a[1] == "--application=True") {
        if (!leader())
          throw ToolError{1, "finding application status: this unit is not the leader"};
        json s = status("app").value_or(unknown);
        s["status-data"] = json::object();
        s["units"] = json::object();
        return print(json{{"application-status", s}});
      }
    }
    if (name == "application-version-set" && n == 2 && a[0] == "--") {
      state_["version"] = a[1];
      return save();
    }
    if (name == "resource-get" && n == 1) {
      auto path = state_.value("resources", json::object()).value(a[0], "");
      if (path.empty()) {
        throw ToolError{1, "could not download resource: resource \"" + a[0] + "\" not found"};
      }
      std::cout << path << "\n";
      return 0;
    }
    std::string call = name;
    for (const auto& arg : a) call += " " + arg;
    throw ToolError{2, "fake hook tool: unsupported call: " + call};
  }

 private:
  bool leader() const { return state_.value("leader", false); }
  std::string app() const { return unit_.substr(0, unit_.find('/')); }
  json& relations() {
    json& rels = state_["relations"];
    if (!rels.is_object()) rels = json::object();
    return rels;
  }
  // Relation `id`, or the usage error Juju's -r flag gives for an unknown one.
  json& relation(const std::string& id) {
    json& rels = relations();
    if (!rels.contains(id)) {
      throw ToolError{2, "invalid value \"" + id + "\" for option -r: relation not found"};
    }
    return rels[id];
  }
  std::optional<json> status(const std::string& key) const {
    if (!state_.contains("status") || !state_["status"].contains(key)) return std::nullopt;
    return state_["status"][key];
  }
  static int print(const json& value) {
    std::cout << value.dump() << "\n";
    return 0;
  }
  int save() {
    fs::path next = path_.string() + ".new";
    {
      std::ofstream out(next);
      out << state_.dump(2) << "\n";
      if (!out) throw ToolError{2, "fake hook tool: cannot write " + next.string()};
    }
    fs::rename(next, path_);
    return 0;
  }

  fs::path path_;
  std::string unit_;
  json state_;
};

int install(const fs::path& self, const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& name : kToolNames) {
    fs::remove(dir / name);
    fs::create_symlink(self, dir / name);
  }
  return 0;
}

int run_tool(const char* argv0, const std::string& name, const std::vector<std::string>& args) {
  const char* dir_env = std::getenv("FAKE_JUJU_STATE");
  if (dir_env == nullptr || *dir_env == '\0') throw ToolError{2, "FAKE_JUJU_STATE is not set"};
  const fs::path dir = dir_env;
  std::optional<std::string> input;
  if (name == "relation-set") input = read_all(std::cin);
  append_log(name, args, input);

  const fs::path answer = dir / "answers" / name;
  if (::access((answer.string() + ".sh").c_str(), R_OK) == 0) {
    exec_script(answer.string() + ".sh", argv0, args, input);
  }
  if (auto out = read_if_exists(answer)) {
    std::cout << *out << std::flush;
    std::cerr << read_if_exists(answer.string() + ".err").value_or("");
    return std::atoi(read_if_exists(answer.string() + ".rc").value_or("0").c_str());
  }
  const char* unit = std::getenv("JUJU_UNIT_NAME");
  if (unit == nullptr || *unit == '\0') throw ToolError{2, "JUJU_UNIT_NAME is not set"};
  return Model(dir, unit).run(name, args, input);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::string name = fs::path(argv[0]).filename().string();
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (name == "fake-hook-tool") {
      if (args.size() == 2 && args[0] == "--install") {
        return install(fs::canonical("/proc/self/exe"), args[1]);
      }
      std::cerr << "usage: fake-hook-tool --install DIR (then run the tools by name)\n";
      return 2;
    }
    return run_tool(argv[0], name, args);
  } catch (const ToolError& e) {
    std::cout << std::flush;
    std::cerr << "ERROR " << e.message << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "ERROR fake hook tool: " << e.what() << "\n";
    return 2;
  }
}
