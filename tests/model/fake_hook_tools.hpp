// Fake Juju hook tools for tests: shell scripts in a temporary directory put
// first on PATH. Each call appends its argv (and stdin, and the content of any
// KEY#file=PATH argument) to a log the test reads back; each tool answers with
// canned stdout/stderr/exit status, or runs a custom script body.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace ops::test {

struct ToolCall {
  std::vector<std::string> argv;   // argv[0] is the tool name
  std::string stdin_text;          // "" when nothing was written
  std::vector<std::string> files;  // contents of KEY#file=PATH arguments, in order
};

class FakeHookTools {
 public:
  FakeHookTools() {
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    ::setenv("PATH",
             (dir_.string() + ":" + (old_path_.empty() ? "/usr/bin:/bin" : old_path_)).c_str(), 1);
  }
  ~FakeHookTools() { ::setenv("PATH", old_path_.c_str(), 1); }
  FakeHookTools(const FakeHookTools&) = delete;
  FakeHookTools& operator=(const FakeHookTools&) = delete;

  // `name` prints `out` on stdout, `err` on stderr, and exits with `rc`.
  void tool(const std::string& name, const std::string& out, int rc = 0,
            const std::string& err = "") {
    write_file(dir_ / (name + ".out"), out);
    write_file(dir_ / (name + ".err"), err);
    script(name, "cat '" + (dir_ / (name + ".out")).string() + "'\ncat '" +
                     (dir_ / (name + ".err")).string() + "' >&2\nexit " + std::to_string(rc) +
                     "\n");
  }

  // `name` runs `body` (POSIX sh, "$@" is its argv) after logging the call.
  void script(const std::string& name, const std::string& body) {
    std::string log = (dir_ / "calls.log").string();
    std::string text =
        "#!/bin/sh\n"
        "{\n"
        "  printf '%s' '" +
        name +
        "'\n"
        "  for a in \"$@\"; do printf '\\037%s' \"$a\"; done\n"
        "  printf '\\037<stdin>'; cat\n"
        "  for a in \"$@\"; do case \"$a\" in *'#file='*) printf '\\037<file>'; cat "
        "\"${a#*#file=}\";; esac; done\n"
        "  printf '\\036'\n"
        "} >> '" +
        log + "'\n" + body;
    auto path = dir_ / name;
    write_file(path, text);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }

  // Every call so far, in order.
  std::vector<ToolCall> calls() const {
    std::vector<ToolCall> out;
    std::ifstream in(dir_ / "calls.log", std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\036', start);
      if (end == std::string::npos) end = text.size();
      std::string record = text.substr(start, end - start);
      start = end + 1;
      ToolCall call;
      std::size_t pos = 0;
      while (true) {
        auto sep = record.find('\037', pos);
        std::string field =
            record.substr(pos, sep == std::string::npos ? std::string::npos : sep - pos);
        if (field.rfind("<stdin>", 0) == 0) {
          call.stdin_text = field.substr(7);
        } else if (field.rfind("<file>", 0) == 0) {
          call.files.push_back(field.substr(6));
        } else {
          call.argv.push_back(field);
        }
        if (sep == std::string::npos) break;
        pos = sep + 1;
      }
      out.push_back(std::move(call));
    }
    return out;
  }

  // The argv of every call so far.
  std::vector<std::vector<std::string>> argvs() const {
    std::vector<std::vector<std::string>> out;
    for (auto& c : calls()) out.push_back(c.argv);
    return out;
  }

  // How many times `name` ran.
  int count(const std::string& name) const {
    int n = 0;
    for (auto& c : calls()) n += c.argv.at(0) == name ? 1 : 0;
    return n;
  }

  void clear_calls() { std::filesystem::remove(dir_ / "calls.log"); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  static void write_file(const std::filesystem::path& path, const std::string& text) {
    ops_test::write_file(path, text);
  }

  ops_test::TempDir tmp_{"ops-fake-tools-"};
  const std::filesystem::path& dir_ = tmp_.path();
  std::string old_path_;
};

}  // namespace ops::test
