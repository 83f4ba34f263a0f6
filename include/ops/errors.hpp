// The exceptions ops-cpp throws.
//
// Every error the framework raises derives from ops::Error, so a charm can
// catch them all in one place. An exception that escapes an event handler
// fails the hook: nothing of the dispatch is committed and Juju retries it.
// Pebble's errors (ops::pebble::Error and below) are declared in pebble.hpp
// and derive from ops::Error too.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace ops {

// Base of every ops-cpp error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Misuse of the framework: observing an unknown event, deferring an event
// that cannot be deferred, two objects at one handle path, ...
class FrameworkError : public Error {
 public:
  using Error::Error;
};

// Framework::load_snapshot found no snapshot under the handle (ops' NoSnapshotError).
class NoSnapshotError : public FrameworkError {
 public:
  explicit NoSnapshotError(std::string handle_path)
      : FrameworkError("no snapshot data found for " + handle_path + " object"),
        handle_path_(std::move(handle_path)) {}
  const std::string& handle_path() const noexcept { return handle_path_; }

 private:
  std::string handle_path_;
};

// Framework::load_snapshot has no type registered for the handle (ops' NoTypeError).
class NoTypeError : public FrameworkError {
 public:
  explicit NoTypeError(std::string handle_path)
      : FrameworkError("cannot restore " + handle_path + " since no class was registered for it"),
        handle_path_(std::move(handle_path)) {}
  const std::string& handle_path() const noexcept { return handle_path_; }

 private:
  std::string handle_path_;
};

// The unit's state database cannot be opened or read: corrupt, written by
// another framework (e.g. Python ops), or locked by another process.
class StorageError : public Error {
 public:
  using Error::Error;
};

// A charm metadata file (metadata.yaml, config.yaml, actions.yaml,
// charmcraft.yaml) is malformed; the message names the file, line and field.
class CharmMetaError : public Error {
 public:
  using Error::Error;
};

// A required Juju environment variable is missing or malformed.
class JujuContextError : public Error {
 public:
  using Error::Error;
};

// Juju refused a model operation, or a hook tool failed. stderr() is the
// tool's standard error when one ran.
class ModelError : public Error {
 public:
  explicit ModelError(const std::string& message, std::string stderr_text = {})
      : Error(message), stderr_(std::move(stderr_text)) {}
  const std::string& stderr() const noexcept { return stderr_; }

 private:
  std::string stderr_;
};

// The relation does not exist (or no longer exists).
class RelationNotFoundError : public ModelError {
 public:
  using ModelError::ModelError;
};

// get_relation() found more than one relation on an endpoint.
class TooManyRelatedAppsError : public ModelError {
 public:
  using ModelError::ModelError;
};

// Relation data broke ops' rules (base of the two below).
class RelationDataError : public ModelError {
 public:
  using ModelError::ModelError;
};

// Reading or writing a databag this unit has no access to.
class RelationDataAccessError : public RelationDataError {
 public:
  using RelationDataError::RelationDataError;
};

// A relation data value or key of the wrong type or shape.
class RelationDataTypeError : public RelationDataError {
 public:
  using RelationDataError::RelationDataError;
};

// The secret does not exist or this unit cannot see it.
class SecretNotFoundError : public ModelError {
 public:
  using ModelError::ModelError;
};

// A status that cannot be set (unknown/error) or set by this unit.
class InvalidStatusError : public ModelError {
 public:
  using ModelError::ModelError;
};

// A resource that the charm asked for is not attached or cannot be fetched.
class ResourceNotFoundError : public ModelError {
 public:
  using ModelError::ModelError;
};

}  // namespace ops
