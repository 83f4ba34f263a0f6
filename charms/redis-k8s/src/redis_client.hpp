// A small synchronous Redis client for the redis-k8s charm.
//
// The charm talks to its own Redis and to the Sentinels of its peers: INFO,
// ROLE and a few SENTINEL commands, one short connection per question, like
// the reference charm's redis-py clients. RedisClient owns one TCP connection
// (plain, or TLS through OpenSSL trusting a CA file), speaks RESP through
// hiredis' reader and formatter, and bounds every wait (connect, TLS
// handshake, send, receive) by a timeout of 1 s by default.
//
// Errors are typed so that the charm can tell them apart: RedisConnectionError
// (cannot connect, TLS failure, connection closed), RedisTimeoutError (no
// progress within the timeout), RedisReplyError (the server answered -ERR;
// what() is the server's text). All derive from RedisError. hiredis and
// OpenSSL stay in redis_client.cpp.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace redis_k8s {

// Base of the client's errors.
class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server cannot be reached, the TLS handshake failed, or the connection broke.
class RedisConnectionError : public RedisError {
 public:
  using RedisError::RedisError;
};

// Connecting, sending or receiving made no progress within the timeout.
class RedisTimeoutError : public RedisError {
 public:
  using RedisError::RedisError;
};

// The server answered with an error reply; what() is its text ("WRONGPASS ...").
class RedisReplyError : public RedisError {
 public:
  using RedisError::RedisError;
};

// One RESP2 reply: nil, status (+OK), bulk string, integer, array, or an
// error nested in an array (a top-level error is thrown as RedisReplyError).
class RedisReply {
 public:
  enum class Type { kNil, kStatus, kString, kInteger, kArray, kError };

  RedisReply() = default;  // nil
  static RedisReply nil() { return RedisReply(); }
  static RedisReply status(std::string text) { return RedisReply(Type::kStatus, std::move(text)); }
  static RedisReply string(std::string text) { return RedisReply(Type::kString, std::move(text)); }
  static RedisReply error(std::string text) { return RedisReply(Type::kError, std::move(text)); }
  static RedisReply integer(long long value);
  static RedisReply array(std::vector<RedisReply> elements);
  // An array of bulk strings.
  static RedisReply strings(const std::vector<std::string>& elements);
  // A flat array k1, v1, k2, v2 ... as SENTINEL MASTER answers.
  static RedisReply flat_map(const std::map<std::string, std::string>& entries);

  Type type() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == Type::kNil; }
  // The text of a status, bulk string or nested error; throws RedisError otherwise.
  const std::string& str() const;
  // The value of an integer reply; throws RedisError otherwise.
  long long integer() const;
  // The elements of an array reply; throws RedisError otherwise.
  const std::vector<RedisReply>& elements() const;
  // A flat array of pairs as a map (integer values as decimal text); throws
  // RedisError when the reply is not such an array.
  std::map<std::string, std::string> as_map() const;
  // A short readable rendering, for logs and test failure messages.
  std::string to_string() const;

  friend bool operator==(const RedisReply& a, const RedisReply& b) {
    return a.type_ == b.type_ && a.value_ == b.value_;
  }

 private:
  RedisReply(Type type, std::string text) : type_(type), value_(std::move(text)) {}

  Type type_ = Type::kNil;
  std::variant<std::monostate, std::string, long long, std::vector<RedisReply>> value_;
};

// Parses INFO's text ("# Server\r\nredis_version:7.0.15\r\n...") into key -> value.
std::map<std::string, std::string> parse_info(const std::string& text);

// Where and how to connect.
struct RedisClientOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::optional<std::string> password;  // AUTH after connecting when set and non-empty
  bool tls = false;
  std::optional<std::string> ca_file;    // CA to trust (TLS); system CAs when unset
  std::optional<std::string> cert_file;  // client certificate (TLS), with key_file
  std::optional<std::string> key_file;
  // TLS: the server's certificate must name `host` (its DNS name, or its
  // IP address for an IP literal), beyond chaining to a trusted CA. The
  // reference (redis-py) checks only the chain; ours checks both by default.
  bool verify_hostname = true;
  // The name the certificate must carry when it is not `host` (dialing the
  // unit's own Redis as "localhost", whose certificate names its FQDN).
  std::optional<std::string> tls_server_name;
  std::chrono::milliseconds timeout{1000};
};

// One connection to a Redis server or Sentinel. Not thread-safe; movable.
class RedisClient {
 public:
  // Connects (and authenticates when a password is set). Throws
  // RedisConnectionError, RedisTimeoutError or RedisReplyError (bad password).
  explicit RedisClient(RedisClientOptions options);
  ~RedisClient();
  RedisClient(RedisClient&&) noexcept;
  RedisClient& operator=(RedisClient&&) noexcept;

  // Sends one command and returns its reply. Throws RedisReplyError for an
  // error reply, RedisTimeoutError / RedisConnectionError when the connection
  // fails (after which the client is closed and further commands throw
  // RedisConnectionError).
  RedisReply command(const std::vector<std::string>& argv);

  const RedisClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace redis_k8s
