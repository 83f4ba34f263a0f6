// ops' test/test_framework.py translated to ops-cpp: handles, observe/emit,
// custom events, defer/re-emit across restarts, snapshots of registered
// types, pre-commit/commit and StoredState (TestStoredState).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ops/errors.hpp"
#include "ops/framework.hpp"
#include "ops/storage.hpp"

namespace {

using nlohmann::json;
using ops::EventBase;
using ops::EventSource;
using ops::Framework;
using ops::FrameworkError;
using ops::Handle;
using ops::MemoryStorage;
using ops::Object;
using ops::ObjectEvents;
using ops::StoredState;

class PlainEvent : public EventBase {
 public:
  using EventBase::EventBase;
};

// ops: SimpleEventWithData / MyEvent with a value in its snapshot.
class DataEvent : public EventBase {
 public:
  explicit DataEvent(Handle handle) : EventBase(std::move(handle)) {}
  DataEvent(Handle handle, std::string value)
      : EventBase(std::move(handle)), value_(std::move(value)) {}
  json snapshot() const override { return {{"data", value_}}; }
  void restore(const json& snapshot) override { value_ = snapshot.at("data").get<std::string>(); }
  const std::string& value() const { return value_; }

 private:
  std::string value_;
};

struct NotifierEvents : ObjectEvents {
  using ObjectEvents::ObjectEvents;
  EventSource<PlainEvent> foo{*this, "foo"};
  EventSource<PlainEvent> bar{*this, "bar"};
  EventSource<DataEvent> data{*this, "data"};
};

class Notifier : public Object {
 public:
  Notifier(Framework& fw, std::string_view name) : Object(fw, name) {}
  NotifierEvents on{*this};
};

// Records "<kind>" (or "<kind>:<value>") of every event and defers on request.
class Recorder : public Object {
 public:
  Recorder(Framework& fw, std::string_view name) : Object(fw, name) {}
  void on_any(EventBase& event) {
    seen.emplace_back(event.handle().kind());
    if (defer) event.defer();
  }
  void on_foo(PlainEvent& event) { on_any(event); }
  void on_bar(PlainEvent& event) { on_any(event); }
  void on_data(DataEvent& event) {
    seen.push_back(std::string(event.handle().kind()) + ":" + event.value());
    if (defer) event.defer();
  }
  std::vector<std::string> seen;
  bool defer = false;
};

class FrameworkCompat : public ::testing::Test {
 protected:
  MemoryStorage storage;
  std::unique_ptr<Framework> fw = std::make_unique<Framework>(storage);
  // A new dispatch on the same storage (what was not committed is lost).
  void restart() {
    fw.reset();
    fw = std::make_unique<Framework>(storage);
  }
};

// A value registered with register_type (ops' Foo(Object) with snapshot/restore).
class Counter {
 public:
  explicit Counter(Handle handle) : handle_(std::move(handle)) {}
  const Handle& handle() const { return handle_; }
  json snapshot() const { return {{"count", count}}; }
  void restore(const json& snapshot) { count = snapshot.at("count").get<int>(); }
  int count = 0;

 private:
  Handle handle_;
};

class OtherCounter : public Counter {
 public:
  using Counter::Counter;
};

// ---- handles -------------------------------------------------------------------

// ops: test/test_framework.py::TestFramework::test_handle_path
TEST_F(FrameworkCompat, HandlePath) {
  const Handle root("root", "1");
  EXPECT_EQ(root.path(), "root[1]");
  const Handle child(root, "child", "2");
  EXPECT_EQ(child.path(), "root[1]/child[2]");
  const Handle grandchild(child, "grandchild");
  EXPECT_EQ(grandchild.path(), "root[1]/child[2]/grandchild");
  EXPECT_EQ(Handle::from_path("root[1]/child[2]/grandchild").path(), grandchild.path());
  EXPECT_EQ(Handle::from_path("root[1]/child[2]"), child);
}

// ops: test/test_framework.py::TestFramework::test_handle_attrs_readonly
TEST_F(FrameworkCompat, HandleAttributes) {
  const Handle handle(Handle("parent"), "kind", "key");
  EXPECT_EQ(handle.kind(), "kind");
  EXPECT_EQ(handle.key(), "key");
  EXPECT_EQ(handle.parent_path(), "parent");
  EXPECT_EQ(handle.parent()->path(), "parent");
  EXPECT_FALSE(Handle("root").parent().has_value());
  EXPECT_FALSE(Handle("root").key().has_value());
}

// ops: test/test_framework.py::TestFramework::test_handle_path (malformed paths)
TEST_F(FrameworkCompat, MalformedHandlePathIsRefused) {
  EXPECT_THROW((void)Handle::from_path(""), FrameworkError);
  EXPECT_THROW((void)Handle::from_path("a//b"), FrameworkError);
  EXPECT_THROW((void)Handle::from_path("a[]"), FrameworkError);
  EXPECT_THROW(Handle("a/b"), FrameworkError);
}

// ---- snapshots of registered types -------------------------------------------

// ops: test/test_framework.py::TestFramework::test_restore_unknown
TEST_F(FrameworkCompat, RestoreUnknownRaisesNoTypeError) {
  try {
    fw->load_snapshot<Counter>(Handle("a", "b"));
    FAIL() << "expected NoTypeError";
  } catch (const ops::NoTypeError& e) {
    EXPECT_EQ(e.handle_path(), "a[b]");
    EXPECT_STREQ(e.what(), "cannot restore a[b] since no class was registered for it");
  }
}

// ops: test/test_framework.py::TestFramework::test_snapshot_roundtrip
TEST_F(FrameworkCompat, SnapshotRoundtripAcrossRestart) {
  fw->register_type<Counter>(std::nullopt, "counter");
  Counter counter(Handle("counter", "1"));
  counter.count = 2;
  fw->save_snapshot(counter);
  fw->commit();
  restart();
  fw->register_type<Counter>(std::nullopt, "counter");
  auto loaded = fw->load_snapshot<Counter>(Handle("counter", "1"));
  EXPECT_EQ(loaded->count, 2);
  EXPECT_EQ(loaded->handle().path(), "counter[1]");
  fw->drop_snapshot(loaded->handle());
  fw->commit();
  restart();
  fw->register_type<Counter>(std::nullopt, "counter");
  try {
    fw->load_snapshot<Counter>(Handle("counter", "1"));
    FAIL() << "expected NoSnapshotError";
  } catch (const ops::NoSnapshotError& e) {
    EXPECT_EQ(e.handle_path(), "counter[1]");
    EXPECT_STREQ(e.what(), "no snapshot data found for counter[1] object");
  }
}

// ops: test/test_framework.py::TestFramework::test_snapshot_roundtrip (types under a parent)
TEST_F(FrameworkCompat, RegisterTypeUnderAParentObject) {
  Notifier parent(*fw, "parent");
  fw->register_type<Counter>(parent, "counter");
  Counter counter(Handle(parent.handle(), "counter", "7"));
  counter.count = 5;
  fw->save_snapshot(counter);
  EXPECT_EQ(storage.load_snapshot("parent/counter[7]"), json({{"count", 5}}));
  EXPECT_EQ(fw->load_snapshot<Counter>(counter.handle())->count, 5);
  // The same kind at the root is another registration.
  EXPECT_THROW((void)fw->load_snapshot<Counter>(Handle("counter", "7")), ops::NoTypeError);
}

// ops: test/test_framework.py::TestFramework::test_snapshot_saving_restricted_to_simple_types
// (ops refuses saving a type never registered: "cannot save ... before registering that type")
TEST_F(FrameworkCompat, SavingAnUnregisteredTypeIsRefused) {
  Counter counter(Handle("counter", "1"));
  try {
    fw->save_snapshot(counter);
    FAIL() << "expected FrameworkError";
  } catch (const FrameworkError& e) {
    EXPECT_NE(std::string(e.what()).find("before registering that type"), std::string::npos);
  }
  EXPECT_FALSE(storage.load_snapshot("counter[1]").has_value());
}

// ops: test/test_framework.py::TestFramework::test_snapshot_roundtrip (typed difference)
// We differ: load_snapshot<T> is typed; asking for another type than the registered one throws.
TEST_F(FrameworkCompat, LoadSnapshotAsAnotherTypeIsRefused) {
  fw->register_type<OtherCounter>(std::nullopt, "counter");
  OtherCounter counter(Handle("counter", "1"));
  fw->save_snapshot(counter);
  EXPECT_THROW((void)fw->load_snapshot<Counter>(Handle("counter", "1")), FrameworkError);
  EXPECT_EQ(fw->load_snapshot<OtherCounter>(Handle("counter", "1"))->count, 0);
}

// ops: test/test_framework.py::TestFramework::test_forget_and_multiple_objects_with_load_snapshot
TEST_F(FrameworkCompat, LoadSnapshotRestoresEventsAttachedToTheFramework) {
  Notifier notifier(*fw, "notifier");
  fw->register_type<DataEvent>(notifier.on, "data");
  DataEvent event(Handle(notifier.on.handle(), "data", "3"), "payload");
  fw->save_snapshot(event);
  auto loaded = fw->load_snapshot<DataEvent>(event.handle());
  EXPECT_EQ(loaded->value(), "payload");
  EXPECT_EQ(&loaded->framework(), fw.get());
}

// ---- observe and emit ---------------------------------------------------------

// ops: test/test_framework.py::TestFramework::test_simple_event_observer
TEST_F(FrameworkCompat, SimpleEventObserver) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  fw->observe<&Recorder::on_foo>(pub.on.foo, obs);
  fw->observe<&Recorder::on_bar>(pub.on.bar, obs);
  pub.on.foo.emit();
  pub.on.bar.emit();
  pub.on.foo.emit();
  EXPECT_EQ(obs.seen, (std::vector<std::string>{"foo", "bar", "foo"}));
}

// ops: test/test_framework.py::TestFramework::test_event_observer_more_args
TEST_F(FrameworkCompat, ObserversRunInRegistrationOrder) {
  Notifier pub(*fw, "pub");
  std::vector<std::string> calls;
  Recorder first(*fw, "first");
  Recorder second(*fw, "second");
  fw->observe(pub.on.foo, second, "second", [&](PlainEvent&) { calls.push_back("second"); });
  fw->observe(pub.on.foo, first, "first", [&](PlainEvent&) { calls.push_back("first"); });
  pub.on.foo.emit();
  EXPECT_EQ(calls, (std::vector<std::string>{"second", "first"}));
}

// ops: test/test_framework.py::TestFramework::test_simple_event_observer (observing twice)
TEST_F(FrameworkCompat, ObservingTwiceWithTheSameMethodRunsOnce) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  fw->observe<&Recorder::on_foo>(pub.on.foo, obs);
  fw->observe<&Recorder::on_foo>(pub.on.foo, obs);
  pub.on.foo.emit();
  EXPECT_EQ(obs.seen.size(), 1u);
  EXPECT_EQ(pub.on.foo.observer_count(), 1u);
}

// ops: test/test_framework.py::TestFramework::test_bad_sig_observer
// We differ: a wrong handler signature does not compile; with a source known only at run
// time the parameter type is checked when observing.
TEST_F(FrameworkCompat, RunTimeSourceWithTheWrongEventTypeIsRefused) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  EXPECT_THROW(fw->observe<&Recorder::on_data>(pub.on.event("foo"), obs), FrameworkError);
  EXPECT_EQ(pub.on.foo.observer_count(), 0u);
}

// ops: test/test_framework.py::TestFramework::test_dynamic_event_types (observe(self.on[name]))
TEST_F(FrameworkCompat, ObservesASourceKnownOnlyAtRunTime) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  for (const std::string kind : {"foo", "data"}) {
    fw->observe<&Recorder::on_any>(pub.on.event(kind), obs);
  }
  pub.on.data.emit("x");
  pub.on.foo.emit();
  pub.on.bar.emit();
  EXPECT_EQ(obs.seen, (std::vector<std::string>{"data", "foo"}));
}

// ops: test/test_framework.py::TestFramework::test_on_pre_commit_emitted
TEST_F(FrameworkCompat, PreCommitAndCommitAreEmittedInOrder) {
  Recorder obs(*fw, "obs");
  StoredState stored(obs);
  std::vector<std::string> calls;
  fw->observe(fw->on().pre_commit, obs, "pre", [&](ops::PreCommitEvent&) {
    calls.push_back("pre_commit");
    stored.set("status", "changed in pre-commit");
  });
  fw->observe(fw->on().commit, obs, "commit",
              [&](ops::CommitEvent&) { calls.push_back("commit"); });
  fw->commit();
  EXPECT_EQ(calls, (std::vector<std::string>{"pre_commit", "commit"}));
  EXPECT_EQ(storage.load_snapshot("obs/StoredStateData[_stored]"),
            json({{"status", "changed in pre-commit"}}));
}

// ops: test/test_framework.py::TestFramework::test_on_pre_commit_emitted (not deferrable)
TEST_F(FrameworkCompat, CommitEventsCannotBeDeferred) {
  Recorder obs(*fw, "obs");
  fw->observe(fw->on().commit, obs, "commit", [](ops::CommitEvent& e) { e.defer(); });
  EXPECT_THROW(fw->commit(), FrameworkError);
}

// ops: test/test_framework.py::TestFramework::test_defer_and_reemit
TEST_F(FrameworkCompat, DeferAndReemit) {
  {
    Notifier pub(*fw, "pub");
    Recorder obs(*fw, "obs");
    obs.defer = true;
    fw->observe<&Recorder::on_foo>(pub.on.foo, obs);
    fw->observe<&Recorder::on_bar>(pub.on.bar, obs);
    pub.on.foo.emit();
    pub.on.bar.emit();
    EXPECT_EQ(obs.seen, (std::vector<std::string>{"foo", "bar"}));
    fw->commit();
  }
  restart();
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  fw->observe<&Recorder::on_foo>(pub.on.foo, obs);
  fw->observe<&Recorder::on_bar>(pub.on.bar, obs);
  fw->reemit();
  EXPECT_EQ(obs.seen, (std::vector<std::string>{"foo", "bar"}));
  EXPECT_TRUE(storage.notices().empty());
  EXPECT_EQ(storage.list_snapshots(), std::vector<std::string>{"StoredStateData[_stored]"});
}

// ops: test/test_framework.py::TestFramework::test_repeated_defer
TEST_F(FrameworkCompat, RepeatedDeferKeepsOrderAcrossDispatches) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  obs.defer = true;
  fw->observe<&Recorder::on_data>(pub.on.data, obs);
  pub.on.data.emit("1");
  pub.on.data.emit("2");
  fw->reemit();
  pub.on.data.emit("3");
  fw->reemit();
  EXPECT_EQ(obs.seen, (std::vector<std::string>{"data:1", "data:2", "data:1", "data:2", "data:3",
                                                "data:1", "data:2", "data:3"}));
  obs.defer = false;
  fw->reemit();
  fw->reemit();
  EXPECT_EQ(obs.seen.size(), 11u);
  EXPECT_TRUE(storage.notices().empty());
}

// ops: test/test_framework.py::TestFramework::test_two_observers_one_deferring
TEST_F(FrameworkCompat, OnlyTheDeferringObserverSeesTheReemit) {
  Notifier pub(*fw, "pub");
  Recorder deferring(*fw, "deferring");
  Recorder plain(*fw, "plain");
  deferring.defer = true;
  fw->observe<&Recorder::on_foo>(pub.on.foo, deferring);
  fw->observe<&Recorder::on_foo>(pub.on.foo, plain);
  pub.on.foo.emit();
  fw->reemit();
  EXPECT_EQ(deferring.seen.size(), 2u);
  EXPECT_EQ(plain.seen.size(), 1u);
  ASSERT_EQ(storage.notices().size(), 1u);
  EXPECT_EQ(storage.notices()[0].observer_path, "deferring");
  EXPECT_EQ(storage.notices()[0].method_name, "on_foo");
}

// ops: test/test_framework.py::TestFramework::test_custom_event_data
TEST_F(FrameworkCompat, CustomEventDataSurvivesARestart) {
  {
    Notifier pub(*fw, "pub");
    Recorder obs(*fw, "obs");
    obs.defer = true;
    fw->observe<&Recorder::on_data>(pub.on.data, obs);
    pub.on.data.emit("saved-value");
    fw->commit();
  }
  EXPECT_EQ(storage.committed_snapshots().at("pub/on/data[1]"), json({{"data", "saved-value"}}));
  restart();
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  fw->observe<&Recorder::on_data>(pub.on.data, obs);
  fw->reemit();
  EXPECT_EQ(obs.seen, (std::vector<std::string>{"data:saved-value"}));
}

// ops: test/test_framework.py::TestFramework::test_weak_observer
TEST_F(FrameworkCompat, ADestroyedObserverIsNotCalled) {
  Notifier pub(*fw, "pub");
  std::vector<std::string> calls;
  {
    Recorder obs(*fw, "obs");
    fw->observe(pub.on.foo, obs, "on_foo", [&](PlainEvent&) { calls.push_back("called"); });
    pub.on.foo.emit();
  }
  pub.on.foo.emit();
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(pub.on.foo.observer_count(), 0u);
}

// ops: test/test_framework.py::TestFramework::test_forget_and_multiple_objects
TEST_F(FrameworkCompat, TwoLiveObjectsCannotShareAPath) {
  auto first = std::make_unique<Recorder>(*fw, "same");
  try {
    Recorder second(*fw, "same");
    FAIL() << "expected FrameworkError";
  } catch (const FrameworkError& e) {
    EXPECT_STREQ(e.what(), "two objects claiming to be same have been created");
  }
  first.reset();
  EXPECT_NO_THROW(Recorder again(*fw, "same"));
}

// ops: test/test_framework.py::TestFramework::test_events_base
TEST_F(FrameworkCompat, EventsAreFoundByKind) {
  Notifier pub(*fw, "pub");
  EXPECT_EQ(&pub.on.event("foo"), &pub.on.foo);
  EXPECT_EQ(pub.on.find("nope"), nullptr);
  EXPECT_EQ(pub.on.event_kinds(), (std::vector<std::string>{"bar", "data", "foo"}));
  EXPECT_EQ(&pub.on.get<DataEvent>("data"), &pub.on.data);
  EXPECT_THROW((void)pub.on.get<DataEvent>("foo"), FrameworkError);
  EXPECT_THROW(pub.on.event("nope"), FrameworkError);
}

// ops: test/test_framework.py::TestFramework::test_conflicting_event_attributes
TEST_F(FrameworkCompat, DefiningAnEventKindTwiceIsRefused) {
  Notifier pub(*fw, "pub");
  try {
    pub.on.define_event<PlainEvent>("foo");
    FAIL() << "expected FrameworkError";
  } catch (const FrameworkError& e) {
    EXPECT_STREQ(e.what(), "two event sources claiming to be pub/on/foo have been created");
  }
  EXPECT_THROW(pub.on.define_event<PlainEvent>("not-an-identifier"), FrameworkError);
}

// ops: test/test_framework.py::TestFramework::test_reemit_ignores_unknown_event_type
TEST_F(FrameworkCompat, ReemitDropsNoticesOfUnknownEventKinds) {
  {
    Notifier pub(*fw, "pub");
    auto& gone = pub.on.define_event<PlainEvent>("gone");
    Recorder obs(*fw, "obs");
    obs.defer = true;
    fw->observe<&Recorder::on_any>(gone, obs);
    gone.emit();
    fw->commit();
  }
  restart();
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  fw->reemit();
  EXPECT_TRUE(obs.seen.empty());
  EXPECT_TRUE(storage.notices().empty());
}

// ops: test/test_framework.py::TestFramework::test_auto_register_event_types
TEST_F(FrameworkCompat, EventsDefinedAtRunTimeAreDeliveredAndReemitted) {
  Notifier pub(*fw, "pub");
  auto& dynamic = pub.on.define_event<DataEvent>("dynamic");
  Recorder obs(*fw, "obs");
  obs.defer = true;
  fw->observe<&Recorder::on_data>(dynamic, obs);
  dynamic.emit("a");
  fw->reemit();
  EXPECT_EQ(obs.seen, (std::vector<std::string>{"dynamic:a", "dynamic:a"}));
}

// ops: test/test_framework.py::TestFramework::test_event_key_roundtrip
TEST_F(FrameworkCompat, EventKeysKeepCountingAcrossRestarts) {
  std::vector<std::string> paths;
  auto run = [&](const std::string& value) {
    Notifier pub(*fw, "pub");
    Recorder obs(*fw, "obs");
    fw->observe(pub.on.data, obs, "on_data", [&](DataEvent& e) {
      if (e.value() == value) paths.push_back(e.handle().path());
      e.defer();
    });
    pub.on.data.emit(value);
    fw->commit();
  };
  run("first");
  restart();
  run("second");
  // pre_commit and commit take keys too (2, 3), as in ops.
  EXPECT_EQ(paths, (std::vector<std::string>{"pub/on/data[1]", "pub/on/data[4]"}));
  EXPECT_EQ(fw->event_count(), 6);
}

// ops: test/test_framework.py::TestFramework::test_helper_properties
// We differ: a Framework may run without a Model; model() then throws.
TEST_F(FrameworkCompat, HelperPropertiesWithoutAModel) {
  Recorder obs(*fw, "obs");
  EXPECT_EQ(&obs.framework(), fw.get());
  EXPECT_FALSE(fw->has_model());
  EXPECT_THROW((void)obs.model(), FrameworkError);
}

// ops: test/test_framework.py::TestFramework::test_unobserved_events_dont_leave_cruft
TEST_F(FrameworkCompat, UnobservedEventsLeaveNothingStored) {
  Notifier pub(*fw, "pub");
  pub.on.foo.emit();
  pub.on.data.emit("x");
  fw->commit();
  EXPECT_TRUE(storage.notices().empty());
  for (const auto& path : storage.list_snapshots())
    EXPECT_EQ(path.find("pub/on/"), std::string::npos);
}

// ops: test/test_framework.py::TestFramework::test_event_regex
TEST_F(FrameworkCompat, OnlyEventPathsAreUnreferencedEvents) {
  for (const char* path :
       {"on/foo[1]", "a/on/foo[1]", "a[x]/b/on/foo_bar[12]", "not/on/foo[x]", "a/on/foo",
        "a/onx/foo[1]", "a/on/foo-bar[1]", "StoredStateData[_stored]", "a/on/foo[1]/b"}) {
    storage.save_snapshot(path, json{{"p", path}});
  }
  fw->remove_unreferenced_events();
  EXPECT_EQ(storage.list_snapshots(),
            (std::vector<std::string>{"StoredStateData[_stored]", "a/on/foo", "a/on/foo-bar[1]",
                                      "a/on/foo[1]/b", "a/onx/foo[1]", "not/on/foo[x]"}));
}

// ops: test/test_framework.py::TestFramework::test_remove_unreferenced_events
TEST_F(FrameworkCompat, RemoveUnreferencedEventsKeepsReferencedOnes) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  obs.defer = true;
  fw->observe<&Recorder::on_foo>(pub.on.foo, obs);
  pub.on.foo.emit();                                        // pub/on/foo[1], referenced by a notice
  storage.save_snapshot("pub/on/foo[99]", json::object());  // left by an old framework
  fw->remove_unreferenced_events();
  EXPECT_EQ(storage.list_snapshots(), (std::vector<std::string>{"pub/on/foo[1]"}));
  ASSERT_EQ(storage.notices().size(), 1u);
  fw->reemit();
  EXPECT_EQ(obs.seen.size(), 2u);
}

// ops: test/test_framework.py::TestFramework::test_wrapped_handler (exceptions)
TEST_F(FrameworkCompat, AHandlerThatThrowsLeavesNothingCommitted) {
  {  // the charm's objects go before the framework does
    Notifier pub(*fw, "pub");
    Recorder obs(*fw, "obs");
    StoredState stored(obs);
    fw->observe(pub.on.foo, obs, "on_foo", [&](PlainEvent&) {
      stored.set("x", 1);
      throw std::runtime_error("boom");
    });
    EXPECT_THROW(pub.on.foo.emit(), std::runtime_error);
    ASSERT_TRUE(fw->failed_handler().has_value());
    EXPECT_EQ(fw->failed_handler()->method_name, "on_foo");
  }
  restart();
  EXPECT_TRUE(storage.list_snapshots().empty());
}

// ops: test/test_framework.py::TestFramework::test_defer_and_reemit (equal events)
TEST_F(FrameworkCompat, AnEqualEventIsNotDeferredTwice) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  obs.defer = true;
  fw->observe<&Recorder::on_data>(pub.on.data, obs);
  pub.on.data.emit("same");
  pub.on.data.emit("same");
  pub.on.data.emit("other");
  EXPECT_EQ(obs.seen, (std::vector<std::string>{"data:same", "data:other"}));
  EXPECT_EQ(storage.notices().size(), 2u);
}

// ops: test/test_framework.py::TestFramework::test_defer_and_reemit (nested emission)
TEST_F(FrameworkCompat, EventsEmittedByAHandlerRunBeforeItReturns) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  std::vector<std::string> calls;
  fw->observe(pub.on.foo, obs, "on_foo", [&](PlainEvent&) {
    calls.push_back("foo start");
    pub.on.bar.emit();
    calls.push_back("foo end");
  });
  fw->observe(pub.on.bar, obs, "on_bar", [&](PlainEvent&) { calls.push_back("bar"); });
  pub.on.foo.emit();
  EXPECT_EQ(calls, (std::vector<std::string>{"foo start", "bar", "foo end"}));
}

// ops: test/test_framework.py::TestFramework::test_ban_concurrent_frameworks (closed framework)
TEST_F(FrameworkCompat, AClosedFrameworkRefusesToEmit) {
  Notifier pub(*fw, "pub");
  Recorder obs(*fw, "obs");
  fw->observe<&Recorder::on_foo>(pub.on.foo, obs);
  fw->close();
  EXPECT_THROW(pub.on.foo.emit(), FrameworkError);
  EXPECT_THROW(fw->commit(), FrameworkError);
  EXPECT_THROW(fw->reemit(), FrameworkError);
}

// ---- StoredState (TestStoredState) -------------------------------------------

// ops: test/test_framework.py::TestStoredState::test_basic_state_storage
TEST_F(FrameworkCompat, BasicStateStorage) {
  {
    Recorder obj(*fw, "obj");
    StoredState state(obj, "state");
    state.set("foo", 41);
    fw->commit();
  }
  restart();
  Recorder obj(*fw, "obj");
  StoredState state(obj, "state");
  EXPECT_EQ(state.get<int>("foo"), 41);
  EXPECT_EQ(state.get("foo"), json(41));
}

// ops: test/test_framework.py::TestStoredState::test_two_subclasses_no_conflicts
TEST_F(FrameworkCompat, StatesOfTwoObjectsAreIndependent) {
  Recorder a(*fw, "a");
  Recorder b(*fw, "b");
  StoredState sa(a);
  StoredState sb(b);
  sa.set("foo", "a");
  sb.set("foo", "b");
  fw->commit();
  EXPECT_EQ(storage.load_snapshot("a/StoredStateData[_stored]"), json({{"foo", "a"}}));
  EXPECT_EQ(storage.load_snapshot("b/StoredStateData[_stored]"), json({{"foo", "b"}}));
}

// ops: test/test_framework.py::TestStoredState::test_two_names_one_state
TEST_F(FrameworkCompat, TwoStatesWithOneNameOnOneObjectAreRefused) {
  Recorder obj(*fw, "obj");
  StoredState first(obj, "_stored");
  EXPECT_THROW(StoredState second(obj, "_stored"), FrameworkError);
  EXPECT_NO_THROW(StoredState other(obj, "_other"));
}

// ops: test/test_framework.py::TestStoredState::test_same_name_two_classes
TEST_F(FrameworkCompat, SameNameOnTwoObjectsIsFine) {
  Recorder a(*fw, "a");
  Recorder b(*fw, "b");
  StoredState sa(a, "_stored");
  StoredState sb(b, "_stored");
  sa.set("x", 1);
  EXPECT_FALSE(sb.contains("x"));
}

// ops: test/test_framework.py::TestStoredState::test_mutable_types
TEST_F(FrameworkCompat, NestedValuesChangedInPlaceAreSavedAtCommit) {
  {
    Recorder obj(*fw, "obj");
    StoredState state(obj);
    state.set_default({{"peers", json::array()}, {"cfg", json::object()}});
    fw->commit();
  }
  restart();
  {
    Recorder obj(*fw, "obj");
    StoredState state(obj);
    state["peers"].push_back("redis/1");
    state["peers"].push_back("redis/2");
    state["cfg"]["port"] = 6379;
    state["new"]["deep"] = json::array({1, 2});
    EXPECT_TRUE(state.dirty());
    fw->commit();
    EXPECT_FALSE(state.dirty());
  }
  restart();
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  EXPECT_EQ(state.data(), json({{"peers", {"redis/1", "redis/2"}},
                                {"cfg", {{"port", 6379}}},
                                {"new", {{"deep", {1, 2}}}}}));
}

// ops: test/test_framework.py::TestStoredState::test_mutable_types (remove from list/dict)
TEST_F(FrameworkCompat, InPlaceRemovalsAreSaved) {
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  state.set("peers", json::array({"a", "b", "c"}));
  state.set("cfg", json{{"x", 1}, {"y", 2}});
  fw->commit();
  state["peers"].erase(1);
  state["cfg"].erase("x");
  fw->commit();
  EXPECT_EQ(storage.load_snapshot("obj/StoredStateData[_stored]"),
            json({{"peers", {"a", "c"}}, {"cfg", {{"y", 2}}}}));
}

// ops: test/test_framework.py::TestStoredState::test_mutable_types (rollback)
TEST_F(FrameworkCompat, InPlaceChangesWithoutCommitAreLost) {
  {
    Recorder obj(*fw, "obj");
    StoredState state(obj);
    state.set("peers", json::array({"a"}));
    fw->commit();
    state["peers"].push_back("b");
  }
  restart();
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  EXPECT_EQ(state.get("peers"), json::array({"a"}));
}

// ops: test/test_framework.py::TestStoredState::test_mutable_types (reading is no change)
TEST_F(FrameworkCompat, ReadingThroughAMutableReferenceIsNoChange) {
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  state.set("peers", json::array({"a"}));
  fw->commit();
  EXPECT_EQ(state["peers"].size(), 1u);
  EXPECT_FALSE(state.dirty());
  EXPECT_EQ(state.mutable_data().size(), 1u);
  EXPECT_FALSE(state.dirty());
}

// ops: test/test_framework.py::TestStoredState::test_mutable_types_invalid
// We differ: values are JSON, so only a state replaced by a non-object is refused (at commit).
TEST_F(FrameworkCompat, AStateThatIsNoLongerAnObjectIsRefusedAtCommit) {
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  state.mutable_data() = json::array({1});
  EXPECT_THROW(fw->commit(), FrameworkError);
}

// ops: test/test_framework.py::TestStoredState::test_comparison_operations
TEST_F(FrameworkCompat, StoredValuesCompareAsValues) {
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  state.set("list", json::array({1, 2, 3}));
  state.set("dict", json{{"a", 1}});
  EXPECT_EQ(state.get("list"), json::array({1, 2, 3}));
  EXPECT_NE(state.get("list"), json::array({1, 2}));
  EXPECT_LT(state.get("list"), json::array({1, 2, 4}));
  EXPECT_EQ(state.get("dict"), json({{"a", 1}}));
}

// ops: test/test_framework.py::TestStoredState::test_set_default
TEST_F(FrameworkCompat, SetDefaultOnlySetsMissingKeys) {
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  state.set("foo", 1);
  state.set_default({{"foo", 2}, {"bar", 3}});
  EXPECT_EQ(state.get<int>("foo"), 1);
  EXPECT_EQ(state.get<int>("bar"), 3);
  state.set_default("baz", "x");
  EXPECT_EQ(state.get<std::string>("baz"), "x");
  EXPECT_THROW(state.set_default(json::array({1})), FrameworkError);
}

// ops: test/test_framework.py::TestStoredState::test_basic_state_storage (missing attribute)
TEST_F(FrameworkCompat, AMissingAttributeIsAnError) {
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  try {
    (void)state.get("nope");
    FAIL() << "expected FrameworkError";
  } catch (const FrameworkError& e) {
    EXPECT_STREQ(e.what(), "attribute 'nope' is not stored in obj/StoredStateData[_stored]");
  }
  state.set("n", "text");
  EXPECT_THROW((void)state.get<int>("n"), FrameworkError);
}

// ops: test/test_framework.py::TestStoredState::test_basic_state_storage (no change, no write)
TEST_F(FrameworkCompat, AnUnchangedStateIsNotWritten) {
  Recorder obj(*fw, "obj");
  StoredState state(obj);
  state.set("a", 1);
  fw->commit();
  storage.drop_snapshot("obj/StoredStateData[_stored]");
  storage.commit();
  state.set("a", 1);  // same value
  fw->commit();
  EXPECT_FALSE(storage.load_snapshot("obj/StoredStateData[_stored]").has_value());
}

}  // namespace
