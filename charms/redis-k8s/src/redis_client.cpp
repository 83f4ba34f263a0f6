// RedisClient: hiredis' RESP reader and formatter over our own socket,
// plain TCP or TLS through OpenSSL, every wait bounded by the timeout.
#include "redis_client.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ops/detail/sigpipe_guard.hpp"

namespace redis_k8s {

// ---- RedisReply ----

RedisReply RedisReply::integer(long long value) {
  RedisReply reply;
  reply.type_ = Type::kInteger;
  reply.value_ = value;
  return reply;
}

RedisReply RedisReply::array(std::vector<RedisReply> elements) {
  RedisReply reply;
  reply.type_ = Type::kArray;
  reply.value_ = std::move(elements);
  return reply;
}

RedisReply RedisReply::strings(const std::vector<std::string>& elements) {
  std::vector<RedisReply> out;
  out.reserve(elements.size());
  for (const auto& e : elements) out.push_back(string(e));
  return array(std::move(out));
}

RedisReply RedisReply::flat_map(const std::map<std::string, std::string>& entries) {
  std::vector<RedisReply> out;
  for (const auto& [key, value] : entries) {
    out.push_back(string(key));
    out.push_back(string(value));
  }
  return array(std::move(out));
}

namespace {

const char* type_name(RedisReply::Type type) {
  switch (type) {
    case RedisReply::Type::kNil:
      return "nil";
    case RedisReply::Type::kStatus:
      return "status";
    case RedisReply::Type::kString:
      return "string";
    case RedisReply::Type::kInteger:
      return "integer";
    case RedisReply::Type::kArray:
      return "array";
    case RedisReply::Type::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace

const std::string& RedisReply::str() const {
  if (type_ != Type::kStatus && type_ != Type::kString && type_ != Type::kError) {
    throw RedisError(std::string("expected a string reply, got ") + type_name(type_));
  }
  return std::get<std::string>(value_);
}

long long RedisReply::integer() const {
  if (type_ != Type::kInteger) {
    throw RedisError(std::string("expected an integer reply, got ") + type_name(type_));
  }
  return std::get<long long>(value_);
}

const std::vector<RedisReply>& RedisReply::elements() const {
  if (type_ != Type::kArray) {
    throw RedisError(std::string("expected an array reply, got ") + type_name(type_));
  }
  return std::get<std::vector<RedisReply>>(value_);
}

std::map<std::string, std::string> RedisReply::as_map() const {
  const auto& items = elements();
  if (items.size() % 2 != 0) {
    throw RedisError("expected an array of key/value pairs, got " + std::to_string(items.size()) +
                     " elements");
  }
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < items.size(); i += 2) {
    const RedisReply& value = items[i + 1];
    out[items[i].str()] =
        value.type() == Type::kInteger ? std::to_string(value.integer()) : value.str();
  }
  return out;
}

std::string RedisReply::to_string() const {
  switch (type_) {
    case Type::kNil:
      return "(nil)";
    case Type::kStatus:
      return std::get<std::string>(value_);
    case Type::kString:
      return "\"" + std::get<std::string>(value_) + "\"";
    case Type::kError:
      return "(error) " + std::get<std::string>(value_);
    case Type::kInteger:
      return "(integer) " + std::to_string(std::get<long long>(value_));
    case Type::kArray: {
      std::string out = "[";
      const auto& items = std::get<std::vector<RedisReply>>(value_);
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += items[i].to_string();
      }
      return out + "]";
    }
  }
  return "?";
}

std::map<std::string, std::string> parse_info(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

// ---- RedisClient ----

namespace {

using Clock = std::chrono::steady_clock;

#define REDIS_K8S_STRINGIFY2(x) #x
#define REDIS_K8S_STRINGIFY(x) REDIS_K8S_STRINGIFY2(x)

// OpenSSL, loaded with dlopen on the first TLS connection: a hook that
// talks to Redis in plain TCP (or not at all) does not pay for the dynamic
// loader mapping and relocating libssl and libcrypto, which was about 40% of
// a short hook's instructions. libcrypto is opened first by its soname so that
// the executable's run path ($ORIGIN/lib, where ops_add_charm bundles both)
// finds it; libssl's own dependency on it then resolves to the loaded copy.
// The pointer types come from OpenSSL's headers, so a signature mismatch is a
// compile error. Loaded once per process and never unloaded.
struct OpenSsl {
#define REDIS_K8S_OPENSSL_FUNCTIONS(X)  \
  X(ERR_clear_error)                    \
  X(ERR_get_error)                      \
  X(ERR_peek_error)                     \
  X(ERR_error_string_n)                 \
  X(SSL_CTX_new)                        \
  X(SSL_CTX_free)                       \
  X(SSL_CTX_ctrl)                       \
  X(SSL_CTX_load_verify_locations)      \
  X(SSL_CTX_set_default_verify_paths)   \
  X(SSL_CTX_set_verify)                 \
  X(SSL_CTX_use_certificate_chain_file) \
  X(SSL_CTX_use_PrivateKey_file)        \
  X(SSL_CTX_check_private_key)          \
  X(TLS_client_method)                  \
  X(SSL_new)                            \
  X(SSL_free)                           \
  X(SSL_set_fd)                         \
  X(SSL_ctrl)                           \
  X(SSL_get0_param)                     \
  X(SSL_connect)                        \
  X(SSL_shutdown)                       \
  X(SSL_read)                           \
  X(SSL_write)                          \
  X(SSL_get_error)                      \
  X(SSL_get_verify_result)              \
  X(X509_VERIFY_PARAM_set_hostflags)    \
  X(X509_VERIFY_PARAM_set1_host)        \
  X(X509_VERIFY_PARAM_set1_ip_asc)      \
  X(X509_verify_cert_error_string)
#define REDIS_K8S_DECLARE(name) decltype(&::name) name = nullptr;
  REDIS_K8S_OPENSSL_FUNCTIONS(REDIS_K8S_DECLARE)
#undef REDIS_K8S_DECLARE
};

constexpr const char* kLibCrypto = "libcrypto.so." REDIS_K8S_STRINGIFY(OPENSSL_SHLIB_VERSION);
constexpr const char* kLibSsl = "libssl.so." REDIS_K8S_STRINGIFY(OPENSSL_SHLIB_VERSION);

OpenSsl load_openssl() {
  auto open = [](const char* soname) {
    void* handle = ::dlopen(soname, RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
      const char* why = ::dlerror();
      throw RedisConnectionError(std::string("TLS unavailable: cannot load ") + soname + ": " +
                                 (why ? why : "unknown error"));
    }
    return handle;
  };
  open(kLibCrypto);
  void* ssl = open(kLibSsl);  // its dependencies (libcrypto) are searched too
  OpenSsl api;
  auto resolve = [ssl](auto& pointer, const char* name) {
    void* symbol = ::dlsym(ssl, name);
    if (!symbol) {
      throw RedisConnectionError(std::string("TLS unavailable: ") + kLibSsl + " has no " + name);
    }
    pointer = reinterpret_cast<std::remove_reference_t<decltype(pointer)>>(symbol);
  };
#define REDIS_K8S_RESOLVE(name) resolve(api.name, #name);
  REDIS_K8S_OPENSSL_FUNCTIONS(REDIS_K8S_RESOLVE)
#undef REDIS_K8S_RESOLVE
  return api;
}

// The loaded OpenSSL; the first call loads it (thread-safe), and throws
// RedisConnectionError when it cannot, as a failed TLS setup does.
const OpenSsl& openssl() {
  static const OpenSsl api = load_openssl();
  return api;
}

std::string ssl_errors() {
  std::string out;
  while (unsigned long code = openssl().ERR_get_error()) {
    char buf[256];
    openssl().ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { openssl().SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { openssl().SSL_free(ssl); }
};
struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};
struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

// Converts a hiredis reply (nested errors kept as kError elements).
RedisReply convert(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return RedisReply::string(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return RedisReply::status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return RedisReply::error(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER:
      return RedisReply::integer(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisReply> items;
      items.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) items.push_back(convert(r->element[i]));
      return RedisReply::array(std::move(items));
    }
    default:
      return RedisReply::nil();
  }
}

}  // namespace

struct RedisClient::Impl {
  RedisClientOptions options;
  std::string where;  // "host:port", for messages
  int fd = -1;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx;
  std::unique_ptr<SSL, SslDeleter> ssl;
  std::unique_ptr<redisReader, ReaderDeleter> reader;

  explicit Impl(RedisClientOptions o)
      : options(std::move(o)), where(options.host + ":" + std::to_string(options.port)) {}
  ~Impl() { close(); }

  void close() noexcept {
    if (ssl) {
      ops::detail::SigpipeGuard guard;
      openssl().SSL_shutdown(ssl.get());  // best effort, non-blocking socket
      ssl.reset();
    }
    ctx.reset();
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
    reader.reset();
  }

  // Waits until the socket is ready for `events` or `deadline` passes.
  void wait_for(short events, Clock::time_point deadline, const char* doing) const {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        throw RedisTimeoutError("Timeout " + std::string(doing) + " " + where);
      }
      pollfd p{fd, events, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc > 0) return;  // ready, or an error the next call will report
      if (rc < 0 && errno != EINTR) {
        throw RedisConnectionError("Error " + std::to_string(errno) + " while " + doing + " " +
                                   where + ". " + std::strerror(errno) + ".");
      }
    }
  }
  Clock::time_point deadline() const { return Clock::now() + options.timeout; }

  void connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    std::string port = std::to_string(options.port);
    int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &raw);
    if (rc != 0) {
      throw RedisConnectionError("Error connecting to " + where + ". " + gai_strerror(rc) + ".");
    }
    std::unique_ptr<addrinfo, AddrInfoDeleter> addresses(raw);
    Clock::time_point until = deadline();
    std::string last_error = "no address";
    bool timed_out = false;
    for (addrinfo* ai = addresses.get(); ai; ai = ai->ai_next) {
      fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) {
        last_error = std::string("Error ") + std::to_string(errno) + " connecting to " + where +
                     ". " + std::strerror(errno) + ".";
        continue;
      }
      int error = 0;
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        error = errno;
        if (error == EINPROGRESS) {
          try {
            wait_for(POLLOUT, until, "connecting to");
            socklen_t len = sizeof error;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
          } catch (const RedisTimeoutError& e) {
            timed_out = true;
            last_error = e.what();
            ::close(fd);
            fd = -1;
            continue;
          }
        }
      }
      if (error == 0) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return;
      }
      timed_out = false;
      last_error = "Error " + std::to_string(error) + " connecting to " + where + ". " +
                   std::strerror(error) + ".";
      ::close(fd);
      fd = -1;
    }
    if (timed_out) throw RedisTimeoutError(last_error);
    throw RedisConnectionError(last_error);
  }

  void start_tls() {
    openssl().ERR_clear_error();
    ctx.reset(openssl().SSL_CTX_new(openssl().TLS_client_method()));
    if (!ctx) throw RedisConnectionError("TLS setup failed: " + ssl_errors());
    openssl().SSL_CTX_ctrl(ctx.get(), SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, nullptr);
    if (options.ca_file) {
      if (openssl().SSL_CTX_load_verify_locations(ctx.get(), options.ca_file->c_str(), nullptr) !=
          1) {
        throw RedisConnectionError("Cannot load the CA certificate " + *options.ca_file + ": " +
                                   ssl_errors());
      }
    } else {
      openssl().SSL_CTX_set_default_verify_paths(ctx.get());
    }
    openssl().SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (options.cert_file) {
      if (openssl().SSL_CTX_use_certificate_chain_file(ctx.get(), options.cert_file->c_str()) !=
          1) {
        throw RedisConnectionError("Cannot load the client certificate " + *options.cert_file +
                                   ": " + ssl_errors());
      }
      const std::string& key = options.key_file ? *options.key_file : *options.cert_file;
      if (openssl().SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1 ||
          openssl().SSL_CTX_check_private_key(ctx.get()) != 1) {
        throw RedisConnectionError("Cannot load the client key " + key + ": " + ssl_errors());
      }
    }
    ssl.reset(openssl().SSL_new(ctx.get()));
    if (!ssl || openssl().SSL_set_fd(ssl.get(), fd) != 1) {
      throw RedisConnectionError("TLS setup failed: " + ssl_errors());
    }
    const std::string& name = options.tls_server_name ? *options.tls_server_name : options.host;
    if (!is_ip_literal(name)) {
      openssl().SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(name.c_str()));
    }
    if (options.verify_hostname) {
      // The handshake fails unless the certificate names `name` (subjectAltName
      // DNS or IP entries; no partial wildcards).
      X509_VERIFY_PARAM* param = openssl().SSL_get0_param(ssl.get());
      openssl().X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      int ok = is_ip_literal(name) ? openssl().X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                   : openssl().X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
      if (ok != 1) throw RedisConnectionError("TLS setup failed: " + ssl_errors());
    }
    Clock::time_point until = deadline();
    for (;;) {
      openssl().ERR_clear_error();
      int rc;
      {
        ops::detail::SigpipeGuard guard;
        rc = openssl().SSL_connect(ssl.get());
      }
      if (rc == 1) return;
      int error = openssl().SSL_get_error(ssl.get(), rc);
      if (error == SSL_ERROR_WANT_READ) {
        wait_for(POLLIN, until, "during the TLS handshake with");
      } else if (error == SSL_ERROR_WANT_WRITE) {
        wait_for(POLLOUT, until, "during the TLS handshake with");
      } else {
        std::string detail;
        long verify = openssl().SSL_get_verify_result(ssl.get());
        if (verify != X509_V_OK) {
          detail = std::string("certificate verify failed: ") +
                   openssl().X509_verify_cert_error_string(verify);
        } else if (openssl().ERR_peek_error() != 0) {
          detail = ssl_errors();
        } else {
          detail = "connection closed";
        }
        throw RedisConnectionError("TLS handshake with " + where + " failed: " + detail);
      }
    }
  }

  void send_all(const char* data, std::size_t len) {
    while (len > 0) {
      if (ssl) {
        openssl().ERR_clear_error();
        int n;
        {
          ops::detail::SigpipeGuard guard;
          n = openssl().SSL_write(ssl.get(), data, static_cast<int>(len));
        }
        if (n > 0) {
          data += n;
          len -= static_cast<std::size_t>(n);
          continue;
        }
        int error = openssl().SSL_get_error(ssl.get(), n);
        if (error == SSL_ERROR_WANT_WRITE) {
          wait_for(POLLOUT, deadline(), "writing to");
        } else if (error == SSL_ERROR_WANT_READ) {
          wait_for(POLLIN, deadline(), "writing to");
        } else {
          throw RedisConnectionError("Error while writing to " + where + ": " + ssl_errors());
        }
      } else {
        ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
          data += n;
          len -= static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          wait_for(POLLOUT, deadline(), "writing to");
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          throw RedisConnectionError("Error " + std::to_string(errno) + " while writing to " +
                                     where + ". " + std::strerror(errno) + ".");
        }
      }
    }
  }

  // Reads at least one byte; throws on timeout, error or end of stream.
  std::size_t receive_some(char* buf, std::size_t capacity) {
    for (;;) {
      if (ssl) {
        openssl().ERR_clear_error();
        int n = openssl().SSL_read(ssl.get(), buf, static_cast<int>(capacity));
        if (n > 0) return static_cast<std::size_t>(n);
        int error = openssl().SSL_get_error(ssl.get(), n);
        if (error == SSL_ERROR_WANT_READ) {
          wait_for(POLLIN, deadline(), "reading from");
        } else if (error == SSL_ERROR_WANT_WRITE) {
          wait_for(POLLOUT, deadline(), "reading from");
        } else if (error == SSL_ERROR_ZERO_RETURN ||
                   (error == SSL_ERROR_SYSCALL && openssl().ERR_peek_error() == 0)) {
          throw RedisConnectionError("Connection closed by server " + where + ".");
        } else {
          throw RedisConnectionError("Error while reading from " + where + ": " + ssl_errors());
        }
      } else {
        ssize_t n = ::recv(fd, buf, capacity, 0);
        if (n > 0) return static_cast<std::size_t>(n);
        if (n == 0) throw RedisConnectionError("Connection closed by server " + where + ".");
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          wait_for(POLLIN, deadline(), "reading from");
        } else if (errno != EINTR) {
          throw RedisConnectionError("Error " + std::to_string(errno) + " while reading from " +
                                     where + ". " + std::strerror(errno) + ".");
        }
      }
    }
  }

  RedisReply read_reply() {
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
        throw RedisConnectionError("Protocol error from " + where + ": " + reader->errstr);
      }
      if (raw) {
        std::unique_ptr<void, ReplyDeleter> owned(raw);
        const auto* reply = static_cast<const redisReply*>(raw);
        if (reply->type == REDIS_REPLY_ERROR) {
          throw RedisReplyError(std::string(reply->str, reply->len));
        }
        return convert(reply);
      }
      char buf[16 * 1024];
      std::size_t n = receive_some(buf, sizeof buf);
      if (redisReaderFeed(reader.get(), buf, n) != REDIS_OK) {
        throw RedisConnectionError("Protocol error from " + where + ": " + reader->errstr);
      }
    }
  }

  RedisReply command(const std::vector<std::string>& argv) {
    if (fd < 0) throw RedisConnectionError("Not connected to " + where + ".");
    if (argv.empty()) throw RedisError("empty command");
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    char* formatted = nullptr;
    int len =
        redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), args.data(), lens.data());
    if (len < 0 || !formatted) throw RedisError("cannot format the command");
    std::unique_ptr<char, void (*)(char*)> owned(formatted, redisFreeCommand);
    try {
      send_all(formatted, static_cast<std::size_t>(len));
      return read_reply();
    } catch (const RedisReplyError&) {
      throw;  // the connection is still in step
    } catch (const RedisError&) {
      close();  // the stream is out of step: no further use
      throw;
    }
  }
};

RedisClient::RedisClient(RedisClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->reader.reset(redisReaderCreate());
  if (!impl_->reader) throw RedisError("cannot create the RESP reader");
  try {
    impl_->connect();
    if (impl_->options.tls) impl_->start_tls();
  } catch (...) {
    impl_->close();
    throw;
  }
  if (impl_->options.password && !impl_->options.password->empty()) {
    impl_->command({"AUTH", *impl_->options.password});
  }
}

RedisClient::~RedisClient() = default;
RedisClient::RedisClient(RedisClient&&) noexcept = default;
RedisClient& RedisClient::operator=(RedisClient&&) noexcept = default;

RedisReply RedisClient::command(const std::vector<std::string>& argv) {
  if (!impl_) throw RedisConnectionError("Not connected (moved-from client).");
  return impl_->command(argv);
}

const RedisClientOptions& RedisClient::options() const { return impl_->options; }

}  // namespace redis_k8s
