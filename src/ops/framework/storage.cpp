// MemoryStorage and the storage helpers that need no SQLite.
#include "ops/storage.hpp"

#include <algorithm>

namespace ops {

std::filesystem::path default_state_file(const std::filesystem::path& charm_dir) {
  return charm_dir / ".unit-state.db";
}

MemoryStorage::Undo& MemoryStorage::undo() {
  if (!undo_.active) {
    undo_.active = true;
    undo_.changed = false;
    undo_.last_sequence = last_sequence_;
  }
  return undo_;
}

void MemoryStorage::end_transaction() {
  // Up to a few entries' nodes are kept, values dropped, for the next
  // transactions; a transaction that touched many snapshots frees the rest.
  constexpr std::size_t kSpareNodes = 16;
  while (!undo_.snapshots.empty() && undo_.spare.size() < kSpareNodes) {
    auto node = undo_.snapshots.extract(undo_.snapshots.begin());
    node.mapped().reset();
    undo_.spare.push_back(std::move(node));
  }
  undo_.snapshots.clear();
  undo_.notices.clear();
  undo_.active = false;
}

std::map<std::string, nlohmann::json, std::less<>>::iterator MemoryStorage::remember_snapshot(
    std::string_view handle_path) {
  Undo& log = undo();
  log.changed = true;
  auto it = snapshots_.find(handle_path);
  if (log.snapshots.find(handle_path) == log.snapshots.end()) {
    // The value is about to be replaced or dropped: move it into the log,
    // in a spare node when there is one (no allocation).
    std::optional<nlohmann::json> before;
    if (it != snapshots_.end()) before = std::move(it->second);
    if (log.spare.empty()) {
      log.snapshots.emplace(std::string(handle_path), std::move(before));
    } else {
      SnapshotLog::node_type node = std::move(log.spare.back());
      log.spare.pop_back();
      node.key().assign(handle_path);
      node.mapped() = std::move(before);
      log.snapshots.insert(std::move(node));
    }
  }
  return it;
}

std::vector<Notice>::iterator MemoryStorage::find_notice(std::int64_t sequence) {
  auto it = std::lower_bound(notices_.begin(), notices_.end(), sequence,
                             [](const Notice& n, std::int64_t s) { return n.sequence < s; });
  return it != notices_.end() && it->sequence == sequence ? it : notices_.end();
}

void MemoryStorage::remember_notice(std::int64_t sequence) {
  Undo& log = undo();
  if (sequence > log.last_sequence) return;  // saved in this transaction
  log.changed = true;
  if (log.notices.count(sequence)) return;
  auto it = find_notice(sequence);
  log.notices.emplace(sequence, it == notices_.end() ? std::nullopt : std::optional<Notice>(*it));
}

void MemoryStorage::save_snapshot(std::string_view handle_path, const nlohmann::json& data) {
  auto it = remember_snapshot(handle_path);
  if (it != snapshots_.end()) {
    it->second = data;
  } else {
    snapshots_.emplace(std::string(handle_path), data);
  }
}

std::optional<nlohmann::json> MemoryStorage::load_snapshot(std::string_view handle_path) {
  auto it = snapshots_.find(handle_path);
  if (it == snapshots_.end()) return std::nullopt;
  return it->second;
}

void MemoryStorage::drop_snapshot(std::string_view handle_path) {
  if (snapshots_.find(handle_path) == snapshots_.end()) return;
  snapshots_.erase(remember_snapshot(handle_path));
}

std::vector<std::string> MemoryStorage::list_snapshots() {
  std::vector<std::string> paths;
  paths.reserve(snapshots_.size());
  for (const auto& [path, data] : snapshots_) paths.push_back(path);
  return paths;
}

std::int64_t MemoryStorage::save_notice(std::string_view event_path, std::string_view observer_path,
                                        std::string_view method_name) {
  undo();
  const std::int64_t sequence = ++last_sequence_;
  // Into the strings of the last dropped notice: usually no allocation.
  Notice& notice = notices_.emplace_back(std::move(spare_notice_));
  notice.sequence = sequence;
  notice.event_path.assign(event_path);
  notice.observer_path.assign(observer_path);
  notice.method_name.assign(method_name);
  return sequence;
}

void MemoryStorage::update_notice(std::int64_t sequence, std::string_view observer_path,
                                  std::string_view method_name) {
  auto it = find_notice(sequence);
  if (it == notices_.end()) return;
  remember_notice(sequence);
  it->observer_path = std::string(observer_path);
  it->method_name = std::string(method_name);
}

void MemoryStorage::drop_notice(std::int64_t sequence) {
  auto it = find_notice(sequence);
  if (it == notices_.end()) return;
  remember_notice(sequence);
  spare_notice_ = std::move(*it);
  notices_.erase(it);
}

std::vector<Notice> MemoryStorage::notices(std::string_view event_path) {
  std::vector<Notice> result;
  for (const Notice& notice : notices_) {
    if (event_path.empty() || notice.event_path == event_path) result.push_back(notice);
  }
  return result;
}

bool MemoryStorage::has_notices() { return !notices_.empty(); }

bool MemoryStorage::has_changes() {
  if (!undo_.active) return false;
  return undo_.changed || (!notices_.empty() && notices_.back().sequence > undo_.last_sequence);
}

void MemoryStorage::commit() { end_transaction(); }

void MemoryStorage::rollback() {
  if (!undo_.active) return;
  for (auto& [path, before] : undo_.snapshots) {
    if (before) {
      snapshots_.insert_or_assign(path, std::move(*before));
    } else if (auto it = snapshots_.find(path); it != snapshots_.end()) {
      snapshots_.erase(it);
    }
  }
  std::erase_if(notices_, [&](const Notice& n) { return n.sequence > undo_.last_sequence; });
  for (auto& [sequence, before] : undo_.notices) {
    auto it = std::lower_bound(notices_.begin(), notices_.end(), sequence,
                               [](const Notice& n, std::int64_t s) { return n.sequence < s; });
    const bool present = it != notices_.end() && it->sequence == sequence;
    if (before && present) {
      *it = std::move(*before);
    } else if (before) {
      notices_.insert(it, std::move(*before));
    } else if (present) {
      notices_.erase(it);
    }
  }
  last_sequence_ = undo_.last_sequence;
  end_transaction();
}

void MemoryStorage::close() { rollback(); }

const std::map<std::string, nlohmann::json, std::less<>>& MemoryStorage::committed_snapshots()
    const {
  if (!undo_.active || undo_.snapshots.empty()) return snapshots_;
  committed_view_ = snapshots_;
  for (const auto& [path, before] : undo_.snapshots) {
    if (before) {
      committed_view_.insert_or_assign(path, *before);
    } else {
      committed_view_.erase(path);
    }
  }
  return committed_view_;
}

}  // namespace ops
