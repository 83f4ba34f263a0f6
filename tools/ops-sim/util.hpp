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

namespace ops_sim {

// A failure to report to the user, with a message that names the problem.
class SimError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Splits on every occurrence of sep (keeps empty fields).
std::vector<std::string> split(std::string_view s, char sep);
// Joins with sep between items.
std::string join(const std::vector<std::string>& items, std::string_view sep);
// Strips ASCII whitespace at both ends.
std::string trim(std::string_view s);
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
