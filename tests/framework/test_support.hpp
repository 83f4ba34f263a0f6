// Helpers shared by the framework tests: a StateStorage that counts writes and a
// log sink that records lines (TempDir is tests/support's).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ops/log.hpp"
#include "ops/storage.hpp"
#include "support/temp_dir.hpp"

namespace ops_test {

// Forwards to another StateStorage and counts snapshot writes per handle path.
class CountingStorage final : public ops::StateStorage {
 public:
  explicit CountingStorage(ops::StateStorage& inner) : inner_(inner) {}
  void save_snapshot(std::string_view path, const nlohmann::json& data) override {
    ++saves[std::string(path)];
    inner_.save_snapshot(path, data);
  }
  std::optional<nlohmann::json> load_snapshot(std::string_view path) override {
    return inner_.load_snapshot(path);
  }
  void drop_snapshot(std::string_view path) override { inner_.drop_snapshot(path); }
  std::vector<std::string> list_snapshots() override { return inner_.list_snapshots(); }
  std::int64_t save_notice(std::string_view e, std::string_view o, std::string_view m) override {
    return inner_.save_notice(e, o, m);
  }
  void update_notice(std::int64_t sequence, std::string_view o, std::string_view m) override {
    inner_.update_notice(sequence, o, m);
  }
  void drop_notice(std::int64_t sequence) override { inner_.drop_notice(sequence); }
  std::vector<ops::Notice> notices(std::string_view event_path) override {
    return inner_.notices(event_path);
  }
  bool has_notices() override { return inner_.has_notices(); }
  void commit() override { inner_.commit(); }
  void rollback() override { inner_.rollback(); }
  void close() override { inner_.close(); }

  std::map<std::string, int> saves;

 private:
  ops::StateStorage& inner_;
};

// Records log lines while alive; restores standard error afterwards.
class LogCapture {
 public:
  LogCapture() : previous_level_(ops::log::level()) {
    ops::log::set_level(ops::log::Level::debug);
    ops::log::set_sink([this](ops::log::Level level, std::string_view message) {
      lines.emplace_back(std::string(ops::log::to_string(level)) + " " + std::string(message));
    });
  }
  ~LogCapture() {
    ops::log::set_sink(nullptr);
    ops::log::set_level(previous_level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines;

 private:
  ops::log::Level previous_level_;
};

}  // namespace ops_test
