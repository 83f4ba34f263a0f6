// multipart/form-data as Pebble's /v1/files uses it: a JSON part named
// "request" (or "response") and one part named "files" per file, whose
// filename is the file's path. Shared by the client and the test server.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ops::pebble::detail {

struct MultipartPart {
  std::map<std::string, std::string> headers;  // names in lower case
  std::string name;                            // from Content-Disposition
  std::optional<std::string> filename;         // from Content-Disposition
  std::string body;
};

// The boundary parameter of a multipart Content-Type; throws ProtocolError
// when the type is not multipart or has no boundary.
std::string multipart_boundary(std::string_view content_type);

// The most bytes of one part's header lines a reader accepts.
inline constexpr std::size_t kMaxMultipartHeaderSize = 64 * 1024;

// What a MultipartReader reports, in order: on_part with a part's headers
// (its body empty), on_data with pieces of its body as they arrive, on_end
// when the body is complete. Each may throw to stop the reading.
struct MultipartHandler {
  std::function<void(const MultipartPart&)> on_part;
  std::function<void(std::string_view)> on_data;
  std::function<void()> on_end;
};

// An incremental multipart parser: feed() the body in pieces of any size as
// they arrive, then finish(). It holds at most the bytes of one feed() plus a
// delimiter's length (and one part's header lines), never a whole part.
// Malformed input throws ProtocolError.
class MultipartReader {
 public:
  MultipartReader(std::string_view boundary, MultipartHandler handler);
  void feed(std::string_view bytes);
  // The body has ended: throws ProtocolError unless the closing delimiter
  // was seen.
  void finish() const;
  // Whether the closing delimiter was seen.
  bool done() const noexcept { return state_ == State::kDone; }
  // The bytes held between feed() calls (tests check it stays bounded).
  std::size_t buffered() const noexcept { return buffer_.size(); }

 private:
  enum class State { kPreamble, kDelimiterEnd, kHeaders, kBody, kDone };
  // One step of parsing buffer_ from pos_; false when more input is needed.
  bool step();

  std::string delimiter_;       // "--" boundary
  std::string body_delimiter_;  // CRLF "--" boundary: ends a part's body
  MultipartHandler handler_;
  State state_ = State::kPreamble;
  std::string buffer_;
  std::size_t pos_ = 0;  // parsed up to here in buffer_
  MultipartPart part_;
  std::size_t header_bytes_ = 0;
};

// Splits a whole multipart body; throws ProtocolError when it is malformed.
std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary);

// Builds a multipart/form-data body.
class MultipartWriter {
 public:
  MultipartWriter();  // picks a random boundary
  void add(const std::string& name, const std::optional<std::string>& filename,
           const std::string& content_type, std::string_view data);
  // The Content-Type header value, with the boundary.
  std::string content_type() const;
  // The complete body; call once, after the last add().
  std::string finish();

 private:
  std::string boundary_;
  std::string body_;
};

}  // namespace ops::pebble::detail
