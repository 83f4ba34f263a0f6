// Logging for ops-cpp and for charms.
//
// ops::log::debug/info/warning/error write one line at a level. By default the
// lines go to standard error at level info; the environment variable
// OPS_LOG_LEVEL (debug, info, warning or error, read once at first use)
// changes the level. set_sink() installs another destination: the dispatch
// installs a sink that forwards every line to Juju through `juju-log`, and
// tests install one that records lines. The implementation uses spdlog, which
// stays out of this header. All functions are thread-safe; none throws except
// a sink that throws, whose exception is swallowed (logging never fails a hook).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ops::log {

// Severity of a log line, lowest first. The names are Juju's (juju-log
// --log-level takes DEBUG, INFO, WARNING, ERROR).
enum class Level { debug, info, warning, error };

// Receives every line at or above the current level, in the calling thread.
using Sink = std::function<void(Level level, std::string_view message)>;

// Writes message at level, if level is enabled.
void write(Level level, std::string_view message);
// Writes message at debug level.
void debug(std::string_view message);
// Writes message at info level.
void info(std::string_view message);
// Writes message at warning level.
void warning(std::string_view message);
// Writes message at error level.
void error(std::string_view message);

// True when a line at level would be written (use it to skip building costly
// messages).
[[nodiscard]] bool enabled(Level level) noexcept;
// Sets the lowest level written.
void set_level(Level level) noexcept;
// The lowest level written.
[[nodiscard]] Level level() noexcept;

// Sends every line to sink instead of standard error; an empty sink restores
// standard error.
void set_sink(Sink sink);

// "debug", "info", "warning" (or "warn"), "error", in any case; nullopt otherwise.
[[nodiscard]] std::optional<Level> parse_level(std::string_view name) noexcept;
// "DEBUG", "INFO", "WARNING" or "ERROR": the names juju-log takes.
[[nodiscard]] std::string_view to_string(Level level) noexcept;

// Name of the environment variable that sets the initial level.
inline constexpr std::string_view kLevelEnvVar = "OPS_LOG_LEVEL";

}  // namespace ops::log
