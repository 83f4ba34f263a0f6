// A program built against an installed ops-cpp: observes an event, keeps a
// counter in StoredState, and prints "consumer: ok" when both worked.
#include <iostream>

#include <ops/framework.hpp>
#include <ops/storage.hpp>

namespace {

class Counter : public ops::Object {
 public:
  explicit Counter(ops::Framework& framework) : Object(framework, "Counter") {
    framework.observe<&Counter::on_ping>(ping, *this);
    stored_.set_default("pings", 0);
  }
  void on_ping(ops::EventBase&) { stored_.set("pings", stored_.get<int>("pings") + 1); }
  int pings() const { return stored_.get<int>("pings"); }

  ops::EventSource<ops::EventBase> ping{*this, "ping"};

 private:
  ops::StoredState stored_{*this};
};

}  // namespace

int main() {
  ops::MemoryStorage storage;
  ops::Framework framework(storage);
  Counter counter(framework);
  counter.ping.emit();
  counter.ping.emit();
  framework.commit();
  if (counter.pings() != 2) {
    std::cout << "consumer: expected 2 pings, got " << counter.pings() << "\n";
    return 1;
  }
  std::cout << "consumer: ok\n";
  return 0;
}
