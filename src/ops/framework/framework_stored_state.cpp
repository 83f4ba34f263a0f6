// StoredStateBase and StoredState: lazily loaded, saved by Framework::commit().
#include "ops/framework.hpp"

namespace ops {

StoredStateBase::StoredStateBase(Object& parent, std::string_view attr_name)
    : Object(parent, "StoredStateData", attr_name) {
  framework().register_stored_state(*this);
}

StoredStateBase::~StoredStateBase() { framework().forget_stored_state(*this); }

const nlohmann::json& StoredStateBase::stored_snapshot() const {
  if (!stored_) {
    framework().check_open();
    stored_ = framework().storage().load_snapshot(handle().path()).value_or(nullptr);
  }
  return *stored_;
}

void StoredStateBase::saved(nlohmann::json snapshot) {
  stored_ = std::move(snapshot);
  on_saved();
}

StoredState::StoredState(Object& parent, std::string_view attr_name)
    : StoredStateBase(parent, attr_name) {}

void StoredState::load() const {
  if (loaded_) return;
  const nlohmann::json& stored = stored_snapshot();
  if (stored.is_null()) {
    data_ = nlohmann::json::object();
  } else if (stored.is_object()) {
    data_ = stored;
  } else {
    throw FrameworkError("stored state " + handle().path() +
                         " is not a JSON object: " + stored.dump());
  }
  loaded_ = true;
}

bool StoredState::contains(std::string_view key) const {
  load();
  return data_.find(key) != data_.end();
}

const nlohmann::json& StoredState::get(std::string_view key) const {
  load();
  auto it = data_.find(key);
  if (it == data_.end()) {
    throw FrameworkError("attribute '" + std::string(key) + "' is not stored in " +
                         handle().path());
  }
  return *it;
}

void StoredState::set(std::string_view key, nlohmann::json value) {
  load();
  auto it = data_.find(key);
  if (it != data_.end()) {
    if (*it == value) return;
    *it = std::move(value);
  } else {
    data_.emplace(std::string(key), std::move(value));
  }
  dirty_ = true;
}

void StoredState::set_default(std::string_view key, nlohmann::json value) {
  if (!contains(key)) set(key, std::move(value));
}

void StoredState::set_default(const nlohmann::json& defaults) {
  if (!defaults.is_object()) {
    throw FrameworkError("set_default on " + handle().path() + " needs a JSON object, got " +
                         defaults.dump());
  }
  for (const auto& [key, value] : defaults.items()) set_default(key, value);
}

void StoredState::erase(std::string_view key) {
  load();
  auto it = data_.find(key);
  if (it == data_.end()) return;
  data_.erase(it);
  dirty_ = true;
}

const nlohmann::json& StoredState::data() const {
  load();
  return data_;
}

nlohmann::json& StoredState::operator[](std::string_view key) {
  load();
  exposed_ = true;
  auto it = data_.find(key);
  if (it == data_.end()) it = data_.emplace(std::string(key), nullptr).first;
  return *it;
}

nlohmann::json& StoredState::mutable_data() {
  load();
  exposed_ = true;
  return data_;
}

bool StoredState::changed() const {
  if (dirty_) return true;
  if (!exposed_) return false;
  const nlohmann::json& stored = stored_snapshot();
  return stored.is_null() ? !(data_.is_object() && data_.empty()) : data_ != stored;
}

nlohmann::json StoredState::current_snapshot() const {
  load();
  if (!data_.is_object()) {
    throw FrameworkError("stored state " + handle().path() + " must stay a JSON object, got " +
                         data_.dump());
  }
  return data_;
}

}  // namespace ops
