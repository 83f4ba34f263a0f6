// multipart/form-data encoding and decoding for Pebble's files API.
#include "ops/detail/pebble_multipart.hpp"

#include <algorithm>
#include <cctype>
#include <random>
#include <utility>

#include "ops/detail/strings.hpp"
#include "ops/pebble.hpp"

namespace ops::pebble::detail {
namespace {

// Without the optional whitespace (spaces and tabs) HTTP allows around a
// header value.
std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in a header like `form-data; name="x"`.
std::optional<std::string> header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = trim_ows(header.substr(pos));
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (ops::detail::ascii_lower(std::string(trim_ows(rest.substr(0, eq)))) != key) continue;
    std::string_view value = trim_ows(rest.substr(eq + 1));
    std::string out;
    if (!value.empty() && value.front() == '"') {
      for (std::size_t i = 1; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
          out += value[++i];
        } else if (value[i] == '"') {
          return out;
        } else {
          out += value[i];
        }
      }
      throw ProtocolError("unterminated quoted parameter in header: " + std::string(header));
    }
    const auto end = value.find(';');
    return std::string(trim_ows(value.substr(0, end)));
  }
  return std::nullopt;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  const std::string type = ops::detail::ascii_lower(
      std::string(trim_ows(content_type.substr(0, content_type.find(';')))));
  if (type.rfind("multipart/", 0) != 0) {
    throw ProtocolError("expected a multipart response, got Content-Type \"" +
                        std::string(content_type) + "\"");
  }
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty()) {
    throw ProtocolError("multipart Content-Type without boundary: " + std::string(content_type));
  }
  return *boundary;
}

MultipartReader::MultipartReader(std::string_view boundary, MultipartHandler handler)
    : delimiter_("--" + std::string(boundary)),
      body_delimiter_("\r\n" + delimiter_),
      handler_(std::move(handler)) {}

void MultipartReader::feed(std::string_view bytes) {
  if (state_ == State::kDone) return;  // the epilogue is ignored
  buffer_.append(bytes);
  while (step()) {
  }
  buffer_.erase(0, pos_);
  pos_ = 0;
}

bool MultipartReader::step() {
  const std::string_view rest = std::string_view(buffer_).substr(pos_);
  switch (state_) {
    case State::kPreamble: {
      const auto at = rest.find(delimiter_);
      if (at == std::string_view::npos) {
        // Keep what could be the start of a delimiter split across feeds.
        if (rest.size() >= delimiter_.size()) pos_ += rest.size() - (delimiter_.size() - 1);
        return false;
      }
      pos_ += at + delimiter_.size();
      state_ = State::kDelimiterEnd;
      return true;
    }
    case State::kDelimiterEnd: {
      if (rest.size() < 2) return false;
      if (rest.substr(0, 2) == "--") {  // the closing delimiter
        state_ = State::kDone;
        pos_ = buffer_.size();
        return false;
      }
      if (rest.substr(0, 2) != "\r\n") throw ProtocolError("malformed multipart delimiter line");
      pos_ += 2;
      part_ = MultipartPart{};
      header_bytes_ = 0;
      state_ = State::kHeaders;
      return true;
    }
    case State::kHeaders: {
      const auto eol = rest.find("\r\n");
      if (eol == std::string_view::npos || header_bytes_ + eol + 2 > kMaxMultipartHeaderSize) {
        if (header_bytes_ + rest.size() > kMaxMultipartHeaderSize) {
          throw ProtocolError("multipart part headers exceed " +
                              std::to_string(kMaxMultipartHeaderSize) + " bytes");
        }
        return false;
      }
      const auto line = rest.substr(0, eol);
      pos_ += eol + 2;
      header_bytes_ += eol + 2;
      if (line.empty()) {
        if (auto it = part_.headers.find("content-disposition"); it != part_.headers.end()) {
          part_.name = header_param(it->second, "name").value_or("");
          part_.filename = header_param(it->second, "filename");
        }
        if (handler_.on_part) handler_.on_part(part_);
        state_ = State::kBody;
        return true;
      }
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) {
        throw ProtocolError("malformed multipart header: " + std::string(line));
      }
      part_.headers[ops::detail::ascii_lower(std::string(trim_ows(line.substr(0, colon))))] =
          std::string(trim_ows(line.substr(colon + 1)));
      return true;
    }
    case State::kBody: {
      const auto end = rest.find(body_delimiter_);
      if (end == std::string_view::npos) {
        // Everything but what could be the start of the delimiter is data.
        if (rest.size() >= body_delimiter_.size()) {
          const auto n = rest.size() - (body_delimiter_.size() - 1);
          if (handler_.on_data) handler_.on_data(rest.substr(0, n));
          pos_ += n;
        }
        return false;
      }
      if (end > 0 && handler_.on_data) handler_.on_data(rest.substr(0, end));
      if (handler_.on_end) handler_.on_end();
      pos_ += end + body_delimiter_.size();
      state_ = State::kDelimiterEnd;
      return true;
    }
    case State::kDone:
      pos_ = buffer_.size();
      return false;
  }
  return false;
}

void MultipartReader::finish() const {
  switch (state_) {
    case State::kPreamble:
      throw ProtocolError("multipart body without boundary");
    case State::kDelimiterEnd:
      throw ProtocolError("truncated multipart delimiter line");
    case State::kHeaders:
      throw ProtocolError("truncated multipart headers");
    case State::kBody:
      throw ProtocolError("truncated multipart part");
    case State::kDone:
      return;
  }
}

std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary) {
  std::vector<MultipartPart> parts;
  MultipartReader reader(boundary, {[&](const MultipartPart& head) { parts.push_back(head); },
                                    [&](std::string_view data) { parts.back().body.append(data); },
                                    {}});
  reader.feed(body);
  reader.finish();
  return parts;
}

MultipartWriter::MultipartWriter() {
  static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device device;
  std::mt19937_64 rng(device());
  boundary_ = "ops-cpp-";
  for (int i = 0; i < 32; ++i) boundary_ += kAlphabet[rng() % (sizeof kAlphabet - 1)];
}

void MultipartWriter::add(const std::string& name, const std::optional<std::string>& filename,
                          const std::string& content_type, std::string_view data) {
  body_ += "--" + boundary_ + "\r\n";
  body_ += "Content-Type: " + content_type + "\r\n";
  body_ += "Content-Disposition: form-data; name=" + quote(name);
  if (filename) body_ += "; filename=" + quote(*filename);
  body_ += "\r\n\r\n";
  body_.append(data);
  body_ += "\r\n";
}

std::string MultipartWriter::content_type() const {
  return "multipart/form-data; boundary=\"" + boundary_ + "\"";
}

std::string MultipartWriter::finish() {
  body_ += "--" + boundary_ + "--\r\n";
  return std::move(body_);
}

}  // namespace ops::pebble::detail
