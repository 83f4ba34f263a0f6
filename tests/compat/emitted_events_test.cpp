// Port of Scenario's testing/tests/test_emitted_events_util.py: what
// Context::emitted_events records. Events are recorded when emitted, before
// their handlers, custom ones included; framework events (collect-status,
// pre-commit, commit) only with capture_framework_events, re-emitted deferred
// ones only with capture_deferred_events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ops/ops.hpp"
#include "ops/testing/context.hpp"

namespace {

using ops::testing::Context;
using ops::testing::DeferredEvent;
using ops::testing::EmittedEvent;
using ops::testing::State;
using ::testing::ElementsAre;

class Foo : public ops::EventBase {
 public:
  using EventBase::EventBase;
};

// Observes start, which emits the custom event foo, which it observes too.
class MyCharm : public ops::CharmBase {
 public:
  explicit MyCharm(ops::Framework& fw) : CharmBase(fw, "MyCharm") {
    fw.observe(on.start, *this, "on_start", [this](ops::StartEvent&) { foo.emit(); });
    fw.observe(foo, *this, "on_foo", [](Foo&) {});
  }
  ops::EventSource<Foo>& foo = on.define_event<Foo>("foo");
};

constexpr const char* kMeta = "name: mycharm\n";

std::vector<std::string> kinds(const std::vector<EmittedEvent>& events) {
  std::vector<std::string> out;
  for (const auto& event : events) out.push_back(event.kind);
  return out;
}

// A deferred foo, as Scenario's _Event('foo').deferred(handler=MyCharm._on_foo).
DeferredEvent deferred_foo() { return {"MyCharm/on/foo[1]", "MyCharm", "on_foo", nullptr}; }

// test_capture_custom_evt_nonspecific_capture_include_fw_evts
TEST(EmittedEventsTest, CustomAndFrameworkEventsInEmissionOrder) {
  Context<MyCharm> ctx(kMeta, "", "");
  ctx.capture_framework_events = true;
  ctx.run(ctx.on.start(), State{});
  EXPECT_THAT(kinds(ctx.emitted_events),
              ElementsAre("start", "foo", "collect_unit_status", "pre_commit", "commit"));
}

// test_capture_juju_evt
TEST(EmittedEventsTest, TheJujuEventAndTheCustomEventItEmits) {
  Context<MyCharm> ctx(kMeta, "", "");
  ctx.run(ctx.on.start(), State{});
  EXPECT_THAT(ctx.emitted_events,
              ElementsAre(EmittedEvent{"start", nullptr}, EmittedEvent{"foo", nullptr}));
}

// test_capture_deferred_evt
TEST(EmittedEventsTest, ReemittedDeferredEventsWhenAsked) {
  Context<MyCharm> ctx(kMeta, "", "");
  ctx.capture_deferred_events = true;
  ctx.run(ctx.on.start(), State{.deferred = {deferred_foo()}});
  EXPECT_THAT(kinds(ctx.emitted_events), ElementsAre("foo", "start", "foo"));
}

// test_capture_no_deferred_evt
TEST(EmittedEventsTest, NoReemittedDeferredEventsByDefault) {
  Context<MyCharm> ctx(kMeta, "", "");
  ctx.run(ctx.on.start(), State{.deferred = {deferred_foo()}});
  EXPECT_THAT(kinds(ctx.emitted_events), ElementsAre("start", "foo"));
}

// An event nobody observes is recorded too (Scenario records at _emit).
TEST(EmittedEventsTest, AnUnobservedEventIsRecorded) {
  Context<MyCharm> ctx(kMeta, "", "");
  ctx.run(ctx.on.update_status(), State{});
  EXPECT_THAT(kinds(ctx.emitted_events), ElementsAre("update_status"));
}

}  // namespace
