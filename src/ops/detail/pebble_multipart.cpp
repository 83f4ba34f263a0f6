// multipart/form-data encoding and decoding for Pebble's files API.
#include "ops/detail/pebble_multipart.hpp"

#include <algorithm>
#include <cctype>
#include <random>

#include "ops/pebble.hpp"

namespace ops::pebble::detail {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in a header like `form-data; name="x"`.
std::optional<std::string> header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = trim(header.substr(pos));
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(std::string(trim(rest.substr(0, eq)))) != key) continue;
    std::string_view value = trim(rest.substr(eq + 1));
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
    return std::string(trim(value.substr(0, end)));
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
  const std::string type = lower(std::string(trim(content_type.substr(0, content_type.find(';')))));
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

std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<MultipartPart> parts;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) throw ProtocolError("multipart body without boundary");
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") throw ProtocolError("malformed multipart delimiter line");
    pos += 2;
    MultipartPart part;
    for (;;) {  // headers
      const auto eol = body.find("\r\n", pos);
      if (eol == std::string_view::npos) throw ProtocolError("truncated multipart headers");
      const auto line = body.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.empty()) break;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) {
        throw ProtocolError("malformed multipart header: " + std::string(line));
      }
      part.headers[lower(std::string(trim(line.substr(0, colon))))] =
          std::string(trim(line.substr(colon + 1)));
    }
    const auto end = body.find("\r\n" + delimiter, pos);
    if (end == std::string_view::npos) throw ProtocolError("truncated multipart part");
    part.body = std::string(body.substr(pos, end - pos));
    if (auto it = part.headers.find("content-disposition"); it != part.headers.end()) {
      part.name = header_param(it->second, "name").value_or("");
      part.filename = header_param(it->second, "filename");
    }
    parts.push_back(std::move(part));
    pos = end + 2;
  }
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
