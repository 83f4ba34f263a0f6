// Bounds on what the Pebble client holds: JSON answers are refused past
// kMaxJsonResponseSize, a pull streams the file to its sink as it arrives
// (the multipart body is parsed incrementally), pull into a string stops at
// kMaxPullSize, and malformed, truncated or lying responses are clear
// errors. The servers here are scripted raw sockets that generate their
// bytes as they send them, so the test process holds no large body itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <ostream>
#include <streambuf>

#include "ops/detail/pebble_multipart.hpp"
#include "ops/testing/fake_pebble.hpp"
#include "pebble_fixture.hpp"

namespace {

namespace pb = ops::pebble;
using ops_test::ScriptedServer;
using ops_test::send_all;
using pb::Duration;
using testing::HasSubstr;

constexpr std::size_t kMiB = 1024 * 1024;

// One chunk of a chunked body.
bool send_chunk(int fd, std::string_view bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return send_all(fd, size) && send_all(fd, bytes) && send_all(fd, "\r\n");
}

// The byte at offset `i` of a generated file: a pattern that also holds
// CR, LF and '-' so that delimiter look-alikes cross every piece boundary.
char pattern_byte(std::uint64_t i) {
  static const char kText[] = "\r\n--B\r\n-\r\n--Bx\r\n---abcdefgh";
  return kText[(i * 7 + i / 4099) % (sizeof kText - 1)];
}

// The head and the start of Pebble's multipart answer to a read of `path`.
const std::string kBoundary = "B";
std::string multipart_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
         "\r\nTransfer-Encoding: chunked\r\n\r\n";
}
std::string file_part_head(const std::string& path) {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" +
         path + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
}
std::string response_part(const std::string& path) {
  return "\r\n--" + kBoundary +
         "\r\nContent-Type: application/json\r\nContent-Disposition: form-data; "
         "name=\"response\"\r\n\r\n"
         R"({"type":"sync","status-code":200,"status":"OK","result":[{"path":")" +
         path + "\"}]}\n\r\n--" + kBoundary + "--\r\n";
}

// Sends a `size`-byte generated file as Pebble sends a pull (chunked, files
// part then response part). `before_rest` runs once half of it is sent.
void send_pull(int fd, const std::string& path, std::uint64_t size,
               const std::function<void()>& before_rest = {}) {
  if (!send_all(fd, multipart_head()) || !send_chunk(fd, file_part_head(path))) return;
  std::string piece(48 * 1024 + 7, '\0');  // not a divisor of the client's pieces
  std::uint64_t sent = 0;
  bool waited = false;
  while (sent < size) {
    if (!waited && sent >= size / 2 && before_rest) {
      before_rest();
      waited = true;
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(piece.size(), size - sent));
    for (std::size_t i = 0; i < n; ++i) piece[i] = pattern_byte(sent + i);
    if (!send_chunk(fd, std::string_view(piece.data(), n))) return;
    sent += n;
  }
  send_chunk(fd, response_part(path));
  send_all(fd, "0\r\n\r\n");
}

// A stream that checks every byte against the pattern and keeps none.
class PatternCheckBuf : public std::streambuf {
 public:
  std::uint64_t count() const { return count_.load(); }
  std::uint64_t mismatches() const { return mismatches_; }
  std::function<void()> on_write;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) {
      if (s[i] != pattern_byte(count_ + static_cast<std::uint64_t>(i))) ++mismatches_;
    }
    count_ += static_cast<std::uint64_t>(n);
    if (on_write) on_write();
    return n;
  }
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    char ch = traits_type::to_char_type(c);
    xsputn(&ch, 1);
    return c;
  }

 private:
  std::atomic<std::uint64_t> count_{0};
  std::uint64_t mismatches_ = 0;
};

// The resident set size of this process now.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  std::uint64_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

class PebbleLimitsTest : public ::testing::Test {
 protected:
  std::string socket_path() const { return (dir_.path() / "scripted.socket").string(); }
  std::unique_ptr<pb::Client> client(double timeout = 5.0) {
    return pb::make_client(socket_path(), Duration(timeout));
  }
  template <class Call>
  static std::string error_of(Call&& call) {
    try {
      call();
    } catch (const pb::ProtocolError& e) {
      return std::string("ProtocolError: ") + e.what();
    } catch (const pb::ConnectionError& e) {
      return std::string("ConnectionError: ") + e.what();
    } catch (const pb::Error& e) {
      return std::string("Error: ") + e.what();
    }
    return "no error";
  }
  ops_test::TempDir dir_;
};

TEST_F(PebbleLimitsTest, JsonAnswerAnnouncedOverTheLimitIsRefusedUnread) {
  // Content-Length says 8 MiB + 1; nothing of the body is ever sent, so the
  // refusal comes from the header alone (a wait for the body would time out).
  ops_test::RawSocketServer raw(socket_path(),
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                "Content-Length: " +
                                    std::to_string(8 * kMiB + 1) + "\r\n\r\n{");
  EXPECT_EQ(error_of([&] { (void)client()->get_system_info(); }),
            "ProtocolError: GET /v1/system-info: response body exceeds the limit of 8 MiB");
}

TEST_F(PebbleLimitsTest, EndlessChunkedJsonAnswerIsCutAtTheLimit) {
  std::atomic<std::uint64_t> sent{0};
  ScriptedServer server(socket_path(), [&](int fd) {
    if (!send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return;
    const std::string piece(64 * 1024, ' ');
    while (sent < 64 * kMiB && send_chunk(fd, piece)) sent += piece.size();
  });
  EXPECT_EQ(error_of([&] { (void)client()->get_changes(); }),
            "ProtocolError: GET /v1/changes?select=in-progress: response body exceeds the limit "
            "of 8 MiB");
  // The client stopped reading near the limit: the server could not send
  // much more than the limit plus what the socket buffers hold.
  EXPECT_LT(sent.load(), 16 * kMiB);
}

TEST_F(PebbleLimitsTest, JsonAnswerOfExactlyTheLimitIsAccepted) {
  std::string body = R"({"type":"sync","status-code":200,"status":"OK","result":{"version":"7",)"
                     R"("pad":")";
  const std::string tail = "\"}}";
  body.append(8 * kMiB - body.size() - tail.size(), 'x');
  body += tail;
  ASSERT_EQ(body.size(), pb::kMaxJsonResponseSize);
  ops_test::RawSocketServer raw(socket_path(), "HTTP/1.1 200 OK\r\nContent-Length: " +
                                                   std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(client()->get_system_info().version, "7");
}

TEST_F(PebbleLimitsTest, OversizedErrorAnswerIsRefusedToo) {
  ops_test::RawSocketServer raw(socket_path(),
                                "HTTP/1.1 500 Internal Server Error\r\n"
                                "Content-Length: 99999999999\r\n\r\n{");
  EXPECT_EQ(error_of([&] { (void)client()->pull("/f"); }),
            "ProtocolError: GET /v1/files?action=read&path=/f: response body exceeds the limit "
            "of 8 MiB");
}

// 64 MiB reach the stream while the body is still arriving, and the process
// grows by far less than the file: nothing holds the whole body.
TEST_F(PebbleLimitsTest, LargePullStreamsToItsSinkWithBoundedMemory) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan's quarantine keeps freed buffers resident: RSS says nothing there.
  GTEST_SKIP() << "resident-memory bound not measurable under AddressSanitizer";
#endif
  constexpr std::uint64_t kSize = 64 * kMiB;
  PatternCheckBuf sink;
  std::ostream out(&sink);
  std::mutex mutex;
  std::condition_variable progressed;
  std::atomic<std::uint64_t> received_before_rest{0};
  const std::uint64_t baseline = resident_bytes();
  std::uint64_t peak = baseline;
  sink.on_write = [&] {
    peak = std::max(peak, resident_bytes());
    progressed.notify_all();
  };
  ScriptedServer server(socket_path(), [&](int fd) {
    send_pull(fd, "/big", kSize, [&] {
      // Wait until the client has handed (almost) all that was sent to the
      // stream; a client that buffered the body would never get there.
      std::unique_lock<std::mutex> lock(mutex);
      progressed.wait_for(lock, std::chrono::seconds(3),
                          [&] { return sink.count() + 2 * kMiB >= kSize / 2; });
      received_before_rest = sink.count();
    });
  });
  client(120.0)->pull("/big", out);
  EXPECT_EQ(sink.count(), kSize);
  EXPECT_EQ(sink.mismatches(), 0u);
  EXPECT_GE(received_before_rest.load() + 2 * kMiB, kSize / 2);
  EXPECT_LT(peak - baseline, 16 * kMiB);
}

TEST_F(PebbleLimitsTest, PullIntoAStringStopsAtTheLimit) {
  ScriptedServer server(socket_path(),
                        [&](int fd) { send_pull(fd, "/big", pb::kMaxPullSize + 1); });
  // 64 MiB through the client: seconds under ASan on a loaded machine, so
  // more than the fixture's 5 s request timeout.
  EXPECT_EQ(error_of([&] { (void)client(120.0)->pull("/big"); }),
            "Error: cannot pull /big into a string: the file is larger than 64 MiB (pull it into "
            "a stream instead)");
}

TEST_F(PebbleLimitsTest, FakePebbleRefusesTheSameOversizedStringPull) {
  ops::testing::FakePebble fake("workload");
  fake.set_can_connect(true);
  auto pebble = fake.client();
  pebble->push("/small", std::string_view("x"));
  // A sparse file: nothing is written to disk.
  std::filesystem::resize_file(fake.filesystem_root() / "small", pb::kMaxPullSize + 1);
  EXPECT_EQ(error_of([&] { (void)pebble->pull("/small"); }),
            "Error: cannot pull /small into a string: the file is larger than 64 MiB (pull it "
            "into a stream instead)");
  std::filesystem::resize_file(fake.filesystem_root() / "small", pb::kMaxPullSize);
  EXPECT_EQ(pebble->pull("/small").size(), pb::kMaxPullSize);
}

TEST_F(PebbleLimitsTest, ContentLengthShorterThanTheMultipartIsATruncatedPart) {
  const std::string body = file_part_head("/f") + "hello" + response_part("/f");
  // The server sends it all, but says the body ends in the file's content.
  const std::size_t claimed = file_part_head("/f").size() + 3;
  ops_test::RawSocketServer raw(socket_path(),
                                "HTTP/1.1 200 OK\r\nContent-Type: multipart/form-data; "
                                "boundary=B\r\nContent-Length: " +
                                    std::to_string(claimed) + "\r\n\r\n" + body);
  EXPECT_EQ(error_of([&] { (void)client()->pull("/f"); }),
            "ProtocolError: truncated multipart part");
}

TEST_F(PebbleLimitsTest, ContentLengthLongerThanTheMultipartIsAConnectionError) {
  const std::string body = file_part_head("/f") + "hello" + response_part("/f");
  ops_test::RawSocketServer raw(socket_path(),
                                "HTTP/1.1 200 OK\r\nContent-Type: multipart/form-data; "
                                "boundary=B\r\nContent-Length: " +
                                    std::to_string(body.size() + 100) + "\r\n\r\n" + body);
  EXPECT_THAT(error_of([&] { (void)client()->pull("/f"); }),
              HasSubstr("ConnectionError: GET /v1/files?action=read&path=/f: "));
}

TEST_F(PebbleLimitsTest, MalformedMultipartAnswersAreProtocolErrors) {
  struct Case {
    std::string body;
    std::string error;
  };
  const std::string file = file_part_head("/f") + "hello";
  const std::vector<Case> cases = {
      {"", "ProtocolError: multipart body without boundary"},
      {"--B", "ProtocolError: truncated multipart delimiter line"},
      {"--Bxx", "ProtocolError: malformed multipart delimiter line"},
      {"--B\r\nContent-Disposition: form-data", "ProtocolError: truncated multipart headers"},
      {"--B\r\nno colon here\r\n\r\n", "ProtocolError: malformed multipart header: no colon here"},
      {"--B\r\n" + std::string(70 * 1024, 'h'),
       "ProtocolError: multipart part headers exceed 65536 bytes"},
      {file, "ProtocolError: truncated multipart part"},
      {file + "\r\n--B--\r\n", "ProtocolError: no \"response\" field in multipart body"},
      {"--B\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\nx" + response_part("/f"),
       "ProtocolError: multipart \"files\" part missing filename"},
      {file_part_head("/etc/shadow") + "x" + response_part("/f"),
       "ProtocolError: path not expected: \"/etc/shadow\""},
      {file + "\r\n" + file_part_head("/f") + "again" + response_part("/f"),
       "ProtocolError: single file request resulted in a multi-file response"},
      {"--B\r\nContent-Disposition: form-data; name=\"extra\"\r\n\r\nx" + response_part("/f"),
       "ProtocolError: unexpected name in content-disposition header: \"extra\""},
      {response_part("/f").substr(2), "ProtocolError: no file content in multipart response"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 80));
    ops_test::RawSocketServer raw(socket_path(),
                                  "HTTP/1.1 200 OK\r\nContent-Type: multipart/form-data; "
                                  "boundary=B\r\nContent-Length: " +
                                      std::to_string(c.body.size()) + "\r\n\r\n" + c.body);
    EXPECT_EQ(error_of([&] { (void)client()->pull("/f"); }), c.error);
  }
}

TEST_F(PebbleLimitsTest, OversizedResponsePartIsRefused) {
  ScriptedServer server(socket_path(), [&](int fd) {
    if (!send_all(fd, multipart_head())) return;
    if (!send_chunk(fd, "--B\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n[")) {
      return;
    }
    const std::string piece(64 * 1024, ' ');
    for (std::size_t sent = 0; sent < 32 * kMiB && send_chunk(fd, piece); sent += piece.size()) {
    }
  });
  EXPECT_EQ(error_of([&] { (void)client()->pull("/f"); }),
            "ProtocolError: pull /f: multipart \"response\" part exceeds the limit of 8 MiB");
}

// The incremental parser gives the same parts whatever the pieces it is fed,
// and holds no more than a piece plus a delimiter between feeds.
TEST(MultipartReader, PiecesOfAnySizeGiveTheSameParts) {
  std::string content;
  for (std::uint64_t i = 0; i < 5000; ++i) content += pattern_byte(i);
  const std::string body =
      "preamble\r\n" + file_part_head("/a") + content + response_part("/a") + "epilogue --B\r\n";
  const auto whole = ops::pebble::detail::parse_multipart(body, "B");
  ASSERT_EQ(whole.size(), 2u);
  EXPECT_EQ(whole[0].name, "files");
  EXPECT_EQ(whole[0].filename, "/a");
  EXPECT_EQ(whole[0].body, content);
  EXPECT_EQ(whole[1].name, "response");
  EXPECT_EQ(whole[1].body,
            R"({"type":"sync","status-code":200,"status":"OK","result":[{"path":"/a"}]})"
            "\n");
  for (std::size_t piece : {1u, 2u, 3u, 5u, 7u, 64u, 4099u}) {
    SCOPED_TRACE(piece);
    std::vector<ops::pebble::detail::MultipartPart> parts;
    std::size_t most_buffered = 0;
    bool in_file = false;
    ops::pebble::detail::MultipartReader reader(
        "B",
        {[&](const auto& head) {
           parts.push_back(head);
           in_file = head.name == "files";
         },
         [&](std::string_view data) { parts.back().body.append(data); }, [&] { in_file = false; }});
    for (std::size_t at = 0; at < body.size(); at += piece) {
      reader.feed(std::string_view(body).substr(at, piece));
      if (in_file) most_buffered = std::max(most_buffered, reader.buffered());
    }
    reader.finish();
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].body, whole[0].body);
    EXPECT_EQ(parts[1].body, whole[1].body);
    // Within the file part only what may start "\r\n--B" is held back.
    EXPECT_LE(most_buffered, 4u);
  }
}

// pebble-server sends a pull as Pebble does; content with delimiter
// look-alikes across the client's pieces comes back intact in a stream.
class PebbleServerPull : public ops_test::PebbleServerTest {};

TEST_F(PebbleServerPull, StreamedPullReturnsTheExactContent) {
  std::string content;
  for (std::uint64_t i = 0; i < 3 * kMiB + 17; ++i) content += pattern_byte(i);
  client_->push("/data/blob", std::string_view(content), {.make_dirs = true});
  PatternCheckBuf sink;
  std::ostream out(&sink);
  client_->pull("/data/blob", out);
  EXPECT_EQ(sink.count(), content.size());
  EXPECT_EQ(sink.mismatches(), 0u);
  EXPECT_EQ(client_->pull("/data/blob"), content);
  try {
    client_->pull("/data/none", out);
    FAIL() << "expected PathError";
  } catch (const pb::PathError& e) {
    EXPECT_EQ(e.kind(), "not-found");
  }
}

}  // namespace
