// The event loop: observe, emit, defer, reemit, commit, custom and run-time
// defined events, and the compile-time check of handler types.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ops/detail/access.hpp"
#include "ops/errors.hpp"
#include "ops/framework.hpp"
#include "ops/storage.hpp"
#include "support/strings.hpp"
#include "test_support.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> event_paths(const std::vector<ops::Notice>& notices) {
  std::vector<std::string> paths;
  for (const auto& n : notices)
    paths.push_back(n.event_path + " " + n.observer_path + "." + n.method_name);
  return paths;
}

struct MyEvent : ops::EventBase {
  using EventBase::EventBase;
};

struct OtherEvent : ops::EventBase {
  using EventBase::EventBase;
};

// An event with data: the snapshot is {"My N!": n}; restore adds one, so a
// handler that sees n+1 proves it got a restored copy, never the original.
class CountedEvent : public ops::EventBase {
 public:
  explicit CountedEvent(ops::Handle handle) : EventBase(std::move(handle)) {}
  CountedEvent(ops::Handle handle, int n) : EventBase(std::move(handle)), n_(n) {}
  nlohmann::json snapshot() const override { return {{"My N!", n_}}; }
  void restore(const nlohmann::json& snapshot) override {
    n_ = snapshot.at("My N!").get<int>() + 1;
  }
  int n() const { return n_; }

 private:
  int n_ = 0;
};

class StopLikeEvent : public ops::EventBase {
 public:
  using EventBase::EventBase;
  bool deferrable() const noexcept override { return false; }
};

struct MyEvents : ops::ObjectEvents {
  using ObjectEvents::ObjectEvents;
  ops::EventSource<MyEvent> foo{*this, "foo"};
  ops::EventSource<MyEvent> bar{*this, "bar"};
  ops::EventSource<CountedEvent> counted{*this, "counted"};
  ops::EventSource<StopLikeEvent> stop{*this, "stop"};
};

struct Notifier : ops::Object {
  explicit Notifier(ops::Framework& fw, std::string_view key = "1")
      : Object(fw, "MyNotifier", key) {}
  MyEvents on{*this};
};

struct Observer : ops::Object {
  Observer(ops::Framework& fw, std::string_view key) : Object(fw, "MyObserver", key) {}

  void on_any(ops::EventBase& event) {
    const std::string kind(event.handle().kind());
    seen.push_back(kind);
    if (!done[kind]) event.defer();
  }
  void on_foo(MyEvent& event) { seen.push_back("on_foo:" + std::string(event.handle().kind())); }
  void on_bar(MyEvent& event) { seen.push_back("on_bar:" + std::string(event.handle().kind())); }
  void on_other(OtherEvent& event) { seen.push_back(std::string(event.handle().kind())); }
  void on_counted(CountedEvent& event) {
    seen.push_back("on_counted=" + std::to_string(event.n()));
    event.defer();
  }
  void on_path(ops::EventBase& event) { seen.push_back(event.handle().path()); }
  void by_value(MyEvent event) { static_cast<void>(event); }

  std::vector<std::string> seen;
  std::map<std::string, bool> done;
};

// ---- observe is checked at compile time -------------------------------------

// observe<M> stops the build with a static_assert for any other handler
// (tests/handler_errors checks those messages); the concept it checks:
template <auto M, class E, class O>
concept CanObserve = ops::HandlerMethodFor<decltype(M), E, O>;

static_assert(CanObserve<&Observer::on_foo, MyEvent, Observer>);
static_assert(CanObserve<&Observer::on_any, MyEvent, Observer>, "a base of the event is fine");
static_assert(!CanObserve<&Observer::on_other, MyEvent, Observer>,
              "a handler taking another event type must not compile");
static_assert(!CanObserve<&Observer::on_foo, OtherEvent, Observer>);
static_assert(!CanObserve<&Observer::by_value, MyEvent, Observer>,
              "a handler taking the event by value must not compile");
static_assert(!CanObserve<&Notifier::handle, MyEvent, Notifier>, "not a handler");

static_assert(ops::detail::member_name<&Observer::on_any>() == "on_any");
static_assert(ops::detail::member_name<&Observer::on_counted>() == "on_counted");

class FrameworkTest : public ::testing::Test {
 protected:
  ops::MemoryStorage storage_;
};

TEST_F(FrameworkTest, HandlersRunInRegistrationOrder) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_bar>(pub.on.foo, obs);
  fw.observe<&Observer::on_foo>(pub.on.foo, obs);
  fw.observe<&Observer::on_bar>(pub.on.bar, obs);
  fw.observe<&Observer::on_bar>(pub.on.foo, obs);  // already registered: no-op

  pub.on.foo.emit();
  pub.on.bar.emit();

  EXPECT_THAT(obs.seen, ElementsAre("on_bar:foo", "on_foo:foo", "on_bar:bar"));
  EXPECT_EQ(pub.on.foo.observer_count(), 2u);
}

TEST_F(FrameworkTest, HandlerGetsAFreshlyRestoredCopy) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_counted>(pub.on.counted, obs);

  pub.on.counted.emit(1);
  fw.reemit();

  // 1 -> snapshot -> restore (+1) before the first call; the re-emission is
  // restored from the pristine snapshot again, not from the modified event.
  EXPECT_THAT(obs.seen, ElementsAre("on_counted=2", "on_counted=2"));
  EXPECT_EQ(storage_.load_snapshot("MyNotifier[1]/on/counted[1]"), (nlohmann::json{{"My N!", 1}}));
}

TEST_F(FrameworkTest, EventKeysComeFromOneCounter) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_path>(pub.on.foo, obs);
  fw.observe<&Observer::on_path>(pub.on.bar, obs);
  fw.observe<&Observer::on_path>(fw.on().pre_commit, obs);
  fw.observe<&Observer::on_path>(fw.on().commit, obs);

  pub.on.foo.emit();
  pub.on.bar.emit();
  fw.commit();

  EXPECT_THAT(obs.seen, ElementsAre("MyNotifier[1]/on/foo[1]", "MyNotifier[1]/on/bar[2]",
                                    "framework/on/pre_commit[3]", "framework/on/commit[4]"));
  EXPECT_EQ(fw.event_count(), 4);
}

// An event source on a plain Object (not an ObjectEvents).
struct PlainNotifier : ops::Object {
  explicit PlainNotifier(ops::Framework& fw) : Object(fw, "PlainNotifier") {}
  ops::EventSource<MyEvent> ping{*this, "ping"};
};

// The sources of an ObjectEvents are found through it, those of a plain
// Object through the framework: the next framework re-emits deferred events
// of a static member source, a run-time defined one and a plain one.
TEST_F(FrameworkTest, DeferredEventsOfEveryKindOfSourceAreReemittedLater) {
  {
    ops::Framework fw(storage_);
    Notifier pub(fw);
    auto& late = pub.on.define_event<MyEvent>("late");
    PlainNotifier plain(fw);
    Observer obs(fw, "1");
    fw.observe<&Observer::on_any>(pub.on.foo, obs);
    fw.observe<&Observer::on_any>(late, obs);
    fw.observe<&Observer::on_any>(plain.ping, obs);
    pub.on.foo.emit();
    late.emit();
    plain.ping.emit();
    fw.commit();
    EXPECT_THAT(obs.seen, ElementsAre("foo", "late", "ping"));
  }
  ops::Framework fw(storage_);
  Notifier pub(fw);
  auto& late = pub.on.define_event<MyEvent>("late");
  PlainNotifier plain(fw);
  Observer obs(fw, "1");
  obs.done = {{"foo", true}, {"late", true}, {"ping", true}};
  fw.observe<&Observer::on_any>(pub.on.foo, obs);
  fw.observe<&Observer::on_any>(late, obs);
  fw.observe<&Observer::on_any>(plain.ping, obs);
  fw.reemit();
  EXPECT_THAT(obs.seen, ElementsAre("foo", "late", "ping"));
  EXPECT_THAT(storage_.notices(), IsEmpty());
}

// One emitter cannot have two sources of a kind, whether each was declared
// on its ObjectEvents or on it as a plain Object; once one is destroyed the
// kind can be declared again.
TEST_F(FrameworkTest, AKindDeclaredTwiceOnOneEmitterIsRefusedEitherWay) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  ops::Object& on_object = pub.on;
  auto refused = [](auto declare) {
    try {
      declare();
      return std::string("accepted");
    } catch (const ops::FrameworkError& e) {
      return std::string(e.what());
    }
  };
  EXPECT_EQ(refused([&] { ops::EventSource<MyEvent> again(on_object, "foo"); }),
            "two event sources claiming to be MyNotifier[1]/on/foo have been created");
  {
    ops::EventSource<MyEvent> plain(on_object, "extra");
    EXPECT_EQ(refused([&] { pub.on.define_event<MyEvent>("extra"); }),
              "two event sources claiming to be MyNotifier[1]/on/extra have been created");
  }
  EXPECT_EQ(refused([&] { pub.on.define_event<MyEvent>("extra"); }), "accepted");
  EXPECT_NE(pub.on.find("extra"), nullptr);
}

// ops' test_defer_and_reemit, step for step.
TEST_F(FrameworkTest, DeferAndReemitIsFifoAcrossEventsAndObservers) {
  ops::Framework fw(storage_);
  struct Notifier1 : ops::Object {
    explicit Notifier1(ops::Framework& f) : Object(f, "MyNotifier1", "1") {}
    ops::EventSource<MyEvent> a{*this, "a"};
    ops::EventSource<MyEvent> b{*this, "b"};
  } pub1(fw);
  struct Notifier2 : ops::Object {
    explicit Notifier2(ops::Framework& f) : Object(f, "MyNotifier2", "1") {}
    ops::EventSource<MyEvent> c{*this, "c"};
  } pub2(fw);
  Observer obs1(fw, "1");
  Observer obs2(fw, "2");

  fw.observe<&Observer::on_any>(pub1.a, obs1);
  fw.observe<&Observer::on_any>(pub1.b, obs1);
  fw.observe<&Observer::on_any>(pub1.a, obs2);
  fw.observe<&Observer::on_any>(pub1.b, obs2);
  fw.observe<&Observer::on_any>(pub2.c, obs2);

  pub1.a.emit();
  pub1.b.emit();
  pub2.c.emit();

  // Events remain stored because they were deferred.
  EXPECT_THAT(storage_.list_snapshots(),
              ElementsAre("MyNotifier1[1]/a[1]", "MyNotifier1[1]/b[2]", "MyNotifier2[1]/c[3]"));
  EXPECT_THAT(event_paths(storage_.notices()),
              ElementsAre("MyNotifier1[1]/a[1] MyObserver[1].on_any",
                          "MyNotifier1[1]/a[1] MyObserver[2].on_any",
                          "MyNotifier1[1]/b[2] MyObserver[1].on_any",
                          "MyNotifier1[1]/b[2] MyObserver[2].on_any",
                          "MyNotifier2[1]/c[3] MyObserver[2].on_any"));

  fw.reemit();
  obs1.done["a"] = true;
  obs2.done["b"] = true;
  fw.reemit();
  fw.reemit();
  obs1.done["b"] = true;
  obs2.done["a"] = true;
  fw.reemit();
  obs2.done["c"] = true;
  fw.reemit();
  fw.reemit();
  fw.reemit();

  EXPECT_EQ(ops_test::join(obs1.seen, " "), "a b a b a b b b");
  EXPECT_EQ(ops_test::join(obs2.seen, " "), "a b c a b c a b c a c a c c");
  // Now the events are gone from storage.
  EXPECT_THAT(storage_.list_snapshots(), IsEmpty());
  EXPECT_THAT(storage_.notices(), IsEmpty());
}

TEST_F(FrameworkTest, OnlyDeferringObserversRunAgain) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer deferring(fw, "a");
  Observer done(fw, "b");
  done.done["foo"] = true;
  fw.observe<&Observer::on_any>(pub.on.foo, done);
  fw.observe<&Observer::on_any>(pub.on.foo, deferring);

  pub.on.foo.emit();
  fw.reemit();
  deferring.done["foo"] = true;
  fw.reemit();
  fw.reemit();

  EXPECT_EQ(ops_test::join(done.seen, " "), "foo");
  EXPECT_EQ(ops_test::join(deferring.seen, " "), "foo foo foo");
  EXPECT_THAT(storage_.list_snapshots(), IsEmpty());
}

TEST_F(FrameworkTest, ReDeferredNoticeKeepsItsPlace) {
  ops::Framework fw(storage_);
  ops::detail::FrameworkAccess::set_skip_duplicate_notices(
      fw, false);  // the second foo equals the first
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_any>(pub.on.foo, obs);
  fw.observe<&Observer::on_any>(pub.on.bar, obs);

  pub.on.foo.emit();  // notice 1
  pub.on.bar.emit();  // notice 2
  const auto before = storage_.notices();
  obs.seen.clear();
  fw.reemit();        // both deferred again
  pub.on.foo.emit();  // a new foo: notice 3, after the re-deferred ones
  obs.seen.clear();
  fw.reemit();

  EXPECT_EQ(ops_test::join(obs.seen, " "), "foo bar foo");
  const auto after = storage_.notices();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(after[1], before[1]);
  EXPECT_EQ(after[2].sequence, 3);
  EXPECT_EQ(after[2].event_path, "MyNotifier[1]/on/foo[3]");
}

TEST_F(FrameworkTest, DuplicateDeferredNoticeIsStoredOnce) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_counted>(pub.on.counted, obs);

  pub.on.counted.emit(5);
  pub.on.counted.emit(5);  // same kind, observer and snapshot: skipped
  pub.on.counted.emit(6);  // different snapshot: queued

  EXPECT_THAT(obs.seen, ElementsAre("on_counted=6", "on_counted=7"));
  EXPECT_THAT(event_paths(storage_.notices()),
              ElementsAre("MyNotifier[1]/on/counted[1] MyObserver[1].on_counted",
                          "MyNotifier[1]/on/counted[3] MyObserver[1].on_counted"));
  EXPECT_THAT(storage_.list_snapshots(),
              ElementsAre("MyNotifier[1]/on/counted[1]", "MyNotifier[1]/on/counted[3]"));
}

// The notice of an event being delivered is already queued: emitting an equal
// event to the same observer from inside its handler is a duplicate.
TEST_F(FrameworkTest, AnEventEqualToOneBeingDeliveredIsADuplicate) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  struct Reentrant : ops::Object {
    Reentrant(ops::Framework& f, Notifier& p) : Object(f, "Reentrant"), pub(p) {}
    void on_counted(CountedEvent& event) {
      seen.push_back(event.handle().path());
      if (seen.size() == 1) {
        pub.on.counted.emit(1);  // equal to the one being delivered: skipped
        pub.on.counted.emit(2);  // different: delivered at once
      }
    }
    Notifier& pub;
    std::vector<std::string> seen;
  } obs(fw, pub);
  fw.observe<&Reentrant::on_counted>(pub.on.counted, obs);

  pub.on.counted.emit(1);

  EXPECT_THAT(obs.seen, ElementsAre("MyNotifier[1]/on/counted[1]", "MyNotifier[1]/on/counted[3]"));
  EXPECT_THAT(storage_.notices(), IsEmpty());
  EXPECT_THAT(storage_.list_snapshots(), IsEmpty());
}

TEST_F(FrameworkTest, AFailingHandlerLeavesItsEventAndNoticesInTheTransaction) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer first(fw, "1");
  first.done["foo"] = true;
  struct Failing : ops::Object {
    explicit Failing(ops::Framework& f) : Object(f, "Failing") {}
    void on_foo(MyEvent&) { throw std::runtime_error("no"); }
  } failing(fw);
  Observer last(fw, "3");
  fw.observe<&Observer::on_any>(pub.on.foo, first);
  fw.observe<&Failing::on_foo>(pub.on.foo, failing);
  fw.observe<&Observer::on_any>(pub.on.foo, last);

  EXPECT_THROW(pub.on.foo.emit(), std::runtime_error);

  // As in Python ops: the notices not yet done stay with their snapshot;
  // the dispatch fails and a rollback discards them.
  EXPECT_THAT(event_paths(storage_.notices()),
              ElementsAre("MyNotifier[1]/on/foo[1] Failing.on_foo",
                          "MyNotifier[1]/on/foo[1] MyObserver[3].on_any"));
  EXPECT_THAT(storage_.list_snapshots(), ElementsAre("MyNotifier[1]/on/foo[1]"));
  storage_.rollback();
  EXPECT_THAT(storage_.notices(), IsEmpty());
}

// Only the trailing [id] is ignored when comparing: keyed emitters and other
// kinds are different events even with equal snapshots (ops issue #2683).
TEST_F(FrameworkTest, DuplicatesAreOnlyOfTheSameEmitterAndKind) {
  ops::Framework fw(storage_);
  ops::Object charm(fw, "MyCharm");
  struct Requirer : ops::Object {
    Requirer(ops::Object& parent, std::string_view key) : Object(parent, "MyRequirer", key) {}
    ops::ObjectEvents on{*this};
    ops::EventSource<MyEvent>& ready = on.define_event<MyEvent>("ready");
    ops::EventSource<MyEvent>& gone = on.define_event<MyEvent>("gone");
  } db1(charm, "db1"), db2(charm, "db2");
  Observer obs(fw, "1");
  for (auto* source : {&db1.ready, &db1.gone, &db2.ready})
    fw.observe<&Observer::on_path>(*source, obs);
  fw.observe(db1.ready, obs, "defer_all", [](MyEvent& event) { event.defer(); });
  fw.observe(db1.gone, obs, "defer_all", [](MyEvent& event) { event.defer(); });
  fw.observe(db2.ready, obs, "defer_all", [](MyEvent& event) { event.defer(); });

  db1.ready.emit();
  db2.ready.emit();
  db1.gone.emit();
  db1.ready.emit();  // the only duplicate

  EXPECT_THAT(
      obs.seen,
      ElementsAre("MyCharm/MyRequirer[db1]/on/ready[1]", "MyCharm/MyRequirer[db2]/on/ready[2]",
                  "MyCharm/MyRequirer[db1]/on/gone[3]", "MyCharm/MyRequirer[db1]/on/ready[4]"));
  EXPECT_THAT(event_paths(storage_.notices()),
              ElementsAre("MyCharm/MyRequirer[db1]/on/ready[1] MyObserver[1].defer_all",
                          "MyCharm/MyRequirer[db2]/on/ready[2] MyObserver[1].defer_all",
                          "MyCharm/MyRequirer[db1]/on/gone[3] MyObserver[1].defer_all"));
}

TEST_F(FrameworkTest, DuplicateSuppressionCanBeTurnedOff) {
  ops::Framework fw(storage_);
  ops::detail::FrameworkAccess::set_skip_duplicate_notices(fw, false);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_counted>(pub.on.counted, obs);

  pub.on.counted.emit(5);
  pub.on.counted.emit(5);

  EXPECT_THAT(obs.seen, ElementsAre("on_counted=6", "on_counted=6"));
  EXPECT_EQ(storage_.notices().size(), 2u);
}

TEST_F(FrameworkTest, NonDeferrableEventsRefuseDefer) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  struct Deferrer : ops::Object {
    explicit Deferrer(ops::Framework& f) : Object(f, "Deferrer") {}
    void on_stop(StopLikeEvent& event) {
      try {
        event.defer();
      } catch (const ops::FrameworkError& e) {
        errors.emplace_back(e.what());
      }
    }
    void on_commit(ops::CommitEvent& event) {
      try {
        event.defer();
      } catch (const ops::FrameworkError& e) {
        errors.emplace_back(e.what());
      }
    }
    void on_pre_commit(ops::PreCommitEvent& event) { event.defer(); }
    std::vector<std::string> errors;
  } obs(fw);
  fw.observe<&Deferrer::on_stop>(pub.on.stop, obs);
  fw.observe<&Deferrer::on_commit>(fw.on().commit, obs);

  pub.on.stop.emit();
  fw.commit();

  EXPECT_THAT(obs.errors,
              ElementsAre("cannot defer stop event MyNotifier[1]/on/stop[1]: stop events cannot "
                          "be deferred",
                          "cannot defer commit event framework/on/commit[3]: commit events "
                          "cannot be deferred"));
  EXPECT_THAT(storage_.notices(), IsEmpty());

  // Uncaught, the error fails the commit.
  fw.observe<&Deferrer::on_pre_commit>(fw.on().pre_commit, obs);
  EXPECT_THROW(fw.commit(), ops::FrameworkError);
}

TEST_F(FrameworkTest, UnobservedEventsPersistNothing) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  pub.on.foo.emit();
  pub.on.counted.emit(3);
  EXPECT_THAT(storage_.list_snapshots(), IsEmpty());
  EXPECT_THAT(storage_.notices(), IsEmpty());
  EXPECT_EQ(fw.event_count(), 2);
}

TEST_F(FrameworkTest, AfterCommitOnlyStoredStateAndCounterRemain) {
  {
    ops::Framework fw(storage_);
    Notifier pub(fw);
    Observer obs(fw, "1");
    obs.done["foo"] = true;
    ops::StoredState stored(obs);
    fw.observe<&Observer::on_any>(pub.on.foo, obs);
    fw.observe<&Observer::on_path>(fw.on().pre_commit, obs);
    fw.observe<&Observer::on_path>(fw.on().commit, obs);
    pub.on.foo.emit();
    stored.set("seen", 1);
    fw.commit();
  }
  EXPECT_THAT(storage_.list_snapshots(),
              ElementsAre("MyObserver[1]/StoredStateData[_stored]", "StoredStateData[_stored]"));
  EXPECT_EQ(storage_.load_snapshot("StoredStateData[_stored]"),
            (nlohmann::json{{"event_count", 3}}));
  EXPECT_EQ(storage_.load_snapshot("MyObserver[1]/StoredStateData[_stored]"),
            (nlohmann::json{{"seen", 1}}));
  EXPECT_THAT(storage_.notices(), IsEmpty());
}

TEST_F(FrameworkTest, PreCommitThenCommit) {
  ops::Framework fw(storage_);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_path>(fw.on().pre_commit, obs);
  fw.observe<&Observer::on_path>(fw.on().commit, obs);
  fw.commit();
  fw.commit();
  EXPECT_THAT(obs.seen, ElementsAre("framework/on/pre_commit[1]", "framework/on/commit[2]",
                                    "framework/on/pre_commit[3]", "framework/on/commit[4]"));
}

TEST_F(FrameworkTest, CustomEventsEmitSynchronouslyInsideTheHandler) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  struct Nester : ops::Object {
    Nester(ops::Framework& f, Notifier& p) : Object(f, "Nester"), pub(p) {}
    void on_foo(MyEvent&) {
      seen.push_back("foo-start");
      pub.on.bar.emit();
      seen.push_back("foo-end");
    }
    void on_bar(MyEvent& event) { seen.push_back("bar " + event.handle().path()); }
    Notifier& pub;
    std::vector<std::string> seen;
  } obs(fw, pub);
  fw.observe<&Nester::on_foo>(pub.on.foo, obs);
  fw.observe<&Nester::on_bar>(pub.on.bar, obs);

  pub.on.foo.emit();

  EXPECT_THAT(obs.seen, ElementsAre("foo-start", "bar MyNotifier[1]/on/bar[2]", "foo-end"));
  EXPECT_THAT(storage_.list_snapshots(), IsEmpty());
}

TEST_F(FrameworkTest, FailedHandlerNamesTheInnermostHandlerAnExceptionEscaped) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  struct Thrower : ops::Object {
    Thrower(ops::Framework& f, Notifier& p) : Object(f, "Thrower"), pub(p) {}
    void on_foo(MyEvent&) { pub.on.bar.emit(); }
    void on_bar(MyEvent&) {
      if (fail) throw std::runtime_error("bar failed");
    }
    Notifier& pub;
    bool fail = false;
  } obs(fw, pub);
  Observer fine(fw, "1");
  fine.done["foo"] = true;
  fw.observe<&Observer::on_any>(pub.on.foo, fine);
  fw.observe<&Thrower::on_foo>(pub.on.foo, obs);
  fw.observe<&Thrower::on_bar>(pub.on.bar, obs);

  EXPECT_EQ(fw.failed_handler(), std::nullopt);
  pub.on.foo.emit();  // foo[1], bar[2]: no error
  EXPECT_EQ(fw.failed_handler(), std::nullopt);
  obs.fail = true;
  EXPECT_THROW(pub.on.foo.emit(), std::runtime_error);
  EXPECT_EQ(fw.failed_handler(),
            (ops::HandlerCall{"MyNotifier[1]/on/bar[4]", "Thrower", "on_bar"}));

  // The next top-level emission starts a new report.
  obs.fail = false;
  pub.on.foo.emit();
  EXPECT_EQ(fw.failed_handler(), std::nullopt);
}

TEST_F(FrameworkTest, ExplicitNameAndCallableOverloadsRecordTheGivenName) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe(pub.on.foo, obs, &Observer::on_any, "_on_foo_renamed");
  int calls = 0;
  fw.observe(pub.on.bar, obs, "on_bar_lambda", [&calls](MyEvent& event) {
    ++calls;
    event.defer();
  });

  pub.on.foo.emit();
  pub.on.bar.emit();

  EXPECT_EQ(calls, 1);
  EXPECT_THAT(event_paths(storage_.notices()),
              ElementsAre("MyNotifier[1]/on/foo[1] MyObserver[1]._on_foo_renamed",
                          "MyNotifier[1]/on/bar[2] MyObserver[1].on_bar_lambda"));
  fw.reemit();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(ops_test::join(obs.seen, " "), "foo foo");
}

TEST_F(FrameworkTest, RunTimeDefinedEventsAreFoundByKind) {
  ops::Framework fw(storage_);
  ops::Object charm(fw, "MyCharm");
  ops::ObjectEvents on(charm);
  auto& changed = on.define_event<MyEvent>("redis_peers_relation_changed");
  on.define_event<OtherEvent>("workload_pebble_ready");
  Observer obs(fw, "1");
  fw.observe<&Observer::on_path>(changed, obs);

  EXPECT_EQ(&on["redis_peers_relation_changed"], &changed);
  EXPECT_EQ(&on.get<MyEvent>("redis_peers_relation_changed"), &changed);
  EXPECT_EQ(on.find("nope"), nullptr);
  EXPECT_THAT(on.event_kinds(),
              ElementsAre("redis_peers_relation_changed", "workload_pebble_ready"));
  EXPECT_EQ(on["workload_pebble_ready"].event_type(), typeid(OtherEvent));

  on.get<MyEvent>("redis_peers_relation_changed").emit();
  EXPECT_THAT(obs.seen, ElementsAre("MyCharm/on/redis_peers_relation_changed[1]"));

  try {
    on["nope"];
    FAIL();
  } catch (const ops::FrameworkError& e) {
    EXPECT_STREQ(e.what(), "no event 'nope' on MyCharm/on");
  }
  EXPECT_THROW((void)on.get<OtherEvent>("redis_peers_relation_changed"), ops::FrameworkError);
  EXPECT_THROW(on.define_event<MyEvent>("workload_pebble_ready"), ops::FrameworkError);
  EXPECT_THROW(on.define_event<MyEvent>("dead-beef"), ops::FrameworkError);
  EXPECT_THROW(on.define_event<MyEvent>("9lives"), ops::FrameworkError);
  EXPECT_EQ(on.event_kinds().size(), 2u);
}

TEST_F(FrameworkTest, EmitSnapshotDeliversARestoredEvent) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_counted>(pub.on.counted, obs);
  ops::EventSourceBase& source = pub.on["counted"];
  ops::detail::FrameworkAccess::emit_snapshot(source, {{"My N!", 41}});
  EXPECT_THAT(obs.seen, ElementsAre("on_counted=42"));
}

TEST_F(FrameworkTest, UnknownEventTypesInStoredNoticesAreDropped) {
  {
    ops::Framework fw(storage_);
    Notifier pub(fw);
    Observer obs(fw, "1");
    fw.observe<&Observer::on_any>(pub.on.foo, obs);
    pub.on.foo.emit();
    fw.commit();
  }
  ASSERT_EQ(storage_.notices().size(), 1u);
  ops_test::LogCapture log;
  {
    ops::Framework fw(storage_);  // this "charm" no longer has MyNotifier[1]/on/foo
    Observer obs(fw, "1");
    EXPECT_NO_THROW(fw.reemit());
    EXPECT_THAT(obs.seen, IsEmpty());
    fw.commit();
  }
  EXPECT_THAT(storage_.notices(), IsEmpty());
  EXPECT_THAT(storage_.list_snapshots(), ElementsAre("StoredStateData[_stored]"));
  EXPECT_THAT(log.lines,
              // DEBUG, not WARNING: ops drops these silently (a plain Framework
              // writes nothing to stderr).
              testing::Contains("DEBUG Dropping deferred event MyNotifier[1]/on/foo[1] for "
                                "MyObserver[1].on_any: no event of that kind is defined in this "
                                "charm"));
}

TEST_F(FrameworkTest, NoticesForAnObserverThatNoLongerObservesAreDropped) {
  {
    ops::Framework fw(storage_);
    Notifier pub(fw);
    Observer obs(fw, "1");
    fw.observe<&Observer::on_any>(pub.on.foo, obs);
    pub.on.foo.emit();
    fw.commit();
  }
  ops_test::LogCapture log;
  ops::Framework fw(storage_);
  Notifier pub(fw);
  Observer obs(fw, "1");
  fw.observe<&Observer::on_foo>(pub.on.foo, obs);  // another method now
  fw.reemit();
  EXPECT_THAT(obs.seen, IsEmpty());
  EXPECT_THAT(storage_.notices(), IsEmpty());
  EXPECT_THAT(log.lines, testing::Contains(HasSubstr("MyObserver[1].on_any: that observer does "
                                                     "not observe it in this charm")));
}

TEST_F(FrameworkTest, DestroyedObserversAreNotCalled) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  auto obs = std::make_unique<Observer>(fw, "1");
  fw.observe<&Observer::on_any>(pub.on.foo, *obs);
  EXPECT_EQ(pub.on.foo.observer_count(), 1u);
  obs.reset();
  EXPECT_EQ(pub.on.foo.observer_count(), 0u);
  pub.on.foo.emit();
  EXPECT_THAT(storage_.list_snapshots(), IsEmpty());
}

TEST_F(FrameworkTest, ModelIsOptional) {
  ops::Framework fw(storage_);
  EXPECT_FALSE(fw.has_model());
  try {
    (void)fw.model();
    FAIL();
  } catch (const ops::FrameworkError& e) {
    EXPECT_STREQ(e.what(), "this framework has no Model attached");
  }
  ops::Object object(fw, "thing");
  EXPECT_THROW((void)object.model(), ops::FrameworkError);
}

TEST_F(FrameworkTest, ClosedFrameworkRefusesWork) {
  ops::Framework fw(storage_);
  Notifier pub(fw);
  fw.close();
  fw.close();
  EXPECT_THROW(pub.on.foo.emit(), ops::FrameworkError);
  EXPECT_THROW(fw.reemit(), ops::FrameworkError);
  EXPECT_THROW(fw.commit(), ops::FrameworkError);
}

// The framework's downcasts (an event to its observers' parameter type, the
// charm a Harness made) check the dynamic type where NDEBUG is not defined:
// the sanitizer build stops at a wrong one, as UBSan's vptr check would.
struct Shape {
  virtual ~Shape() = default;
};
struct Circle : Shape {};
struct Square : Shape {};

TEST(CheckedCastTest, ReturnsTheObjectAndStopsAtAWrongDynamicType) {
  Circle circle;
  Shape& shape = circle;
  EXPECT_EQ(&ops::detail::checked_cast<Circle>(shape), &circle);
#ifdef NDEBUG
  GTEST_SKIP() << "NDEBUG compiles the check out";
#else
  EXPECT_DEATH((void)ops::detail::checked_cast<Square>(shape),
               "object is not of the expected dynamic type");
#endif
}

// ---- across processes, on the SQLite state file ------------------------------

class FrameworkFileTest : public ::testing::Test {
 public:
  std::unique_ptr<ops::Framework> open() {
    return std::make_unique<ops::Framework>(ops::open_sqlite_storage(file_));
  }
  ops_test::TempDir dir_;
  std::filesystem::path file_ = ops::default_state_file(dir_.path());
};

TEST_F(FrameworkFileTest, EventKeysAndDeferredEventsSurviveARestart) {
  {
    auto fw = open();
    Notifier pub(*fw);
    Observer obs(*fw, "1");
    fw->observe<&Observer::on_any>(pub.on.foo, obs);
    fw->observe<&Observer::on_path>(pub.on.bar, obs);
    pub.on.foo.emit();
    pub.on.bar.emit();
    pub.on.bar.emit();
    fw->commit();  // pre_commit[4], commit[5]
    EXPECT_EQ(fw->event_count(), 5);
  }
  {
    auto fw = open();
    EXPECT_EQ(fw->event_count(), 5);
    Notifier pub(*fw);
    Observer obs(*fw, "1");
    obs.done["foo"] = true;
    fw->observe<&Observer::on_any>(pub.on.foo, obs);
    fw->observe<&Observer::on_path>(pub.on.bar, obs);
    fw->reemit();
    pub.on.bar.emit();
    EXPECT_THAT(obs.seen, ElementsAre("foo", "MyNotifier[1]/on/bar[6]"));
    fw->commit();
    EXPECT_THAT(fw->storage().notices(), IsEmpty());
    EXPECT_THAT(fw->storage().list_snapshots(), ElementsAre("StoredStateData[_stored]"));
  }
}

// ops' test_defer_and_reemit again, but every reemit() is a new dispatch: a
// new Framework (and new objects) on the state file, committed at the end.
TEST_F(FrameworkFileTest, DeferAndReemitIsFifoAcrossDispatches) {
  std::map<std::string, std::vector<std::string>> seen;  // observer key -> kinds
  std::map<std::string, std::map<std::string, bool>> done;
  struct Observer2 : ops::Object {
    Observer2(ops::Framework& f, std::string_view key, std::vector<std::string>& s,
              std::map<std::string, bool>& d)
        : Object(f, "MyObserver", key), seen(s), done(d) {}
    void on_any(ops::EventBase& event) {
      const std::string kind(event.handle().kind());
      seen.push_back(kind);
      if (!done[kind]) event.defer();
    }
    std::vector<std::string>& seen;
    std::map<std::string, bool>& done;
  };
  struct World {
    explicit World(FrameworkFileTest& t, std::map<std::string, std::vector<std::string>>& s,
                   std::map<std::string, std::map<std::string, bool>>& d)
        : fw(ops::open_sqlite_storage(t.file_)),
          pub1(fw, "MyNotifier1", "1"),
          pub2(fw, "MyNotifier2", "1"),
          a(pub1, "a"),
          b(pub1, "b"),
          c(pub2, "c"),
          obs1(fw, "1", s["1"], d["1"]),
          obs2(fw, "2", s["2"], d["2"]) {
      fw.observe<&Observer2::on_any>(a, obs1);
      fw.observe<&Observer2::on_any>(b, obs1);
      fw.observe<&Observer2::on_any>(a, obs2);
      fw.observe<&Observer2::on_any>(b, obs2);
      fw.observe<&Observer2::on_any>(c, obs2);
    }
    ops::Framework fw;
    ops::Object pub1, pub2;
    ops::EventSource<MyEvent> a, b, c;
    Observer2 obs1, obs2;
  };
  auto dispatch = [&](auto&& body) {
    World world(*this, seen, done);
    body(world);
    world.fw.commit();
  };

  dispatch([](World& w) {
    w.a.emit();
    w.b.emit();
    w.c.emit();
  });
  dispatch([](World& w) { w.fw.reemit(); });
  done["1"]["a"] = true;
  done["2"]["b"] = true;
  dispatch([](World& w) { w.fw.reemit(); });
  dispatch([](World& w) { w.fw.reemit(); });
  done["1"]["b"] = true;
  done["2"]["a"] = true;
  dispatch([](World& w) { w.fw.reemit(); });
  done["2"]["c"] = true;
  dispatch([](World& w) { w.fw.reemit(); });
  dispatch([](World& w) { w.fw.reemit(); });

  EXPECT_EQ(ops_test::join(seen["1"], " "), "a b a b a b b b");
  EXPECT_EQ(ops_test::join(seen["2"], " "), "a b c a b c a b c a c a c c");
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_THAT(storage->notices(), IsEmpty());
  EXPECT_THAT(storage->list_snapshots(), ElementsAre("StoredStateData[_stored]"));
}

TEST_F(FrameworkFileTest, AnExceptionBeforeCommitLeavesTheFileAsItWas) {
  {
    auto fw = open();
    Notifier pub(*fw);
    Observer obs(*fw, "1");
    ops::StoredState stored(obs);
    fw->observe<&Observer::on_any>(pub.on.foo, obs);
    pub.on.foo.emit();
    stored.set("count", 1);
    fw->commit();
  }
  auto dump = [this] {
    auto storage = ops::open_sqlite_storage(file_);
    nlohmann::json all;
    for (const auto& path : storage->list_snapshots()) all[path] = *storage->load_snapshot(path);
    for (const auto& n : storage->notices()) {
      all["notices"].push_back({n.sequence, n.event_path, n.observer_path, n.method_name});
    }
    return all;
  };
  const nlohmann::json before = dump();
  ASSERT_EQ(before["MyObserver[1]/StoredStateData[_stored]"], (nlohmann::json{{"count", 1}}));

  EXPECT_THROW(
      {
        auto fw = open();
        Notifier pub(*fw);
        Observer obs(*fw, "1");
        ops::StoredState stored(obs);
        obs.done["foo"] = true;
        fw->observe<&Observer::on_any>(pub.on.foo, obs);
        fw->observe<&Observer::on_any>(pub.on.bar, obs);
        fw->reemit();       // drops the deferred foo
        pub.on.bar.emit();  // defers a new one
        stored.set("count", 2);
        throw std::runtime_error("handler failed");
      },
      std::runtime_error);

  EXPECT_EQ(dump(), before);
}

}  // namespace
