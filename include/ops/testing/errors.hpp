// The errors of the testing library (Harness and Context).
//
// HarnessError: the test itself is wrong (an undeclared relation, an unknown
// config option, an exec() the test did not prepare). UncaughtCharmError:
// charm code threw while handling an event; the message names the handler
// and the event the way ops::main logs it, and original() holds the
// exception itself. ActionFailed: the action handler called fail(); its
// output (results and logs so far) travels with it. InconsistentStateError
// (context.hpp's input checks): a State that Juju could never produce.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/errors.hpp"

namespace ops::testing {

// Misuse of the testing library, or a test that did not prepare what the
// charm asked for (e.g. an exec() without a registered result).
class HarnessError : public ops::Error {
 public:
  using ops::Error::Error;
};

// A State given to Context::run that Juju could never produce; the message
// lists every inconsistency found.
class InconsistentStateError : public HarnessError {
 public:
  using HarnessError::HarnessError;
};

// Charm code threw while handling an event. what(): "Uncaught exception in
// MyCharm.on_config_changed while handling config_changed
// (MyCharm/on/config_changed[3]): std::runtime_error: boom".
class UncaughtCharmError : public ops::Error {
 public:
  UncaughtCharmError(const std::string& message, std::optional<std::string> handler,
                     std::string event_kind, std::exception_ptr original)
      : ops::Error(message),
        handler_(std::move(handler)),
        event_kind_(std::move(event_kind)),
        original_(std::move(original)) {}

  // "MyCharm.on_config_changed", when the failing handler is known.
  const std::optional<std::string>& handler() const noexcept { return handler_; }
  // The event being handled, e.g. "config_changed".
  const std::string& event_kind() const noexcept { return event_kind_; }
  // The exception the charm threw.
  const std::exception_ptr& original() const noexcept { return original_; }
  // Throws the charm's exception again (to assert on its type).
  [[noreturn]] void rethrow_original() const { std::rethrow_exception(original_); }

 private:
  std::optional<std::string> handler_;
  std::string event_kind_;
  std::exception_ptr original_;
};

// What an action reported: action-set results and action-log messages.
struct ActionOutput {
  nlohmann::json results = nlohmann::json::object();
  std::vector<std::string> logs;
};

// The action handler called fail(message). what() is the message.
class ActionFailed : public ops::Error {
 public:
  ActionFailed(const std::string& message, ActionOutput output)
      : ops::Error(message), message_(message), output_(std::move(output)) {}
  const std::string& message() const noexcept { return message_; }
  const ActionOutput& output() const noexcept { return output_; }

 private:
  std::string message_;
  ActionOutput output_;
};

}  // namespace ops::testing
