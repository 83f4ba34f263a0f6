// Small helpers shared by every part of ops-sim: the error type the CLI
// reports, string utilities, and running a command and capturing its output.
//
// SimError is what every user-facing failure throws; the CLI prints it as
// "ERROR <message>" on stderr and exits 1, as juju does.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ops/detail/strings.hpp"

namespace ops_sim {

// A failure to report to the user, with a message that names the problem.
class SimError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// split (keeps empty fields), join and trim (ASCII whitespace): the
// project's one copy, shared with the ops library.
using ops::detail::join;
using ops::detail::split;
using ops::detail::trim;
// Parses "key=value"; throws SimError naming `what` when '=' is missing.
std::pair<std::string, std::string> parse_key_value(const std::string& arg, std::string_view what);
// Parses a decimal integer; nullopt when s is not one.
std::optional<long long> parse_int(std::string_view s);

// The whole content of a file; throws SimError when it cannot be read.
std::string read_file(const std::filesystem::path& path);
// Writes content in place (truncating), so bind mounts of the file see it.
void write_file(const std::filesystem::path& path, std::string_view content);

// Exit code, standard output and standard error of a finished command.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (found on PATH) with argv, feeding `input` on stdin, and waits.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "");
// Like run_command but throws SimError with the command's stderr on failure.
std::string check_command(const std::vector<std::string>& argv, const std::string& input = "");

// A random lowercase hex string of n characters (from /dev/urandom).
std::string random_hex(size_t n);
// Current UTC time as RFC 3339 ("2024-01-02T03:04:05Z").
std::string now_rfc3339();

}  // namespace ops_sim
