// Which handler was running when an exception left an event emission.
//
// The framework does not say which observer threw. The charm event classes
// report, from their destructors, each finished delivery (and whether the
// handler deferred) and the first one left by an exception; with the notices
// still in the (uncommitted) storage that names the observer: the failing
// delivery's notice comes right after those its deferring predecessors kept.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace ops::detail {

struct HandlerFailure {
  std::string event_path;     // "MyCharm/on/config_changed[3]"
  std::size_t notice_offset;  // index among the event's notices still stored
};

// Forgets what earlier dispatches (in this process) recorded.
void reset_handler_tracking() noexcept;
// The first delivery an exception left, if any.
std::optional<HandlerFailure> handler_failure() noexcept;

}  // namespace ops::detail
