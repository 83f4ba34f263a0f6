// The shared test-support library: the tests' side of the fake Juju hook
// tools (tests/support/fake_juju/fake_hook_tool.cpp, the one fake of Juju's
// hook-tool processes). A FakeJuju puts a bin directory first on PATH for its
// lifetime and answers each tool from a canned answer (tool(), script()) or,
// after set_state(), from a model as strict as Juju; calls() reads back every
// call, its stdin and the content of any KEY#file=PATH argument.
// Link ops_fake_juju (it gives OPS_FAKE_HOOK_TOOL and the build order).
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace ops_test {

// One hook-tool call, as the fake logged it.
struct ToolCall {
  std::vector<std::string> argv;   // argv[0] is the tool name
  std::string stdin_text;          // relation-set's input; "" for other tools
  std::vector<std::string> files;  // contents of KEY#file=PATH arguments, in order
};

class FakeJuju {
 public:
  FakeJuju() {
    std::filesystem::create_directories(bin_);
    std::filesystem::create_directories(root() / "answers");
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    ::setenv("PATH",
             (bin_.string() + ":" + (old_path_.empty() ? "/usr/bin:/bin" : old_path_)).c_str(), 1);
    ::setenv("FAKE_JUJU_STATE", root().c_str(), 1);
    ::setenv("FAKE_JUJU_LOG", log().c_str(), 1);
  }
  ~FakeJuju() {
    ::setenv("PATH", old_path_.c_str(), 1);
    ::unsetenv("FAKE_JUJU_STATE");
    ::unsetenv("FAKE_JUJU_LOG");
  }
  FakeJuju(const FakeJuju&) = delete;
  FakeJuju& operator=(const FakeJuju&) = delete;

  // `name` prints `out` on stdout, `err` on stderr, and exits with `rc`.
  void tool(const std::string& name, const std::string& out, int rc = 0,
            const std::string& err = "") {
    write_file(answer(name), out);
    write_file(answer(name + ".err"), err);
    write_file(answer(name + ".rc"), std::to_string(rc));
    std::filesystem::remove(answer(name + ".sh"));
    link(name);
  }

  // `name` runs `body` (POSIX sh; "$@" is its argv, $0 the tool's path).
  void script(const std::string& name, const std::string& body) {
    write_file(answer(name + ".sh"), body);
    std::filesystem::remove(answer(name));
    link(name);
  }

  // The model (JSON, see fake_hook_tool.cpp) every tool without a canned
  // answer reads and writes; puts all the tools on PATH.
  void set_state(const std::string& state_json) {
    write_file(root() / "state.json", state_json);
    const std::string command =
        std::string("'") + OPS_FAKE_HOOK_TOOL + "' --install '" + bin_.string() + "'";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  // The model as the tools left it.
  [[nodiscard]] std::string state() const { return read_file(root() / "state.json"); }

  // Every call so far, in order.
  [[nodiscard]] std::vector<ToolCall> calls() const {
    std::vector<ToolCall> out;
    if (!std::filesystem::exists(log())) return out;
    const std::string text = read_file(log());
    std::size_t pos = 0;
    while (pos < text.size()) out.push_back(parse_call(text, pos));
    return out;
  }

  // The argv of every call so far.
  [[nodiscard]] std::vector<std::vector<std::string>> argvs() const {
    std::vector<std::vector<std::string>> out;
    for (auto& c : calls()) out.push_back(c.argv);
    return out;
  }

  // How many times `name` ran.
  [[nodiscard]] int count(const std::string& name) const {
    int n = 0;
    for (auto& c : calls()) n += c.argv.at(0) == name ? 1 : 0;
    return n;
  }

  // The environment a process started with `env -i` needs to run the tools:
  // PATH, FAKE_JUJU_STATE and FAKE_JUJU_LOG, as shell assignments.
  [[nodiscard]] std::string env_assignments() const {
    return "PATH='" + bin_.string() + ":/usr/bin:/bin' FAKE_JUJU_STATE='" + root().string() +
           "' FAKE_JUJU_LOG='" + log().string() + "'";
  }

  void clear_calls() { std::filesystem::remove(log()); }
  // The directory on PATH (a test may put its own executables there).
  [[nodiscard]] const std::filesystem::path& dir() const { return bin_; }

 private:
  [[nodiscard]] const std::filesystem::path& root() const { return tmp_.path(); }
  [[nodiscard]] std::filesystem::path log() const { return root() / "calls.log"; }
  [[nodiscard]] std::filesystem::path answer(const std::string& file) const {
    return root() / "answers" / file;
  }
  void link(const std::string& name) {
    std::filesystem::remove(bin_ / name);
    std::filesystem::create_symlink(OPS_FAKE_HOOK_TOOL, bin_ / name);
  }

  // One single-quoted shell word at `pos` ('\'' inside for a quote).
  static std::string parse_word(const std::string& text, std::size_t& pos) {
    if (text.compare(pos, 1, "'") != 0) throw std::runtime_error("bad hook-tool log: " + text);
    std::string word;
    ++pos;
    while (true) {
      const auto end = text.find('\'', pos);
      if (end == std::string::npos) throw std::runtime_error("bad hook-tool log: " + text);
      word += text.substr(pos, end - pos);
      pos = end + 1;
      if (text.compare(pos, 3, "\\''") != 0) return word;
      word += '\'';
      pos += 3;
    }
  }

  // One logged call at `pos`:
  // [printf %s 'input' | ]name 'arg'...[ # files: 'content'...]\n
  static ToolCall parse_call(const std::string& text, std::size_t& pos) {
    ToolCall call;
    if (text.compare(pos, 10, "printf %s ") == 0) {
      pos += 10;
      call.stdin_text = parse_word(text, pos);
      pos += 3;  // " | "
    }
    const auto name_end = text.find_first_of(" \n", pos);
    call.argv.push_back(text.substr(pos, name_end - pos));
    pos = name_end;
    bool files = false;
    while (pos < text.size() && text[pos] == ' ') {
      ++pos;
      if (text.compare(pos, 8, "# files:") == 0) {
        files = true;
        pos += 8;
        continue;
      }
      (files ? call.files : call.argv).push_back(parse_word(text, pos));
    }
    ++pos;  // "\n"
    return call;
  }

  TempDir tmp_{"ops-fake-juju-"};
  const std::filesystem::path bin_ = tmp_.path() / "bin";
  std::string old_path_;
};

}  // namespace ops_test
