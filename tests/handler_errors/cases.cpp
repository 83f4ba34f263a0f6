// One observe<> call per case (chosen with -DOPS_CASE_<name>); see
// CMakeLists.txt for the sentence each must produce.
#include "ops/framework.hpp"

struct PingEvent : ops::EventBase {
  using ops::EventBase::EventBase;
};
struct OtherEvent : ops::EventBase {
  using ops::EventBase::EventBase;
};

struct Emitter : ops::Object {
  explicit Emitter(ops::Framework& fw) : Object(fw, "Emitter") {}
  ops::EventSource<PingEvent> ping{*this, "ping"};
};

struct Charm : ops::Object {
  explicit Charm(ops::Framework& fw) : Object(fw, "Charm") {}
  void on_ping(PingEvent&) {}
  void on_other(OtherEvent&) {}
  void on_ping_const(PingEvent&) const {}
  void on_ping_by_value(PingEvent) {}
  static void on_ping_static(PingEvent&) {}
};

void wire(ops::Framework& fw, Emitter& emitter, Charm& charm) {
#if defined(OPS_CASE_correct)
  fw.observe<&Charm::on_ping>(emitter.ping, charm);
#elif defined(OPS_CASE_wrong_event)
  fw.observe<&Charm::on_other>(emitter.ping, charm);
#elif defined(OPS_CASE_not_a_member)
  fw.observe<&Charm::on_ping_static>(emitter.ping, charm);
#elif defined(OPS_CASE_const_handler)
  fw.observe<&Charm::on_ping_const>(emitter.ping, charm);
#elif defined(OPS_CASE_by_value)
  fw.observe<&Charm::on_ping_by_value>(emitter.ping, charm);
#endif
}
