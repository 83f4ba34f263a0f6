// Parsing and ordering of Juju version strings.
#include "ops/juju_version.hpp"

#include <charconv>
#include <tuple>

#include "ops/errors.hpp"

namespace ops {
namespace {

// A small cursor over the version text; every reader fails on bad input.
class VersionScanner {
 public:
  explicit VersionScanner(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool consume(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  // 1 to 9 decimal digits.
  bool number(int& out) {
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    std::size_t len = pos_ - start;
    if (len == 0 || len > 9) return false;
    std::from_chars(text_.data() + start, text_.data() + pos_, out);
    return true;
  }
  // One or more lowercase letters.
  bool tag(std::string& out) {
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= 'a' && text_[pos_] <= 'z') ++pos_;
    if (pos_ == start) return false;
    out.assign(text_.substr(start, pos_ - start));
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

JujuVersion::JujuVersion(std::string_view version) {
  VersionScanner scan(version);
  bool ok = scan.number(major_) && scan.consume('.') && scan.number(minor_);
  if (ok && !scan.done()) {
    if (scan.consume('-')) {
      ok = scan.tag(tag_) && scan.number(patch_);
    } else if (scan.consume('.')) {
      ok = scan.number(patch_);
    } else {
      ok = false;
    }
  }
  if (ok && !scan.done()) ok = scan.consume('.') && scan.number(build_);
  if (!ok || !scan.done()) {
    throw JujuContextError("\"" + std::string(version) + "\" is not a valid Juju version string");
  }
}

std::string JujuVersion::to_string() const {
  std::string out = std::to_string(major_) + "." + std::to_string(minor_);
  out += tag_.empty() ? "." + std::to_string(patch_) : "-" + tag_ + std::to_string(patch_);
  if (build_ > 0) out += "." + std::to_string(build_);
  return out;
}

std::strong_ordering JujuVersion::operator<=>(const JujuVersion& other) const {
  if (auto c = std::tie(major_, minor_) <=> std::tie(other.major_, other.minor_); c != 0) return c;
  if (tag_ != other.tag_) {
    if (tag_.empty()) return std::strong_ordering::greater;
    if (other.tag_.empty()) return std::strong_ordering::less;
    return tag_ < other.tag_ ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  return std::tie(patch_, build_) <=> std::tie(other.patch_, other.build_);
}

bool JujuVersion::operator==(const JujuVersion& other) const {
  return (*this <=> other) == std::strong_ordering::equal;
}

bool JujuVersion::at_least(int major, int minor, int patch) const {
  return std::tie(major_, minor_, patch_) >= std::tie(major, minor, patch);
}

bool JujuVersion::has_app_data() const { return at_least(2, 7, 0); }
bool JujuVersion::is_dispatch_aware() const { return at_least(2, 8, 0); }
bool JujuVersion::has_controller_storage() const { return at_least(2, 8, 0); }
bool JujuVersion::has_secrets() const { return at_least(3, 0, 3); }
bool JujuVersion::supports_open_port_on_k8s() const { return at_least(3, 0, 3); }
bool JujuVersion::supports_exec_service_context() const {
  if (!at_least(3, 1, 6)) return false;
  // 3.2.0 shipped before Pebble gained the option; later 3.2 releases have it.
  return !(major_ == 3 && minor_ == 2 && patch_ == 0);
}
bool JujuVersion::supports_pebble_log_forwarding() const { return at_least(3, 4, 0); }

std::ostream& operator<<(std::ostream& out, const JujuVersion& version) {
  return out << version.to_string();
}

}  // namespace ops
