// Handle, Object, events and the Framework's emit/defer/reemit/commit loop.
#include "ops/framework.hpp"

#include <algorithm>
#include <array>

#include "ops/log.hpp"

namespace ops {
namespace {

bool is_path_char(char c) { return c != '/' && c != '[' && c != ']'; }

void check_kind(std::string_view kind) {
  if (kind.empty()) throw FrameworkError("handle kind must not be empty");
  if (!std::all_of(kind.begin(), kind.end(), is_path_char)) {
    throw FrameworkError("handle kind '" + std::string(kind) + "' contains '/', '[' or ']'");
  }
}

void check_key(std::optional<std::string_view> key) {
  if (!key) return;
  if (key->empty()) throw FrameworkError("handle key must not be empty (omit it instead)");
  if (!std::all_of(key->begin(), key->end(), is_path_char)) {
    throw FrameworkError("handle key '" + std::string(*key) + "' contains '/', '[' or ']'");
  }
}

// Which bytes may appear in an identifier: 1 anywhere, 2 not first (digits).
// A table, as every event source of every dispatch checks its kind.
constexpr std::array<std::uint8_t, 256> kIdentifierBytes = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = 1;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = 1;
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = 2;
  table['_'] = 1;
  return table;
}();

bool is_identifier(std::string_view name) {
  if (name.empty() || kIdentifierBytes[static_cast<unsigned char>(name.front())] != 1) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return kIdentifierBytes[static_cast<unsigned char>(c)] != 0; });
}

// "Emitter/kind[12]" -> "Emitter/kind": the key of the event source registry.
std::string_view without_key(std::string_view event_path) {
  if (!event_path.empty() && event_path.back() == ']') {
    const auto open = event_path.rfind('[');
    if (open != std::string_view::npos) return event_path.substr(0, open);
  }
  return event_path;
}

}  // namespace

// ---- Handle ------------------------------------------------------------------

Handle::Handle(std::string_view kind, std::optional<std::string_view> key) {
  check_kind(kind);
  check_key(key);
  *this = unchecked({}, kind, key.value_or(std::string_view{}));
}

Handle::Handle(const Handle& parent, std::string_view kind, std::optional<std::string_view> key) {
  check_kind(kind);
  check_key(key);
  *this = unchecked(parent.path_, kind, key.value_or(std::string_view{}));
}

Handle Handle::unchecked(std::string_view parent_path, std::string_view kind,
                         std::string_view key) {
  Handle h;
  h.path_.reserve(parent_path.size() + kind.size() + key.size() + 3);
  if (!parent_path.empty()) {
    h.path_.append(parent_path);
    h.path_.push_back('/');
  }
  h.kind_begin_ = static_cast<std::uint32_t>(h.path_.size());
  h.path_.append(kind);
  h.kind_end_ = static_cast<std::uint32_t>(h.path_.size());
  if (!key.empty()) {
    h.path_.push_back('[');
    h.path_.append(key);
    h.path_.push_back(']');
  }
  return h;
}

Handle Handle::from_path(std::string_view path) {
  auto malformed = [&](const char* why) {
    return FrameworkError("malformed handle path '" + std::string(path) + "': " + why);
  };
  if (path.empty()) throw malformed("empty");
  std::size_t begin = 0;
  std::size_t last_begin = 0;
  std::size_t last_kind_end = 0;
  while (true) {
    const std::size_t slash = path.find('/', begin);
    const std::string_view part = path.substr(
        begin, slash == std::string_view::npos ? std::string_view::npos : slash - begin);
    if (part.empty()) throw malformed("empty element");
    const std::size_t open = part.find('[');
    std::size_t kind_len = part.size();
    if (open != std::string_view::npos) {
      if (part.back() != ']' || open + 2 >= part.size()) throw malformed("bad [key]");
      const std::string_view key = part.substr(open + 1, part.size() - open - 2);
      if (!std::all_of(key.begin(), key.end(), is_path_char)) throw malformed("bad [key]");
      kind_len = open;
    }
    const std::string_view kind = part.substr(0, kind_len);
    if (kind.empty()) throw malformed("empty kind");
    if (!std::all_of(kind.begin(), kind.end(), is_path_char)) throw malformed("bad kind");
    last_begin = begin;
    last_kind_end = begin + kind_len;
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
  Handle h;
  h.path_ = std::string(path);
  h.kind_begin_ = static_cast<std::uint32_t>(last_begin);
  h.kind_end_ = static_cast<std::uint32_t>(last_kind_end);
  return h;
}

std::string_view Handle::kind() const noexcept {
  return std::string_view(path_).substr(kind_begin_, kind_end_ - kind_begin_);
}

std::optional<std::string_view> Handle::key() const noexcept {
  if (kind_end_ == path_.size()) return std::nullopt;
  return std::string_view(path_).substr(kind_end_ + 1, path_.size() - kind_end_ - 2);
}

std::string_view Handle::parent_path() const noexcept {
  if (kind_begin_ == 0) return {};
  return std::string_view(path_).substr(0, kind_begin_ - 1);
}

std::optional<Handle> Handle::parent() const {
  if (kind_begin_ == 0) return std::nullopt;
  return from_path(parent_path());
}

Handle Handle::nest(std::string_view kind, std::optional<std::string_view> key) const {
  return Handle(*this, kind, key);
}

// ---- Object ------------------------------------------------------------------

Object::Object(Framework& framework, std::string_view kind, std::optional<std::string_view> key)
    : framework_(framework), handle_(kind, key) {
  framework_.register_object(*this);
}

Object::Object(Object& parent, std::string_view kind, std::optional<std::string_view> key)
    : framework_(parent.framework()), handle_(parent.handle(), kind, key) {
  framework_.register_object(*this);
}

Object::~Object() { framework_.forget_object(*this); }

Model& Object::model() const { return framework_.model(); }

// ---- EventBase ---------------------------------------------------------------

void EventBase::defer() {
  if (!deferrable()) {
    throw FrameworkError("cannot defer " + std::string(handle_.kind()) + " event " +
                         handle_.path() + ": " + std::string(handle_.kind()) +
                         " events cannot be deferred");
  }
  deferred_ = true;
}

Framework& EventBase::framework() const {
  if (framework_ == nullptr) {
    throw FrameworkError("event " + handle_.path() + " is not being delivered by a framework");
  }
  return *framework_;
}

// ---- EventSourceBase ---------------------------------------------------------

namespace {

void check_event_kind(const Object& emitter, std::string_view kind) {
  if (!is_identifier(kind)) {
    throw FrameworkError("event kind '" + std::string(kind) + "' of " + emitter.handle().path() +
                         " is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
  }
}

}  // namespace

EventSourceBase::EventSourceBase(Object& emitter, std::string_view kind)
    : emitter_(emitter), kind_(kind) {
  check_event_kind(emitter, kind);
  emitter.framework().register_source(*this);
}

EventSourceBase::EventSourceBase(ObjectEvents& events, std::string_view kind)
    : emitter_(events), events_(&events), kind_(kind) {
  check_event_kind(events, kind);
  events.framework().check_unique_source(*this);
  events.add_source(*this);
}

EventSourceBase::~EventSourceBase() {
  framework().forget_source(*this);
  if (events_ != nullptr) events_->remove_source(*this);
}

std::string EventSourceBase::path_without_key() const {
  const std::string& emitter_path = emitter_.handle().path();
  std::string path;
  path.reserve(emitter_path.size() + kind_.size() + 1);
  path.append(emitter_path).append("/").append(kind_);
  return path;
}

bool EventSourceBase::is_path_without_key(std::string_view path) const noexcept {
  const std::string& emitter_path = emitter_.handle().path();
  return path.size() == emitter_path.size() + 1 + kind_.size() &&
         path.substr(0, emitter_path.size()) == emitter_path && path[emitter_path.size()] == '/' &&
         path.substr(emitter_path.size() + 1) == kind_;
}

Framework& EventSourceBase::framework() const noexcept { return emitter_.framework(); }

std::size_t EventSourceBase::observer_count() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(observations_.begin(), observations_.end(),
                    [](const auto& o) { return o->observer != nullptr; }));
}

void EventSourceBase::emit_snapshot(const nlohmann::json& snapshot) {
  Framework& fw = framework();
  fw.check_open();
  if (observations_.empty()) {  // unobserved: only the event's number is taken
    if (fw.emit_listener_) fw.emit_listener_(*this, snapshot);
    ++fw.event_count_;
    fw.event_count_dirty_ = true;
    return;
  }
  const Handle handle = fw.next_event_handle(*this);
  fw.emit_event(*this, handle, snapshot);
}

void EventSourceBase::attach(EventBase& event) const noexcept {
  event.framework_ = &emitter_.framework();
}

// ---- ObjectEvents ------------------------------------------------------------

// Room for a charm's `on` with a few relation endpoints before the first
// reallocation (the list is built for every dispatch).
constexpr std::size_t kSourcesReserved = 32;

ObjectEvents::ObjectEvents(Object& parent, std::string_view kind) : Object(parent, kind) {
  sources_.reserve(kSourcesReserved);
}

ObjectEvents::ObjectEvents(Framework& framework, std::string_view kind) : Object(framework, kind) {
  sources_.reserve(kSourcesReserved);
}

// The sources defined at run time are destroyed next (defined_); emptying
// the list first spares each its removal.
ObjectEvents::~ObjectEvents() { release_sources(); }

EventSourceBase& ObjectEvents::operator[](std::string_view kind) const {
  EventSourceBase* source = find(kind);
  if (source == nullptr) {
    throw FrameworkError("no event '" + std::string(kind) + "' on " + handle().path());
  }
  return *source;
}

namespace {

// The order of ObjectEvents' list: by length, then by bytes, so that most
// comparisons end at the lengths.
bool kind_before(std::string_view a, std::string_view b) noexcept {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// The first source of `sources` (in kind_before order) whose kind is not
// before `kind`.
std::vector<EventSourceBase*>::const_iterator lower_bound_kind(
    const std::vector<EventSourceBase*>& sources, std::string_view kind) {
  return std::lower_bound(sources.begin(), sources.end(), kind,
                          [](const EventSourceBase* source, std::string_view k) {
                            return kind_before(source->kind(), k);
                          });
}

}  // namespace

EventSourceBase* ObjectEvents::find(std::string_view kind) const noexcept {
  auto it = lower_bound_kind(sources_, kind);
  return it != sources_.end() && (*it)->kind() == kind ? *it : nullptr;
}

std::vector<std::string> ObjectEvents::event_kinds() const {
  std::vector<std::string> kinds;
  kinds.reserve(sources_.size());
  for (const EventSourceBase* source : sources_) kinds.push_back(source->kind());
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

void ObjectEvents::add_source(EventSourceBase& source) {
  auto it = lower_bound_kind(sources_, source.kind());
  if (it != sources_.end() && (*it)->kind() == source.kind()) {
    throw FrameworkError("two event sources claiming to be " + source.path_without_key() +
                         " have been created");
  }
  sources_.insert(it, &source);
}

void ObjectEvents::remove_source(EventSourceBase& source) noexcept {
  auto it = lower_bound_kind(sources_, source.kind());
  if (it != sources_.end() && *it == &source) sources_.erase(it);
}

// ---- Framework ---------------------------------------------------------------

Framework::Framework(std::unique_ptr<StateStorage> storage, Model* model)
    : owned_storage_(std::move(storage)), storage_(owned_storage_.get()), model_(model) {
  if (storage_ == nullptr) throw FrameworkError("Framework needs a storage");
  init();
}

Framework::Framework(StateStorage& storage, Model* model) : storage_(&storage), model_(model) {
  init();
}

void Framework::init() {
  root_ = std::make_unique<Object>(*this, "framework");
  on_ = std::make_unique<FrameworkEvents>(*root_, "on");
  if (auto state = storage_->load_snapshot(kStatePath)) {
    const auto it = state->find("event_count");
    if (!state->is_object() || it == state->end() || !it->is_number_integer()) {
      throw StorageError("framework state " + std::string(kStatePath) +
                         " has no integer event_count: " + state->dump());
    }
    event_count_ = it->get<std::int64_t>();
  }
}

Framework::~Framework() {
  on_.reset();
  root_.reset();
  try {
    close();
  } catch (const std::exception& e) {
    log::error(std::string("closing the framework failed: ") + e.what());
  }
}

void Framework::check_open() const {
  if (closed_) throw FrameworkError("the framework is closed");
}

void Framework::close() {
  if (closed_) return;
  closed_ = true;
  if (owned_storage_) {
    owned_storage_->close();
  } else {
    storage_->rollback();
  }
}

StateStorage& Framework::storage() const { return *storage_; }

Model& Framework::model() const {
  if (model_ == nullptr) throw FrameworkError("this framework has no Model attached");
  return *model_;
}

void Framework::register_object(const Object& object) {
  if (!objects_.emplace(object.handle().path(), &object).second) {
    throw FrameworkError("two objects claiming to be " + object.handle().path() +
                         " have been created");
  }
}

void Framework::forget_object(const Object& object) noexcept {
  auto it = objects_.find(object.handle().path());
  if (it != objects_.end() && it->second == &object) objects_.erase(it);
  for (EventSourceBase* source : observed_sources_) {
    for (auto& observation : source->observations_) {
      if (observation->observer == &object) {
        observation->observer = nullptr;
        observations_dirty_ = true;
      }
    }
  }
  if (emit_depth_ == 0) compact_observations();
}

void Framework::register_source(EventSourceBase& source) {
  std::string key = source.path_without_key();
  const auto* events = dynamic_cast<const ObjectEvents*>(&source.emitter());
  if ((events != nullptr && events->find(source.kind()) != nullptr) ||
      !plain_sources_.emplace(key, &source).second) {
    throw FrameworkError("two event sources claiming to be " + key + " have been created");
  }
}

void Framework::check_unique_source(const EventSourceBase& source) const {
  if (plain_sources_.empty()) return;
  std::string key = source.path_without_key();
  if (plain_sources_.count(key) != 0) {
    throw FrameworkError("two event sources claiming to be " + key + " have been created");
  }
}

void Framework::forget_source(EventSourceBase& source) noexcept {
  if (source.listed_observed_) std::erase(observed_sources_, &source);
  if (source.events_ != nullptr) return;
  for (auto it = plain_sources_.begin(); it != plain_sources_.end(); ++it) {
    if (it->second == &source) {
      plain_sources_.erase(it);
      return;
    }
  }
}

EventSourceBase* Framework::find_source(std::string_view path_without_key) const {
  if (!plain_sources_.empty()) {
    auto it = plain_sources_.find(path_without_key);
    if (it != plain_sources_.end()) return it->second;
  }
  const std::size_t slash = path_without_key.rfind('/');
  if (slash == std::string_view::npos) return nullptr;
  auto it = objects_.find(path_without_key.substr(0, slash));
  if (it == objects_.end()) return nullptr;
  const auto* events = dynamic_cast<const ObjectEvents*>(it->second);
  return events == nullptr ? nullptr : events->find(path_without_key.substr(slash + 1));
}

void Framework::register_stored_state(StoredStateBase& state) { stored_states_.push_back(&state); }

void Framework::forget_stored_state(StoredStateBase& state) noexcept {
  std::erase(stored_states_, &state);
}

void Framework::compact_observations() noexcept {
  if (!observations_dirty_) return;
  for (EventSourceBase* source : observed_sources_) {
    std::erase_if(source->observations_, [](const auto& o) { return o->observer == nullptr; });
  }
  observations_dirty_ = false;
}

void Framework::add_observation(EventSourceBase& source, Object& observer,
                                std::string_view method_name,
                                std::function<void(EventBase&)> handler) {
  if (&source.framework() != this) {
    throw FrameworkError("cannot observe " + source.path_without_key() +
                         ": it belongs to another framework");
  }
  if (&observer.framework() != this) {
    throw FrameworkError("cannot observe with " + observer.handle().path() +
                         ": it belongs to another framework");
  }
  if (method_name.empty()) throw FrameworkError("an observer's method name must not be empty");
  for (const auto& existing : source.observations_) {
    if (existing->observer == &observer && existing->method_name == method_name) return;
  }
  if (!source.listed_observed_) {
    observed_sources_.push_back(&source);
    source.listed_observed_ = true;
  }
  source.observations_.push_back(
      std::make_unique<EventSourceBase::Observation>(EventSourceBase::Observation{
          &observer, observer.handle().path(), std::string(method_name), std::move(handler)}));
}

// Counts nested emissions; observations whose observer died while handlers
// ran are removed when the outermost emission ends.
struct Framework::DepthGuard {
  // A top-level emission starts a new report: failed_handler() describes
  // only the handler that failed in it, not one from an earlier emission of
  // a long-lived framework (the Harness keeps one across events).
  explicit DepthGuard(Framework& framework) : framework_(framework) {
    if (framework_.emit_depth_++ == 0) framework_.failed_handler_.reset();
  }
  ~DepthGuard() {
    if (--framework_.emit_depth_ == 0) framework_.compact_observations();
  }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
  Framework& framework_;
};

Handle Framework::next_event_handle(const EventSourceBase& source) {
  ++event_count_;
  event_count_dirty_ = true;
  const auto key = std::to_string(event_count_);
  return Handle::unchecked(source.emitter().handle().path(), source.kind(), key);
}

std::optional<nlohmann::json> Framework::load_event_snapshot(std::string_view event_path) {
  // Events being delivered keep their snapshot in memory until a handler defers.
  for (const auto& [path, snapshot] : in_flight_) {
    if (path == event_path) return *snapshot;
  }
  return storage_->load_snapshot(event_path);
}

bool Framework::is_duplicate(const EventSourceBase& source, const std::string& observer_path,
                             const std::string& method_name, const nlohmann::json& snapshot,
                             const std::vector<Notice>& existing) {
  for (const Notice& notice : existing) {
    if (notice.observer_path != observer_path || notice.method_name != method_name) continue;
    if (!source.is_path_without_key(without_key(notice.event_path))) continue;
    const auto stored = load_event_snapshot(notice.event_path);
    if (stored && *stored == snapshot) return true;
  }
  return false;
}

// Keeps an event's snapshot reachable (load_event_snapshot) while its
// handlers run, without writing it to the storage.
struct Framework::InFlight {
  InFlight(Framework& framework, const std::string& path, const nlohmann::json& snapshot)
      : framework_(framework) {
    framework_.in_flight_.emplace_back(path, &snapshot);
  }
  ~InFlight() { framework_.in_flight_.pop_back(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  Framework& framework_;
};

void Framework::emit_event(EventSourceBase& source, const Handle& handle,
                           const nlohmann::json& snapshot) {
  if (emit_listener_) emit_listener_(source, snapshot);
  auto& observations = source.observations_;
  const std::size_t count = observations.size();
  if (count == 0) return;  // unobserved: nothing is persisted
  DepthGuard guard(*this);

  // A notice for every observer first (so the FIFO order is the emission
  // order, nested events after their parent), then the handlers. The
  // snapshot is written only once a handler defers (or throws): an event
  // nobody defers costs no snapshot write. Until then it is in memory, so
  // the storage reads as if it had been saved first, as in Python ops.
  std::array<std::int64_t, 8> inline_sequences{};
  std::vector<std::int64_t> heap_sequences;
  std::int64_t* sequences = inline_sequences.data();
  if (count > inline_sequences.size()) {
    heap_sequences.resize(count);
    sequences = heap_sequences.data();
  }
  std::vector<Notice> existing;
  if (skip_duplicate_notices_ && storage_->has_notices()) existing = storage_->notices();
  bool any_notice = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& observation = *observations[i];
    sequences[i] = 0;
    if (observation.observer == nullptr) continue;
    if (!existing.empty() && is_duplicate(source, observation.observer_path,
                                          observation.method_name, snapshot, existing)) {
      if (log::enabled(log::Level::debug)) {
        log::debug("Skipping " + handle.path() + " for " + observation.observer_path + "." +
                   observation.method_name + ": an equal event is already deferred");
      }
      continue;
    }
    sequences[i] =
        storage_->save_notice(handle.path(), observation.observer_path, observation.method_name);
    any_notice = true;
  }
  if (!any_notice) return;

  bool saved = false;
  auto save_snapshot = [&] {
    if (!saved) storage_->save_snapshot(handle.path(), snapshot);
    saved = true;
  };
  InFlight in_flight(*this, handle.path(), snapshot);
  try {
    for (std::size_t i = 0; i < count; ++i) {
      if (sequences[i] == 0) continue;
      const auto& observation = *observations[i];
      if (observation.observer == nullptr) {  // destroyed by an earlier handler
        storage_->drop_notice(sequences[i]);
        continue;
      }
      if (run(source, handle, snapshot, observation)) {
        save_snapshot();
      } else {
        storage_->drop_notice(sequences[i]);
      }
    }
  } catch (...) {
    // The remaining notices stay (uncommitted, as in Python ops): keep them whole.
    save_snapshot();
    throw;
  }
}

bool Framework::run(EventSourceBase& source, const Handle& handle, const nlohmann::json& snapshot,
                    const EventSourceBase::Observation& observation) {
  try {
    return source.run_observer(handle, snapshot, observation);
  } catch (...) {
    if (!failed_handler_) {
      failed_handler_ =
          HandlerCall{handle.path(), observation.observer_path, observation.method_name};
    }
    throw;
  }
}

void Framework::reemit() {
  check_open();
  const std::vector<Notice> notices = storage_->notices();
  if (notices.empty()) return;
  DepthGuard guard(*this);

  std::string_view group_path;
  EventSourceBase* source = nullptr;
  std::optional<nlohmann::json> snapshot;
  std::optional<Handle> handle;
  bool group_deferred = true;
  auto finish_group = [&] {
    if (!group_path.empty() && !group_deferred) storage_->drop_snapshot(group_path);
  };

  for (const Notice& notice : notices) {
    if (notice.event_path != group_path) {
      finish_group();
      group_path = notice.event_path;
      group_deferred = false;
      handle.reset();
      snapshot.reset();
      source = find_source(without_key(notice.event_path));
      if (source != nullptr) {
        try {
          handle = Handle::from_path(notice.event_path);
        } catch (const FrameworkError& e) {
          log::warning(std::string("Dropping deferred event: ") + e.what());
          source = nullptr;
        }
      }
      if (source != nullptr) {
        snapshot = load_event_snapshot(notice.event_path);
        if (!snapshot) {
          log::warning("Dropping deferred event " + notice.event_path + ": its snapshot is gone");
          source = nullptr;
        }
      }
    }
    if (source == nullptr) {
      // ops drops these silently (NoTypeError): debug, not a warning.
      log::debug("Dropping deferred event " + notice.event_path + " for " + notice.observer_path +
                 "." + notice.method_name + ": no event of that kind is defined in this charm");
      storage_->drop_notice(notice.sequence);
      continue;
    }
    const EventSourceBase::Observation* observation =
        find_observation(*source, notice.observer_path, notice.method_name);
    bool renamed = false;
    if (observation == nullptr) {
      for (const PythonHandlerAlias& alias : python_aliases_) {
        if (alias.python_observer_path != notice.observer_path ||
            alias.python_method != notice.method_name) {
          continue;
        }
        observation = find_observation(*source, alias.observer_path, alias.method_name);
        renamed = observation != nullptr;
        if (renamed && log::enabled(log::Level::debug)) {
          log::debug("Deferred event " + notice.event_path + " for Python handler " +
                     notice.observer_path + "." + notice.method_name + " goes to " +
                     alias.observer_path + "." + alias.method_name);
        }
        break;
      }
    }
    if (observation == nullptr) {
      log::warning("Dropping deferred event " + notice.event_path + " for " + notice.observer_path +
                   "." + notice.method_name + ": that observer does not observe it in this charm");
      storage_->drop_notice(notice.sequence);
      continue;
    }
    if (log::enabled(log::Level::debug)) {
      log::debug("Re-emitting deferred event " + notice.event_path + " to " +
                 observation->observer_path + "." + observation->method_name);
    }
    if (run(*source, *handle, *snapshot, *observation)) {
      group_deferred = true;
      if (renamed) {
        storage_->update_notice(notice.sequence, observation->observer_path,
                                observation->method_name);
      }
    } else {
      storage_->drop_notice(notice.sequence);
    }
  }
  finish_group();
}

const EventSourceBase::Observation* Framework::find_observation(const EventSourceBase& source,
                                                                std::string_view observer_path,
                                                                std::string_view method_name) {
  for (const auto& candidate : source.observations_) {
    if (candidate->observer != nullptr && candidate->observer_path == observer_path &&
        candidate->method_name == method_name) {
      return candidate.get();
    }
  }
  return nullptr;
}

void Framework::add_python_aliases(const std::vector<PythonHandlerAlias>& aliases) {
  for (const PythonHandlerAlias& alias : aliases) {
    if (alias.python_observer_path.empty() || alias.python_method.empty() ||
        alias.observer_path.empty() || alias.method_name.empty()) {
      throw FrameworkError("a Python handler alias needs all four names (got '" +
                           alias.python_observer_path + "." + alias.python_method + "' -> '" +
                           alias.observer_path + "." + alias.method_name + "')");
    }
    bool known = false;
    for (const PythonHandlerAlias& existing : python_aliases_) {
      if (existing.python_observer_path != alias.python_observer_path ||
          existing.python_method != alias.python_method) {
        continue;
      }
      if (existing.observer_path != alias.observer_path ||
          existing.method_name != alias.method_name) {
        throw FrameworkError("Python handler " + alias.python_observer_path + "." +
                             alias.python_method + " is aliased to both " + existing.observer_path +
                             "." + existing.method_name + " and " + alias.observer_path + "." +
                             alias.method_name);
      }
      known = true;
    }
    if (!known) python_aliases_.push_back(alias);
  }
}

std::type_index Framework::registered_type(const Handle& handle) const {
  const auto it = type_registry_.find(
      std::make_pair(std::string(handle.parent_path()), std::string(handle.kind())));
  if (it == type_registry_.end()) throw NoTypeError(handle.path());
  return it->second;
}

void Framework::require_known_type(std::type_index type, std::string_view type_name) const {
  if (std::find(types_known_.begin(), types_known_.end(), type) == types_known_.end()) {
    throw FrameworkError("cannot save " + std::string(type_name) +
                         " values before registering that type");
  }
}

nlohmann::json Framework::stored_snapshot_of(const std::string& path) {
  std::optional<nlohmann::json> data = storage_->load_snapshot(path);
  if (!data) throw NoSnapshotError(path);
  return std::move(*data);
}

void Framework::drop_snapshot(const Handle& handle) {
  check_open();
  storage_->drop_snapshot(handle.path());
}

namespace {

// ops' _event_regex, ^(|.*/)on/[a-zA-Z_]+\[\d+\]$: the path of an event.
bool is_event_path(std::string_view path) {
  if (path.size() < 4 || path.back() != ']') return false;
  const std::size_t open = path.rfind('[');
  if (open == std::string_view::npos || open + 2 > path.size() - 1) return false;
  const std::string_view key = path.substr(open + 1, path.size() - open - 2);
  if (key.empty() ||
      !std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const std::size_t slash = path.rfind('/', open);
  if (slash == std::string_view::npos) return false;
  const std::string_view kind = path.substr(slash + 1, open - slash - 1);
  if (kind.empty() || !std::all_of(kind.begin(), kind.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      })) {
    return false;
  }
  const std::string_view before = path.substr(0, slash);
  return before == "on" || (before.size() > 3 && before.substr(before.size() - 3) == "/on");
}

}  // namespace

void Framework::remove_unreferenced_events() {
  check_open();
  std::vector<std::string> unreferenced;
  for (const std::string& path : storage_->list_snapshots()) {
    if (is_event_path(path) && storage_->notices(path).empty()) unreferenced.push_back(path);
  }
  for (const std::string& path : unreferenced) storage_->drop_snapshot(path);
}

void Framework::commit() {
  check_open();
  // Emitted as Python ops emits them; unobserved, only their number is
  // taken (their events carry nothing, so nothing else is observable).
  auto emit = [this](auto& source) {
    if (source.observations_.empty()) {
      ++event_count_;
      event_count_dirty_ = true;
      if (emit_listener_) emit_listener_(source, nullptr);
    } else {
      source.emit();
    }
  };
  emit(on_->pre_commit);
  emit(on_->commit);
  if (before_save_) before_save_();
  for (StoredStateBase* state : stored_states_) {
    if (!state->changed()) continue;
    nlohmann::json snapshot = state->current_snapshot();
    storage_->save_snapshot(state->handle().path(), snapshot);
    state->saved(std::move(snapshot));
  }
  // The event counter only keeps stored event paths unique: it is saved with
  // the first other change, so a dispatch that changed nothing commits
  // nothing (the next one numbers its events from the last saved count).
  if (event_count_dirty_ && storage_->has_changes()) {
    // Kept between commits, only its number changing: no JSON object is
    // built and destroyed per commit.
    if (!state_snapshot_.is_object())
      state_snapshot_ = nlohmann::json::object({{"event_count", 0}});
    state_snapshot_["event_count"] = event_count_;
    storage_->save_snapshot(kStatePath, state_snapshot_);
    event_count_dirty_ = false;
  }
  storage_->commit();
}

}  // namespace ops
