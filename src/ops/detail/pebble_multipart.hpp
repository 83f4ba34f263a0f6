// multipart/form-data as Pebble's /v1/files uses it: a JSON part named
// "request" (or "response") and one part named "files" per file, whose
// filename is the file's path. Shared by the client and the test server.
#pragma once

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

// Splits a multipart body; throws ProtocolError when it is malformed.
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
