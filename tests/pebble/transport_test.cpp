// Transport failures: no server, a server that goes away, malformed or
// chunked responses from a raw socket server, a server that never answers;
// and the pebble-server executable as a separate process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "pebble_fixture.hpp"

extern char** environ;

namespace {

using ops::pebble::Duration;
using testing::HasSubstr;

class PebbleTransportTest : public ::testing::Test {
 protected:
  std::string socket_path() const { return (dir_.path() / "raw.socket").string(); }
  std::unique_ptr<ops::pebble::Client> client(double timeout = 2.0) {
    return ops::pebble::make_client(socket_path(), Duration(timeout));
  }
  ops_test::TempDir dir_;
};

TEST_F(PebbleTransportTest, MissingSocketIsConnectionError) {
  try {
    client()->get_system_info();
    FAIL() << "expected ConnectionError";
  } catch (const ops::pebble::ConnectionError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("cannot connect to Pebble at " + socket_path()));
  }
}

TEST_F(PebbleTransportTest, ServerGoneIsConnectionError) {
  const auto root = dir_.path() / "root";
  std::filesystem::create_directories(root);
  auto server = std::make_unique<ops::pebble_server::Server>(
      ops::pebble_server::ServerOptions{.socket_path = socket_path(), .root_dir = root.string()});
  server->start();
  auto pebble = client();
  EXPECT_EQ(pebble->get_system_info().version, "1.10.0");
  server.reset();
  EXPECT_THROW((void)pebble->get_system_info(), ops::pebble::ConnectionError);
}

TEST_F(PebbleTransportTest, GarbageIsProtocolError) {
  ops_test::RawSocketServer raw(socket_path(), "this is not HTTP at all\r\n\r\n");
  try {
    client()->get_system_info();
    FAIL() << "expected ProtocolError";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("GET /v1/system-info: malformed HTTP response"));
  }
}

TEST_F(PebbleTransportTest, NonJsonBodyIsProtocolError) {
  ops_test::RawSocketServer raw(
      socket_path(),
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\nnot json!");
  try {
    client()->get_system_info();
    FAIL() << "expected ProtocolError";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_EQ(std::string(e.what()), "invalid JSON in Pebble response (HTTP 200): not json!");
  }
}

TEST_F(PebbleTransportTest, WrongShapeIsProtocolError) {
  ops_test::RawSocketServer raw(socket_path(),
                                "HTTP/1.1 200 OK\r\nContent-Length: 37\r\n\r\n"
                                R"({"type":"sync","result":{"v":"1.0"}})"
                                " ");
  try {
    client()->get_system_info();
    FAIL() << "expected ProtocolError";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("missing field \"version\""));
  }
}

TEST_F(PebbleTransportTest, TruncatedBodyIsConnectionErrorNotCrash) {
  ops_test::RawSocketServer raw(socket_path(),
                                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"type\":");
  EXPECT_THROW((void)client()->get_system_info(), ops::pebble::ConnectionError);
}

TEST_F(PebbleTransportTest, ChunkedResponseIsReassembled) {
  const std::string body =
      R"({"type":"sync","status-code":200,"status":"OK","result":{"version":"9.9.9"}})";
  const std::string first = body.substr(0, 10);
  const std::string second = body.substr(10);
  char sizes[64];
  std::snprintf(sizes, sizeof sizes, "%zx", first.size());
  std::string reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  reply += std::string(sizes) + "\r\n" + first + "\r\n";
  std::snprintf(sizes, sizeof sizes, "%zx", second.size());
  reply += std::string(sizes) + "\r\n" + second + "\r\n0\r\n\r\n";
  ops_test::RawSocketServer raw(socket_path(), reply);
  EXPECT_EQ(client()->get_system_info().version, "9.9.9");
}

TEST_F(PebbleTransportTest, ErrorEnvelopeIsApiError) {
  const std::string body =
      R"({"type":"error","status-code":401,"status":"Unauthorized","result":{"message":"access denied","kind":"login-required"}})";
  ops_test::RawSocketServer raw(socket_path(), "HTTP/1.1 401 Unauthorized\r\nContent-Length: " +
                                                   std::to_string(body.size()) + "\r\n\r\n" + body);
  try {
    client()->get_system_info();
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.code(), 401);
    EXPECT_EQ(e.status(), "Unauthorized");
    EXPECT_EQ(e.message(), "access denied");
    EXPECT_EQ(e.body()["result"]["kind"], "login-required");
  }
}

TEST_F(PebbleTransportTest, ErrorStatusWithGarbageBodyIsApiError) {
  ops_test::RawSocketServer raw(socket_path(),
                                "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 5\r\n\r\noops!");
  try {
    client()->get_system_info();
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.code(), 502);
    EXPECT_EQ(e.message(), "HTTP 502 Bad Gateway: oops!");
  }
}

TEST_F(PebbleTransportTest, SilentServerIsTimeoutError) {
  ops_test::RawSocketServer raw(socket_path(), "");
  const auto start = std::chrono::steady_clock::now();
  try {
    client(0.3)->get_system_info();
    FAIL() << "expected TimeoutError";
  } catch (const ops::pebble::TimeoutError& e) {
    EXPECT_EQ(std::string(e.what()), "GET /v1/system-info timed out after 0.300s");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(PebbleTransportTest, MalformedMultipartPullIsProtocolError) {
  ops_test::RawSocketServer raw(
      socket_path(),
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/form-data; boundary=XYZ\r\n"
      "Content-Length: 21\r\n\r\n--XYZ\r\nno-headers-end");
  EXPECT_THROW((void)client()->pull("/etc/x"), ops::pebble::ProtocolError);
}

// The executable serves the same API; SIGTERM stops it cleanly.
TEST_F(PebbleTransportTest, PebbleServerExecutable) {
  const std::string binary = OPS_PEBBLE_SERVER_EXE;
  const auto root = dir_.path() / "root";
  std::filesystem::create_directories(root);
  const std::string socket = socket_path();
  const std::string root_text = root.string();
  std::vector<std::string> args = {binary,    "--socket",     socket,          "--root",
                                   root_text, "--fail-start", "broken=no luck"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  auto pebble = client();
  bool up = false;
  for (int i = 0; i < 500 && !up; ++i) {
    try {
      up = pebble->get_system_info().version == "1.10.0";
    } catch (const ops::pebble::ConnectionError&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_TRUE(up);
  pebble->add_layer("l", ops::pebble::Layer::from_yaml(
                             "services:\n  broken: {override: replace, command: /bin/true}\n"));
  try {
    pebble->start_services({"broken"});
    FAIL() << "expected ChangeError";
  } catch (const ops::pebble::ChangeError& e) {
    EXPECT_EQ(e.err(), "cannot perform the following tasks:\n- Start service \"broken\" (no luck)");
  }
  pebble->push("/hello.txt", std::string_view("hi"));
  EXPECT_EQ(pebble->pull("/hello.txt"), "hi");
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(std::filesystem::exists(socket));
}

}  // namespace
