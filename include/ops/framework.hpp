// The event framework: handles, objects, events, observers, deferral and
// stored state (Python ops' ops/framework.py).
//
// Every participant is an Object with a Handle, a path such as
// "MyCharm/on/install[7]" that names it across processes. An Object emits
// events through EventSource<E> members; another Object observes them with
// Framework::observe, naming the handler method so that a deferred event can
// find the same handler in the next dispatch. Emitting takes the event's
// snapshot, saves one notice per observer in the StateStorage, runs the observers
// in registration order (each with a freshly restored event), and keeps only
// the notices (and the snapshot) of observers that called defer(). reemit()
// replays those in the next dispatch, first in first out. commit() runs the
// pre_commit and commit events, saves changed StoredState and the event
// counter, and commits the storage transaction. Nothing reaches the state
// file without commit(): a dispatch that throws leaves it as it was.
//
// Writing an event class:
//
//   class PasswordChangedEvent : public ops::EventBase {
//    public:
//     // Needed: used to rebuild the event from its snapshot (before restore()).
//     explicit PasswordChangedEvent(ops::Handle handle) : EventBase(std::move(handle)) {}
//     // Optional: the arguments of emit(). Here source.emit("alice").
//     PasswordChangedEvent(ops::Handle handle, std::string user)
//         : EventBase(std::move(handle)), user_(std::move(user)) {}
//     // Everything a handler needs must be in the snapshot: handlers only ever
//     // see events rebuilt by restore().
//     nlohmann::json snapshot() const override { return {{"user", user_}}; }
//     // framework() (and framework().model()) may be used here.
//     void restore(const nlohmann::json& snapshot) override { user_ = snapshot.at("user"); }
//     const std::string& user() const { return user_; }
//    private:
//     std::string user_;
//   };
//
// An event without data needs only `using ops::EventBase::EventBase;`. An
// event that must not be deferred overrides deferrable() to return false.
//
// Declaring events and observing them:
//
//   struct MyEvents : ops::ObjectEvents {
//     using ObjectEvents::ObjectEvents;
//     ops::EventSource<PasswordChangedEvent> password_changed{*this, "password_changed"};
//   };
//   class MyCharm : public ops::Object {
//    public:
//     explicit MyCharm(ops::Framework& fw) : Object(fw, "MyCharm") {
//       fw.observe<&MyCharm::on_password_changed>(on.password_changed, *this);
//     }
//     void on_password_changed(PasswordChangedEvent& event);
//     MyEvents on{*this};
//   };
//
// observe<&MyCharm::on_password_changed> records the method under the name
// "on_password_changed" (derived at compile time); a handler whose parameter
// is not the event's type (or one of its bases) does not compile.
//
// Lifetime: the Framework must outlive every Object created on it. Errors are
// FrameworkError (misuse) and StorageError (persistence). Not thread-safe.
#pragma once

#include <algorithm>
#include <cassert>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/errors.hpp"
#include "ops/storage.hpp"

namespace ops {
class CharmEvents;
class Object;
}  // namespace ops

namespace ops::detail {
class FrameworkAccess;

// static_cast<To&>(from) where the framework knows the dynamic type (an
// event delivered to its source's observers, the charm a Harness built);
// builds without NDEBUG check it, as UBSan's vptr check would (the sanitizer
// build's trap mode has none).
template <class To, class From>
To& checked_cast(From& from) noexcept {
  assert(dynamic_cast<To*>(&from) != nullptr && "object is not of the expected dynamic type");
  return static_cast<To&>(from);
}

// Why an EventSourceRef of a charm's on[name] has no source, kept as views
// (into the CharmEvents that made it, and static text) so that `message`
// builds the error only when the missing source is used.
struct MissingEvent {
  std::string (*message)(const MissingEvent&) = nullptr;
  const Object* events = nullptr;
  std::string_view name;
  std::string_view what;
  std::string_view suffix;
};
}  // namespace ops::detail

namespace ops {

class Model;
class Framework;
class ObjectEvents;
class EventSourceBase;
class StoredStateBase;
template <class E>
class EventSource;

// The path of an object, unique in a unit: "Parent/kind[key]" ("[key]"
// omitted when there is no key), e.g. "MyCharm/on/install[7]". Kinds are not
// empty; kinds and keys contain none of '/', '[' and ']'.
class Handle {
 public:
  // A root handle "kind" or "kind[key]"; throws FrameworkError on a bad kind or key.
  explicit Handle(std::string_view kind, std::optional<std::string_view> key = std::nullopt);
  // A child handle "parent/kind[key]"; throws FrameworkError on a bad kind or key.
  Handle(const Handle& parent, std::string_view kind,
         std::optional<std::string_view> key = std::nullopt);

  // Parses a path; throws FrameworkError when it is malformed.
  [[nodiscard]] static Handle from_path(std::string_view path);

  // The full path.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // The last element's kind.
  [[nodiscard]] std::string_view kind() const noexcept;
  // The last element's key, if any.
  [[nodiscard]] std::optional<std::string_view> key() const noexcept;
  // The parent's path, empty for a root handle.
  [[nodiscard]] std::string_view parent_path() const noexcept;
  // The parent handle, nullopt for a root handle.
  [[nodiscard]] std::optional<Handle> parent() const;
  // The child handle "this/kind[key]".
  [[nodiscard]] Handle nest(std::string_view kind,
                            std::optional<std::string_view> key = std::nullopt) const;

  friend bool operator==(const Handle& a, const Handle& b) noexcept { return a.path_ == b.path_; }

 private:
  friend class Framework;
  Handle() = default;
  // Builds "parent/kind[key]" without validation (the framework's hot path).
  static Handle unchecked(std::string_view parent_path, std::string_view kind,
                          std::string_view key);

  std::string path_;
  std::uint32_t kind_begin_ = 0;
  std::uint32_t kind_end_ = 0;  // a key, if any, lies in [kind_end_ + 1, size - 1)
};

// Something with a Handle that can emit, observe or store: charms, their
// events, relation endpoints, stored state. Two live Objects of one Framework
// cannot share a path. Objects are neither copyable nor movable (the framework
// keeps their address while they live).
class Object {
 public:
  // A root object "kind[key]"; throws FrameworkError if the path is taken.
  Object(Framework& framework, std::string_view kind,
         std::optional<std::string_view> key = std::nullopt);
  // A child object "parent/kind[key]"; throws FrameworkError if the path is taken.
  Object(Object& parent, std::string_view kind, std::optional<std::string_view> key = std::nullopt);
  virtual ~Object();
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  // This object's handle.
  [[nodiscard]] const Handle& handle() const noexcept { return handle_; }
  // The framework this object belongs to.
  [[nodiscard]] Framework& framework() const noexcept { return framework_; }
  // framework().model(); throws FrameworkError when the framework has no Model.
  [[nodiscard]] Model& model() const;

 private:
  Framework& framework_;
  Handle handle_;
};

// Base of every event. Handlers receive events rebuilt from their snapshot;
// see the top of this file for how to write an event class.
class EventBase {
 public:
  // Used by the framework to rebuild the event before restore().
  explicit EventBase(Handle handle) : handle_(std::move(handle)) {}
  virtual ~EventBase() = default;
  EventBase(const EventBase&) = default;
  EventBase& operator=(const EventBase&) = default;

  // The event's handle, "Emitter/kind[key]".
  [[nodiscard]] const Handle& handle() const noexcept { return handle_; }
  // Asks to be called again with this event in the next dispatch (reemit()).
  // Only sets a flag: the handler continues. Throws FrameworkError when the
  // event is not deferrable().
  void defer();
  // True when the current handler called defer().
  bool deferred() const noexcept { return deferred_; }
  // False for events that cannot be deferred (actions, stop, remove, commit...).
  virtual bool deferrable() const noexcept { return true; }
  // The event's data; null by default. Must round-trip through restore().
  virtual nlohmann::json snapshot() const { return nullptr; }
  // Rebuilds the event's data from snapshot(); framework() is usable here.
  virtual void restore(const nlohmann::json& snapshot) { static_cast<void>(snapshot); }
  // The framework that is delivering this event; throws FrameworkError for an
  // event the framework did not build.
  [[nodiscard]] Framework& framework() const;

 private:
  friend class EventSourceBase;
  friend class Framework;
  Handle handle_;
  Framework* framework_ = nullptr;
  bool deferred_ = false;
};

// Base of the framework's own events; they cannot be deferred.
class LifecycleEvent : public EventBase {
 public:
  using EventBase::EventBase;
  bool deferrable() const noexcept override { return false; }
};

// Emitted by Framework::commit() before the state is saved.
class PreCommitEvent : public LifecycleEvent {
 public:
  using LifecycleEvent::LifecycleEvent;
};

// Emitted by Framework::commit() after PreCommitEvent, before the state is saved.
class CommitEvent : public LifecycleEvent {
 public:
  using LifecycleEvent::LifecycleEvent;
};

// An event kind bound to its emitter, with its observers. Use EventSource<E>.
class EventSourceBase {
 public:
  virtual ~EventSourceBase();
  EventSourceBase(const EventSourceBase&) = delete;
  EventSourceBase& operator=(const EventSourceBase&) = delete;

  // The event kind, e.g. "install"; the last element of the event's path.
  [[nodiscard]] const std::string& kind() const noexcept { return kind_; }
  // The object that emits the event.
  [[nodiscard]] Object& emitter() const noexcept { return emitter_; }
  // The emitter's framework.
  [[nodiscard]] Framework& framework() const noexcept;
  // The C++ type of the events.
  [[nodiscard]] virtual const std::type_info& event_type() const noexcept = 0;
  // How many observers are registered.
  [[nodiscard]] std::size_t observer_count() const noexcept;

 protected:
  // A source on any Object; registered with the framework for reemit().
  EventSourceBase(Object& emitter, std::string_view kind);
  // A source on an ObjectEvents; also found by events[kind].
  EventSourceBase(ObjectEvents& events, std::string_view kind);
  // Points a new event at the framework before restore().
  void attach(EventBase& event) const noexcept;
  // An event of this source's type at handle (not restored, not delivered).
  virtual std::unique_ptr<EventBase> make_event(const Handle& handle) const = 0;

  struct Observation {
    Object* observer;  // null once the observer is destroyed
    std::string observer_path;
    std::string method_name;
    std::function<void(EventBase&)> handler;
  };

 private:
  friend class Framework;
  friend class ObjectEvents;
  friend class detail::FrameworkAccess;
  // Emits an event whose handlers see an event restored from snapshot (the
  // untyped emit used by dispatchers that build snapshots themselves).
  void emit_snapshot(const nlohmann::json& snapshot);
  // Builds an event at handle, restores snapshot, runs the observation's
  // handler; returns whether the handler deferred.
  virtual bool run_observer(const Handle& handle, const nlohmann::json& snapshot,
                            const Observation& observation) = 0;

  // "<emitter path>/<kind>": the event path without its key (for messages).
  [[nodiscard]] std::string path_without_key() const;
  // True when event_path_without_key is "<emitter path>/<kind>".
  [[nodiscard]] bool is_path_without_key(std::string_view event_path_without_key) const noexcept;

  Object& emitter_;
  ObjectEvents* events_ = nullptr;  // set when the source belongs to an ObjectEvents
  std::string kind_;
  std::vector<std::unique_ptr<Observation>> observations_;
  bool listed_observed_ = false;  // in the framework's observed_sources_
};

// The events of kind `kind` emitted by an Object, with payload type E (a
// subclass of EventBase). Declare it as a member of the emitter (or of its
// ObjectEvents) or create it at run time with ObjectEvents::define_event.
template <class E>
class EventSource final : public EventSourceBase {
  static_assert(std::is_base_of_v<EventBase, E>, "an event type must derive from ops::EventBase");
  static_assert(std::is_constructible_v<E, Handle>,
                "an event type needs a constructor E(ops::Handle) (e.g. `using "
                "ops::EventBase::EventBase;`): the framework rebuilds events from snapshots");

 public:
  using event_type_t = E;
  // Events "kind" of emitter; throws FrameworkError on a bad or duplicate kind.
  EventSource(Object& emitter, std::string_view kind) : EventSourceBase(emitter, kind) {}
  // Events "kind" of an ObjectEvents, also found by events[kind].
  EventSource(ObjectEvents& events, std::string_view kind) : EventSourceBase(events, kind) {}

  // Emits a new event E(handle, args...): every observer runs now, in
  // registration order, with a copy restored from the event's snapshot.
  template <class... Args>
  void emit(Args&&... args);

  [[nodiscard]] const std::type_info& event_type() const noexcept override { return typeid(E); }

 protected:
  std::unique_ptr<EventBase> make_event(const Handle& handle) const override {
    return std::make_unique<E>(handle);
  }

 private:
  bool run_observer(const Handle& handle, const nlohmann::json& snapshot,
                    const Observation& observation) override;
};

// A reference to an event source that may not exist, as the attributes of
// ops' PrefixedEvents (charm.on["db"].relation_changed): using a missing one
// throws FrameworkError with the reason given at construction. Framework's
// observe accepts it as it accepts an EventSource.
template <class E>
class EventSourceRef {
 public:
  // source may be null; missing is the error message used then.
  EventSourceRef(EventSource<E>* source, std::string missing)
      : source_(source), missing_(std::move(missing)) {}

  // True when the source exists.
  bool exists() const noexcept { return source_ != nullptr; }
  // The source; FrameworkError when it does not exist.
  EventSource<E>& source() const {
    if (source_ == nullptr) {
      throw FrameworkError(reason_.message != nullptr ? reason_.message(reason_) : missing_);
    }
    return *source_;
  }
  operator EventSource<E>&() const { return source(); }  // NOLINT(google-explicit-constructor)
  // source().kind().
  [[nodiscard]] const std::string& kind() const { return source().kind(); }
  // source().observer_count().
  [[nodiscard]] std::size_t observer_count() const { return source().observer_count(); }
  // source().emit(args...).
  template <class... Args>
  void emit(Args&&... args) const;

 private:
  friend class CharmEvents;
  // A source of a charm's on[name], or null with why (see MissingEvent).
  EventSourceRef(EventSource<E>* source, const detail::MissingEvent& reason)
      : source_(source), reason_(source == nullptr ? reason : detail::MissingEvent{}) {}

  EventSource<E>* source_;
  std::string missing_;
  detail::MissingEvent reason_;
};

// Python ops' name for a bound event source.
template <class E>
using BoundEvent = EventSource<E>;

// A named group of event sources, usually an Object's `on` (handle
// "Parent/on"). Subclasses declare static events as EventSource members;
// define_event adds events at run time (per relation endpoint, container,
// action, storage). Lookup by kind: events["config_changed"].
class ObjectEvents : public Object {
 public:
  // The events of parent, at "parent/kind".
  explicit ObjectEvents(Object& parent, std::string_view kind = "on");
  // Root-level events, at "kind".
  explicit ObjectEvents(Framework& framework, std::string_view kind = "on");
  ~ObjectEvents() override;

  // Adds an event kind of type E; throws FrameworkError when kind is not an
  // identifier ([A-Za-z_][A-Za-z0-9_]*) or already defined.
  template <class E>
  EventSource<E>& define_event(std::string_view kind);
  // The source of kind; throws FrameworkError when there is none.
  EventSourceBase& operator[](std::string_view kind) const;
  // Same as operator[] (which CharmEvents uses for names from metadata).
  EventSourceBase& event(std::string_view kind) const { return ObjectEvents::operator[](kind); }
  // The source of kind, or null.
  [[nodiscard]] EventSourceBase* find(std::string_view kind) const noexcept;
  // The source of kind as type E; throws FrameworkError when there is none or
  // its events are not E.
  template <class E>
  [[nodiscard]] EventSource<E>& get(std::string_view kind) const;
  // Every kind, sorted.
  [[nodiscard]] std::vector<std::string> event_kinds() const;

 protected:
  // Empties the lookup by kind, for a subclass's destructor: its member
  // sources, destroyed next, then have nothing to take out of it.
  void release_sources() noexcept { sources_.clear(); }

 private:
  friend class EventSourceBase;
  void add_source(EventSourceBase& source);
  void remove_source(EventSourceBase& source) noexcept;

  // Sorted by the length of the kind, then the kind; a sorted vector, not a
  // map: a charm's `on` holds a few dozen sources and is built for every
  // dispatch.
  std::vector<EventSourceBase*> sources_;
  std::vector<std::unique_ptr<EventSourceBase>> defined_;  // after sources_: destroyed first
};

// The framework's own events, at "framework/on".
class FrameworkEvents final : public ObjectEvents {
 public:
  using ObjectEvents::ObjectEvents;
  EventSource<PreCommitEvent> pre_commit{*this, "pre_commit"};
  EventSource<CommitEvent> commit{*this, "commit"};
};

namespace detail {

// What a handler method pointer looks like: R (C::*)(P).
template <class M>
struct HandlerMethod {
  static constexpr bool kIsMethod = false;
};
template <class C, class R, class P>
struct HandlerMethod<R (C::*)(P)> {
  static constexpr bool kIsMethod = true;
  using Class = C;
  using Param = P;
};
template <class C, class R, class P>
struct HandlerMethod<R (C::*)(P) noexcept> : HandlerMethod<R (C::*)(P)> {};

// A const member function taking one argument (refused as a handler).
template <class M>
inline constexpr bool kIsConstMethod = false;
template <class C, class R, class P>
inline constexpr bool kIsConstMethod<R (C::*)(P) const> = true;
template <class C, class R, class P>
inline constexpr bool kIsConstMethod<R (C::*)(P) const noexcept> = true;

// A member function taking its one argument by value.
template <class M>
inline constexpr bool kIsByValueMethod = false;
template <class C, class R, class P>
inline constexpr bool kIsByValueMethod<R (C::*)(P)> = !std::is_reference_v<P>;
template <class C, class R, class P>
inline constexpr bool kIsByValueMethod<R (C::*)(P) noexcept> = !std::is_reference_v<P>;

template <class>
inline constexpr bool kAlwaysFalse = false;

// The unqualified name of the member function M, from the compiler's
// signature of this function (GCC and Clang spell it "... M = &Class::name...").
template <auto M>
constexpr std::string_view member_name() {
  constexpr std::string_view signature = __PRETTY_FUNCTION__;
  constexpr std::size_t marker = signature.find("M = ");
  static_assert(marker != std::string_view::npos, "unsupported compiler signature format");
  constexpr std::size_t begin = marker + 4;
  constexpr std::size_t end = signature.find_first_of(";]", begin);
  constexpr std::string_view spelled = signature.substr(begin, end - begin);
  constexpr std::size_t colons = spelled.rfind("::");
  constexpr std::string_view name =
      colons == std::string_view::npos ? spelled : spelled.substr(colons + 2);
  static_assert(!name.empty(), "could not derive the handler's method name");
  return name;
}

}  // namespace detail

// True when M is a method of O (or of a base of O) taking E, or a base of E,
// by reference: a handler that can observe EventSource<E> on an O.
template <class M, class E, class O>
concept HandlerMethodFor = std::is_base_of_v<Object, O> && detail::HandlerMethod<M>::kIsMethod &&
    std::is_base_of_v<typename detail::HandlerMethod<M>::Class, O> &&
    std::is_lvalue_reference_v<typename detail::HandlerMethod<M>::Param> &&
    std::is_base_of_v<std::remove_cvref_t<typename detail::HandlerMethod<M>::Param>, E>;

// A value Framework::save_snapshot / load_snapshot can store (ops'
// Serializable): built from its Handle, with a JSON snapshot() that
// restore() reads back. Every event class is one.
template <class T>
concept Serializable = std::constructible_from<T, Handle> &&
    requires(T& t, const T& ct, const nlohmann::json& j) {
  { ct.handle() } -> std::convertible_to<const Handle&>;
  { ct.snapshot() } -> std::convertible_to<nlohmann::json>;
  t.restore(j);
};

// One handler call: the event delivered and the observer method it ran.
struct HandlerCall {
  std::string event_path;     // "MyCharm/on/config_changed[3]"
  std::string observer_path;  // "MyCharm"
  std::string method_name;    // "on_config_changed"

  friend bool operator==(const HandlerCall&, const HandlerCall&) = default;
};

// A handler of the Python ops charm that this charm replaces, and the
// observation that answers for it after `juju refresh` from that charm:
// a deferred notice (migrated from Python ops' state file) that names
// python_observer_path's python_method is re-emitted to observer_path's
// method_name, and the notice is renamed to it. Register them with
// Framework::add_python_aliases in the charm's constructor.
struct PythonHandlerAlias {
  std::string python_observer_path;  // "RedisK8sCharm/Sentinel[sentinel]"
  std::string python_method;         // "_sentinel_pebble_ready"
  std::string observer_path;         // "RedisK8sCharm"
  std::string method_name;           // "on_sentinel_pebble_ready"
};

// Runs the event loop of one dispatch over a StateStorage; see the top of the file.
class Framework {
 public:
  // A framework that owns storage (a dispatch: open_sqlite_storage(...)).
  // Loads the event counter; throws StorageError when the storage cannot be read.
  explicit Framework(std::unique_ptr<StateStorage> storage, Model* model = nullptr);
  // A framework that borrows storage, which must outlive it (tests, Harness).
  explicit Framework(StateStorage& storage, Model* model = nullptr);
  // Rolls back whatever was not committed (see close()).
  ~Framework();
  Framework(const Framework&) = delete;
  Framework& operator=(const Framework&) = delete;

  // Observes event with observer's method M, recorded under M's name
  // (e.g. "on_install"): framework.observe<&MyCharm::on_install>(on.install, *this).
  // M must take the event's type (or a base of it) by reference. Observing
  // twice with the same observer and method is a no-op.
  // A handler of another shape stops the build with one sentence saying why.
  template <auto M, class E, class O>
  void observe(EventSource<E>& event, O& observer);

  // Observes event with observer's method, recorded under method_name (which
  // must stay the same across charm versions for deferred events to find it).
  template <class E, class O, class M>
  requires HandlerMethodFor<M, E, O>
  void observe(EventSource<E>& event, O& observer, M method, std::string_view method_name);

  // Observes event with any callable taking E&, owned by observer and recorded
  // under method_name (for lambdas; the name must be stable across processes).
  template <class E, class F>
  requires std::invocable<F&, E&>
  void observe(EventSource<E>& event, Object& observer, std::string_view method_name, F handler);

  // The same three, for an EventSourceRef (charm.on["db"].relation_changed);
  // FrameworkError when the source does not exist.
  template <auto M, class E, class O>
  void observe(const EventSourceRef<E>& event, O& observer) {
    observe<M>(event.source(), observer);
  }
  template <class E, class O, class M>
  requires HandlerMethodFor<M, E, O>
  void observe(const EventSourceRef<E>& event, O& observer, M method,
               std::string_view method_name) {
    observe(event.source(), observer, method, method_name);
  }
  template <class E, class F>
  requires std::invocable<F&, E&>
  void observe(const EventSourceRef<E>& event, Object& observer, std::string_view method_name,
               F handler) {
    observe(event.source(), observer, method_name, std::move(handler));
  }

  // Observes a source known only at run time (events.event(kind), where
  // kind comes from data) with observer's method M, whose parameter P& is
  // checked when observing: FrameworkError when the source's events are not
  // P (or derived from it).
  template <auto M, class O>
  void observe(EventSourceBase& event, O& observer);

  // Runs the notices deferred in earlier dispatches, in the order they were
  // first saved; only deferring observers run again, and a notice deferred
  // again keeps its place. A notice whose observer method is not observing
  // its event but matches a Python handler alias runs the alias's
  // observation (and is renamed to it). Notices whose event kind or observer
  // method is not registered in this process are dropped with a WARNING log
  // line naming the event and the method.
  void reemit();

  // Declares which observations answer for the Python ops charm's handlers
  // (see PythonHandlerAlias); adds to the aliases declared before. Throws
  // FrameworkError when a field is empty or a Python handler is aliased twice
  // to different observations.
  void add_python_aliases(const std::vector<PythonHandlerAlias>& aliases);

  // Emits pre_commit then commit, sends the Model's pending relation writes
  // (when a dispatcher set that up: ops::main, Harness, Context), saves
  // changed stored state and the event counter, and commits the storage
  // transaction.
  void commit();

  // Drops the stored event snapshots ("<...>/on/<kind>[<n>]") that no notice
  // refers to any more (left by old framework versions or by crashes).
  void remove_unreferenced_events();

  // Registers T for the objects at "<parent>/<kind>[...]" (a null parent:
  // root handles "<kind>[...]"), so that load_snapshot can rebuild them and
  // save_snapshot accepts T. Registering a path again replaces its type.
  template <Serializable T>
  void register_type(const std::optional<Handle>& parent, std::string_view kind);
  template <Serializable T>
  void register_type(const Object& parent, std::string_view kind) {
    register_type<T>(std::optional<Handle>(parent.handle()), kind);
  }
  // Stores value.snapshot() under value.handle(); FrameworkError when T was
  // never registered (ops: "cannot save T values before registering that type").
  template <Serializable T>
  void save_snapshot(const T& value);
  // Rebuilds the object stored at handle: T(handle), then restore(snapshot)
  // (an event is attached to this framework first). NoTypeError when no type
  // is registered for handle's parent and kind, FrameworkError when the type
  // registered is not T, NoSnapshotError when nothing is stored there.
  template <Serializable T>
  std::unique_ptr<T> load_snapshot(const Handle& handle);
  // Removes the snapshot stored at handle (no-op when absent).
  void drop_snapshot(const Handle& handle);

  // Rolls back what was not committed and releases the storage (an owned
  // storage is closed, a borrowed one rolled back). Later emits, reemit() and
  // commit() throw FrameworkError. Idempotent.
  void close();

  // The framework's own events (pre_commit, commit).
  FrameworkEvents& on() noexcept { return *on_; }
  // The storage in use.
  [[nodiscard]] StateStorage& storage() const;
  // The Model given to the constructor or set_model(); throws FrameworkError if none.
  [[nodiscard]] Model& model() const;
  // True when a Model is attached.
  [[nodiscard]] bool has_model() const noexcept { return model_ != nullptr; }
  // Attaches (or, with null, detaches) the Model that events may use in restore().
  void set_model(Model* model) noexcept { model_ = model; }
  // How many events were ever emitted on this unit (the persisted key counter).
  [[nodiscard]] std::int64_t event_count() const noexcept { return event_count_; }
  // The first handler that an exception escaped from in the latest
  // top-level emit or reemit (the innermost, when custom events nest), for
  // the dispatch's error report; nullopt if none.
  [[nodiscard]] const std::optional<HandlerCall>& failed_handler() const noexcept {
    return failed_handler_;
  }

  // The handle path under which the framework stores its event counter.
  static constexpr std::string_view kStatePath = "StoredStateData[_stored]";

 private:
  friend class Object;
  friend class EventSourceBase;
  friend class StoredStateBase;
  template <class E>
  friend class EventSource;
  friend class detail::FrameworkAccess;
  // When true (the default, as in production ops), an emission is not queued
  // for an observer that already has a deferred notice of the same event kind
  // with an equal snapshot, and that observer is not called.
  void set_skip_duplicate_notices(bool skip) noexcept { skip_duplicate_notices_ = skip; }

  void init();
  void check_open() const;
  // The type registered for handle's parent and kind; NoTypeError if none.
  std::type_index registered_type(const Handle& handle) const;
  void require_known_type(std::type_index type, std::string_view type_name) const;
  // The snapshot stored at path; NoSnapshotError if none.
  nlohmann::json stored_snapshot_of(const std::string& path);
  void register_object(const Object& object);
  void forget_object(const Object& object) noexcept;
  // Registers a source on a plain Object (one on an ObjectEvents is found
  // through it); FrameworkError when the emitter already has that kind.
  void register_source(EventSourceBase& source);
  // Refuses a second source of the same kind on an ObjectEvents' emitter.
  void check_unique_source(const EventSourceBase& source) const;
  void forget_source(EventSourceBase& source) noexcept;
  // The source of "<emitter path>/<kind>", or null.
  [[nodiscard]] EventSourceBase* find_source(std::string_view path_without_key) const;
  void register_stored_state(StoredStateBase& state);
  void forget_stored_state(StoredStateBase& state) noexcept;
  void add_observation(EventSourceBase& source, Object& observer, std::string_view method_name,
                       std::function<void(EventBase&)> handler);
  // The next event's handle "<emitter>/<kind>[<n>]", counting it.
  Handle next_event_handle(const EventSourceBase& source);
  // Saves and delivers one event (the body of every emit).
  void emit_event(EventSourceBase& source, const Handle& handle, const nlohmann::json& snapshot);
  // The snapshot of an event being delivered or stored, or nullopt.
  std::optional<nlohmann::json> load_event_snapshot(std::string_view event_path);
  bool is_duplicate(const EventSourceBase& source, const std::string& observer_path,
                    const std::string& method_name, const nlohmann::json& snapshot,
                    const std::vector<Notice>& existing);
  void compact_observations() noexcept;
  static const EventSourceBase::Observation* find_observation(const EventSourceBase& source,
                                                              std::string_view observer_path,
                                                              std::string_view method_name);
  // Runs one observer, remembering it in failed_handler_ if it throws.
  bool run(EventSourceBase& source, const Handle& handle, const nlohmann::json& snapshot,
           const EventSourceBase::Observation& observation);
  struct DepthGuard;
  struct InFlight;

  std::unique_ptr<StateStorage> owned_storage_;
  StateStorage* storage_ = nullptr;
  Model* model_ = nullptr;
  bool closed_ = false;
  bool skip_duplicate_notices_ = true;
  std::int64_t event_count_ = 0;
  bool event_count_dirty_ = false;
  nlohmann::json state_snapshot_;  // {"event_count": N}, saved at a commit (commit())
  int emit_depth_ = 0;
  bool observations_dirty_ = false;
  std::map<std::string, const Object*, std::less<>> objects_;
  // Sources on plain Objects, by "<emitter path>/<kind>"; the sources of an
  // ObjectEvents are found through it (objects_), so building a charm's
  // `on` registers nothing here.
  std::map<std::string, EventSourceBase*, std::less<>> plain_sources_;
  // Sources with (or once with) an observation: the only ones an observer's
  // destruction has to visit.
  std::vector<EventSourceBase*> observed_sources_;
  // Runs after the commit event, before stored state is saved (the
  // dispatcher's relation-write flush); see FrameworkAccess.
  std::function<void()> before_save_;
  // Told of every event emitted (observed or not) before its handlers run:
  // the Context's emitted_events; see FrameworkAccess.
  std::function<void(const EventSourceBase&, const nlohmann::json&)> emit_listener_;
  std::vector<StoredStateBase*> stored_states_;
  std::optional<HandlerCall> failed_handler_;
  std::vector<PythonHandlerAlias> python_aliases_;
  // register_type: (parent path, kind) -> type, and every type registered.
  std::map<std::pair<std::string, std::string>, std::type_index, std::less<>> type_registry_;
  std::vector<std::type_index> types_known_;
  // Events whose handlers are running, innermost last: path and snapshot.
  std::vector<std::pair<std::string_view, const nlohmann::json*>> in_flight_;
  std::unique_ptr<Object> root_;         // "framework"
  std::unique_ptr<FrameworkEvents> on_;  // "framework/on"
};

// Base of StoredState and TypedStoredState: an Object at
// "parent/StoredStateData[attr_name]" whose JSON snapshot is read lazily from
// the storage and written back by Framework::commit() when it changed.
class StoredStateBase : public Object {
 public:
  ~StoredStateBase() override;

 protected:
  StoredStateBase(Object& parent, std::string_view attr_name);
  // The stored snapshot, loaded on first call; null when nothing is stored.
  [[nodiscard]] const nlohmann::json& stored_snapshot() const;

 private:
  friend class Framework;
  // True when the current value differs from what the storage holds.
  [[nodiscard]] virtual bool changed() const = 0;
  // The value to store.
  [[nodiscard]] virtual nlohmann::json current_snapshot() const = 0;
  // Called by the framework after snapshot was saved.
  void saved(nlohmann::json snapshot);
  // Lets a subclass forget its own change tracking after a save.
  virtual void on_saved() {}

  mutable std::optional<nlohmann::json> stored_;
};

// Persistent JSON attributes of an Object (Python's `_stored = StoredState()`):
//   ops::StoredState stored_{*this};
//   stored_.set_default({{"password", ""}, {"peers", nlohmann::json::array()}});
//   stored_.set("password", "s3cret");  std::string p = stored_.get<std::string>("password");
// Values are JSON (null, bool, numbers, strings, arrays, objects); a C++ value
// converts when nlohmann::json can build it, and a type it cannot build does
// not compile. Changes are saved at commit only when something changed.
class StoredState final : public StoredStateBase {
 public:
  // The state "parent/StoredStateData[attr_name]".
  explicit StoredState(Object& parent, std::string_view attr_name = "_stored");

  // True when key has a value.
  [[nodiscard]] bool contains(std::string_view key) const;
  // The value of key; throws FrameworkError when key is not stored.
  [[nodiscard]] const nlohmann::json& get(std::string_view key) const;
  // The value of key as T; throws FrameworkError when key is not stored or is not a T.
  template <class T>
  T get(std::string_view key) const;
  // Sets key to value.
  void set(std::string_view key, nlohmann::json value);
  // Sets key to value only when key is not stored.
  void set_default(std::string_view key, nlohmann::json value);
  // Sets each key of defaults (a JSON object) that is not stored; throws
  // FrameworkError when defaults is not an object.
  void set_default(const nlohmann::json& defaults);
  // Removes key (no-op when absent).
  void erase(std::string_view key);
  // Every stored key and value, as a JSON object.
  [[nodiscard]] const nlohmann::json& data() const;
  // The value of key for changing it in place, as ops' StoredDict and
  // StoredList allow: stored_["peers"].push_back("redis/1"),
  // stored_["cfg"]["port"] = 6379. A missing key is added as null. What is
  // changed through the reference is saved at commit (compared with what
  // the storage holds, as set() does). The reference is valid until the key
  // is erased or the state destroyed.
  nlohmann::json& operator[](std::string_view key);
  // Every stored key and value (a JSON object) for changing in place; saved
  // at commit like operator[]. Replacing it with a non-object makes commit()
  // throw FrameworkError.
  nlohmann::json& mutable_data();
  // True when there are changes not yet saved.
  bool dirty() const { return changed(); }

 private:
  void load() const;
  [[nodiscard]] bool changed() const override;
  [[nodiscard]] nlohmann::json current_snapshot() const override;
  void on_saved() override { dirty_ = false; }

  mutable nlohmann::json data_;
  mutable bool loaded_ = false;
  bool dirty_ = false;
  bool exposed_ = false;  // a mutable reference was handed out
};

// The stored state of an Object as one typed value T (a struct with nlohmann
// to_json/from_json): TypedStoredState<PeerState> state_{*this, "_peers"};
// read with get() or ->, change with set() or modify(). Saved at commit when
// its JSON differs from what is stored.
template <class T>
class TypedStoredState final : public StoredStateBase {
  static_assert(std::is_constructible_v<nlohmann::json, const T&>,
                "TypedStoredState<T> needs a to_json(nlohmann::json&, const T&) for T");
  static_assert(
      requires(const nlohmann::json& j) { j.get<T>(); },
      "TypedStoredState<T> needs a from_json(const nlohmann::json&, T&) for T");

 public:
  // The state "parent/StoredStateData[attr_name]"; initial is used when
  // nothing is stored yet.
  explicit TypedStoredState(Object& parent, std::string_view attr_name = "_stored", T initial = T{})
      : StoredStateBase(parent, attr_name), value_(std::move(initial)) {}

  // The value; throws FrameworkError when the stored JSON does not fit T.
  [[nodiscard]] const T& get() const {
    load();
    return value_;
  }
  const T& operator*() const { return get(); }
  const T* operator->() const { return &get(); }
  // Replaces the value.
  void set(T value) {
    load();
    value_ = std::move(value);
  }
  // Changes the value in place: state.modify([](PeerState& s) { s.count++; }).
  template <class F>
  void modify(F&& change) {
    load();
    std::forward<F>(change)(value_);
  }

 private:
  void load() const {
    if (loaded_) return;
    const nlohmann::json& stored = stored_snapshot();
    if (!stored.is_null()) {
      try {
        value_ = stored.get<T>();
      } catch (const nlohmann::json::exception& e) {
        throw FrameworkError("stored state " + handle().path() +
                             " does not match its type: " + e.what());
      }
    }
    loaded_ = true;
  }
  [[nodiscard]] bool changed() const override {
    return loaded_ && nlohmann::json(value_) != stored_snapshot();
  }
  [[nodiscard]] nlohmann::json current_snapshot() const override { return nlohmann::json(value_); }

  mutable T value_;
  mutable bool loaded_ = false;
};

// ---- template definitions --------------------------------------------------

template <class E>
template <class... Args>
void EventSource<E>::emit(Args&&... args) {
  static_assert(std::is_constructible_v<E, Handle, Args...>,
                "emit(args...) needs a constructor E(ops::Handle, args...)");
  Framework& fw = framework();
  fw.check_open();
  E event(fw.next_event_handle(*this), std::forward<Args>(args)...);
  attach(event);
  const nlohmann::json snapshot = event.snapshot();
  fw.emit_event(*this, event.handle(), snapshot);
}

template <class E>
template <class... Args>
void EventSourceRef<E>::emit(Args&&... args) const {
  source().emit(std::forward<Args>(args)...);
}

template <class E>
bool EventSource<E>::run_observer(const Handle& handle, const nlohmann::json& snapshot,
                                  const Observation& observation) {
  E event(handle);
  attach(event);
  event.restore(snapshot);
  observation.handler(event);
  return event.deferred();
}

template <class E>
EventSource<E>& ObjectEvents::define_event(std::string_view kind) {
  auto source = std::make_unique<EventSource<E>>(*this, kind);
  EventSource<E>& result = *source;
  defined_.push_back(std::move(source));
  return result;
}

template <class E>
EventSource<E>& ObjectEvents::get(std::string_view kind) const {
  EventSourceBase& source = (*this)[kind];
  auto* typed = dynamic_cast<EventSource<E>*>(&source);
  if (typed == nullptr) {
    throw FrameworkError("event '" + std::string(kind) + "' of " + handle().path() +
                         " is not of the requested type");
  }
  return *typed;
}

template <auto M, class E, class O>
void Framework::observe(EventSource<E>& event, O& observer) {
  using Method = decltype(M);
  // One static_assert fires, with the sentence for the mistake made.
  if constexpr (detail::kIsConstMethod<Method>) {
    static_assert(detail::kAlwaysFalse<Method>,
                  "handler must not be const: observe a non-const member function taking "
                  "EventType&");
  } else if constexpr (detail::kIsByValueMethod<Method>) {
    static_assert(detail::kAlwaysFalse<Method>,
                  "handler must take the event by reference (EventType&), not by value");
  } else if constexpr (!HandlerMethodFor<Method, E, O>) {
    static_assert(detail::kAlwaysFalse<Method>,
                  "handler must be a non-const member function taking EventType&");
  } else {
    observe(event, observer, M, detail::member_name<M>());
  }
}

template <class E, class O, class M>
requires HandlerMethodFor<M, E, O>
void Framework::observe(EventSource<E>& event, O& observer, M method,
                        std::string_view method_name) {
  O* target = &observer;
  add_observation(event, observer, method_name, [target, method](EventBase& e) {
    (target->*method)(detail::checked_cast<E>(e));
  });
}

template <auto M, class O>
void Framework::observe(EventSourceBase& event, O& observer) {
  using Method = decltype(M);
  static_assert(detail::HandlerMethod<Method>::kIsMethod &&
                    std::is_lvalue_reference_v<typename detail::HandlerMethod<Method>::Param>,
                "handler must be a non-const member function taking EventType&");
  using Param = std::remove_cvref_t<typename detail::HandlerMethod<Method>::Param>;
  static_assert(std::is_base_of_v<EventBase, Param>, "a handler's parameter must be an event");
  static_assert(std::is_base_of_v<typename detail::HandlerMethod<Method>::Class, O>,
                "the handler must be a method of the observer");
  const std::unique_ptr<EventBase> probe =
      event.make_event(Handle(event.emitter().handle(), event.kind()));
  if (dynamic_cast<Param*>(probe.get()) == nullptr) {
    throw FrameworkError("cannot observe " + event.emitter().handle().path() + "/" + event.kind() +
                         " with " + std::string(detail::member_name<M>()) +
                         ": its events are not of the handler's parameter type");
  }
  O* target = &observer;
  add_observation(event, observer, detail::member_name<M>(),
                  [target](EventBase& e) { (target->*M)(detail::checked_cast<Param>(e)); });
}

template <class E, class F>
requires std::invocable<F&, E&>
void Framework::observe(EventSource<E>& event, Object& observer, std::string_view method_name,
                        F handler) {
  add_observation(event, observer, method_name,
                  [handler = std::move(handler)](EventBase& e) mutable {
                    handler(detail::checked_cast<E>(e));
                  });
}

template <Serializable T>
void Framework::register_type(const std::optional<Handle>& parent, std::string_view kind) {
  if (kind.empty()) throw FrameworkError("register_type needs a kind");
  const std::type_index type(typeid(T));
  type_registry_.insert_or_assign({parent ? parent->path() : std::string(), std::string(kind)},
                                  type);
  if (std::find(types_known_.begin(), types_known_.end(), type) == types_known_.end()) {
    types_known_.push_back(type);
  }
}

template <Serializable T>
void Framework::save_snapshot(const T& value) {
  check_open();
  require_known_type(typeid(T), typeid(T).name());
  storage_->save_snapshot(value.handle().path(), value.snapshot());
}

template <Serializable T>
std::unique_ptr<T> Framework::load_snapshot(const Handle& handle) {
  check_open();
  if (registered_type(handle) != std::type_index(typeid(T))) {
    throw FrameworkError("cannot restore " + handle.path() +
                         " as the type asked for: another type is registered for it");
  }
  nlohmann::json data = stored_snapshot_of(handle.path());
  auto object = std::make_unique<T>(handle);
  if constexpr (std::is_base_of_v<EventBase, T>) {
    static_cast<EventBase&>(*object).framework_ = this;
  }
  object->restore(data);
  return object;
}

template <class T>
T StoredState::get(std::string_view key) const {
  const nlohmann::json& value = get(key);
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw FrameworkError("stored attribute '" + std::string(key) + "' of " + handle().path() +
                         " has the wrong type: " + e.what());
  }
}

}  // namespace ops
