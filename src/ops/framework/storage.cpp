// MemoryStorage and the storage helpers that need no SQLite.
#include "ops/storage.hpp"

namespace ops {

std::filesystem::path default_state_file(const std::filesystem::path& charm_dir) {
  return charm_dir / ".unit-state.db";
}

void MemoryStorage::begin_change() {
  if (!committed_) committed_ = current_;
}

void MemoryStorage::save_snapshot(std::string_view handle_path, const nlohmann::json& data) {
  begin_change();
  auto it = current_.snapshots.find(handle_path);
  if (it != current_.snapshots.end()) {
    it->second = data;
  } else {
    current_.snapshots.emplace(std::string(handle_path), data);
  }
}

std::optional<nlohmann::json> MemoryStorage::load_snapshot(std::string_view handle_path) {
  auto it = current_.snapshots.find(handle_path);
  if (it == current_.snapshots.end()) return std::nullopt;
  return it->second;
}

void MemoryStorage::drop_snapshot(std::string_view handle_path) {
  auto it = current_.snapshots.find(handle_path);
  if (it == current_.snapshots.end()) return;
  begin_change();
  current_.snapshots.erase(current_.snapshots.find(handle_path));
}

std::vector<std::string> MemoryStorage::list_snapshots() {
  std::vector<std::string> paths;
  paths.reserve(current_.snapshots.size());
  for (const auto& [path, data] : current_.snapshots) paths.push_back(path);
  return paths;
}

std::int64_t MemoryStorage::save_notice(std::string_view event_path, std::string_view observer_path,
                                        std::string_view method_name) {
  begin_change();
  const std::int64_t sequence = ++current_.last_sequence;
  current_.notices.emplace_hint(current_.notices.end(), sequence,
                                Notice{sequence, std::string(event_path),
                                       std::string(observer_path), std::string(method_name)});
  return sequence;
}

void MemoryStorage::update_notice(std::int64_t sequence, std::string_view observer_path,
                                  std::string_view method_name) {
  if (current_.notices.find(sequence) == current_.notices.end()) return;
  begin_change();
  Notice& notice = current_.notices.at(sequence);
  notice.observer_path = std::string(observer_path);
  notice.method_name = std::string(method_name);
}

void MemoryStorage::drop_notice(std::int64_t sequence) {
  if (current_.notices.find(sequence) == current_.notices.end()) return;
  begin_change();
  current_.notices.erase(sequence);
}

std::vector<Notice> MemoryStorage::notices(std::string_view event_path) {
  std::vector<Notice> result;
  for (const auto& [sequence, notice] : current_.notices) {
    if (event_path.empty() || notice.event_path == event_path) result.push_back(notice);
  }
  return result;
}

bool MemoryStorage::has_notices() { return !current_.notices.empty(); }

void MemoryStorage::commit() { committed_.reset(); }

void MemoryStorage::rollback() {
  if (committed_) {
    current_ = std::move(*committed_);
    committed_.reset();
  }
}

void MemoryStorage::close() { rollback(); }

const std::map<std::string, nlohmann::json, std::less<>>& MemoryStorage::committed_snapshots()
    const {
  return committed_ ? committed_->snapshots : current_.snapshots;
}

}  // namespace ops
