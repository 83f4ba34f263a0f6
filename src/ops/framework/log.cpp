// ops::log: lines go to the installed ops::log::Sink, or, with none, through
// one unregistered spdlog logger to stderr.
#include "ops/log.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace ops::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warning:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// The installed Sink (none: stderr), kept apart from spdlog: a line for the
// Sink goes to it directly, so a dispatch (which always installs one) never
// builds the spdlog logger and its pattern formatter.
struct SinkSlot {
  std::mutex mutex;
  Sink function;
};

// stderr, for lines written while no Sink is installed.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

struct State {
  std::atomic<Level> level{Level::info};
  SinkSlot slot;

  State() {
    if (const char* env = std::getenv(std::string(kLevelEnvVar).c_str())) {
      if (auto parsed = parse_level(env)) level = *parsed;
    }
  }

  // The stderr logger, built at the first line written with no Sink.
  spdlog::logger& logger() {
    std::call_once(logger_built_, [this] {
      logger_ = std::make_unique<spdlog::logger>("ops", std::make_shared<StderrSink>());
      logger_->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
      logger_->set_level(spdlog::level::trace);  // ops::log filters by level
      logger_->flush_on(spdlog::level::trace);
    });
    return *logger_;
  }

 private:
  std::once_flag logger_built_;
  std::unique_ptr<spdlog::logger> logger_;
};

State& state() {
  static State instance;
  return instance;
}

}  // namespace

void write(Level level, std::string_view message) {
  State& s = state();
  if (level < s.level.load(std::memory_order_relaxed)) return;
  {
    std::lock_guard<std::mutex> lock(s.slot.mutex);
    if (s.slot.function) {
      try {
        s.slot.function(level, message);
      } catch (...) {
        // A failing sink must not fail the hook; the line is lost.
      }
      return;
    }
  }
  s.logger().log(to_spdlog(level), "{}", message);
}

void debug(std::string_view message) { write(Level::debug, message); }
void info(std::string_view message) { write(Level::info, message); }
void warning(std::string_view message) { write(Level::warning, message); }
void error(std::string_view message) { write(Level::error, message); }

bool enabled(Level level) noexcept {
  return level >= state().level.load(std::memory_order_relaxed);
}

void set_level(Level level) noexcept { state().level.store(level, std::memory_order_relaxed); }

Level level() noexcept { return state().level.load(std::memory_order_relaxed); }

void set_sink(Sink sink) {
  SinkSlot& slot = state().slot;
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.function = std::move(sink);
}

std::optional<Level> parse_level(std::string_view name) noexcept {
  auto is = [name](std::string_view word) {
    if (name.size() != word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(name[i])) != word[i]) return false;
    }
    return true;
  };
  if (is("debug")) return Level::debug;
  if (is("info")) return Level::info;
  if (is("warning") || is("warn")) return Level::warning;
  if (is("error")) return Level::error;
  return std::nullopt;
}

std::string_view to_string(Level level) noexcept {
  switch (level) {
    case Level::debug:
      return "DEBUG";
    case Level::info:
      return "INFO";
    case Level::warning:
      return "WARNING";
    case Level::error:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace ops::log
