// The unpickler of Python ops' snapshots; see pickle.hpp for what it reads.
#include "ops/detail/pickle.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ops::detail::pickle {
namespace {

// Opcodes (CPython's Lib/pickle.py names).
enum Op : unsigned char {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kFloat = 'F',
  kInt = 'I',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kLong = 'L',
  kBinInt2 = 'M',
  kNone = 'N',
  kPersId = 'P',
  kBinPersId = 'Q',
  kReduce = 'R',
  kString = 'S',
  kBinString = 'T',
  kShortBinString = 'U',
  kUnicode = 'V',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kGet = 'g',
  kBinGet = 'h',
  kInst = 'i',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kObj = 'o',
  kPut = 'p',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kProto = 0x80,
  kNewObj = 0x81,
  kExt1 = 0x82,
  kExt2 = 0x83,
  kExt4 = 0x84,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kEmptySet = 0x8f,
  kAddItems = 0x90,
  kFrozenSet = 0x91,
  kNewObjEx = 0x92,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
  kNextBuffer = 0x97,
  kReadonlyBuffer = 0x98,
};

constexpr int kMaxDepth = 256;

// A Python value while unpickling. Containers are shared: the memo and the
// stack refer to the same list that APPENDS later fills.
struct Value;
using Ptr = std::shared_ptr<Value>;
struct Value {
  enum class Kind { none, boolean, integer, floating, str, bytes, list, tuple, dict, set, global };
  Kind kind = Kind::none;
  bool flag = false;       // boolean value; frozenset for a set; bytearray for bytes
  double number = 0;       // floating
  std::string raw;         // str and bytes contents; integer: little-endian two's
                           // complement; global: "module.name"
  std::vector<Ptr> items;  // list, tuple, set
  std::vector<std::pair<Ptr, Ptr>> entries;  // dict
};

Ptr make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

Ptr make_int(std::int64_t n) {
  auto v = make(Value::Kind::integer);
  for (int i = 0; i < 8; ++i)
    v->raw.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff));
  return v;
}

std::string hex_byte(unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02x", byte);
  return buffer;
}

const char* kind_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::none:
      return "None";
    case Value::Kind::boolean:
      return "bool";
    case Value::Kind::integer:
      return "int";
    case Value::Kind::floating:
      return "float";
    case Value::Kind::str:
      return "str";
    case Value::Kind::bytes:
      return v.flag ? "bytearray" : "bytes";
    case Value::Kind::list:
      return "list";
    case Value::Kind::tuple:
      return "tuple";
    case Value::Kind::dict:
      return "dict";
    case Value::Kind::set:
      return v.flag ? "frozenset" : "set";
    case Value::Kind::global:
      return "global";
  }
  return "?";
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

class Unpickler {
 public:
  explicit Unpickler(std::string_view data) : data_(data) {}
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // A container can hold itself (a list appended to itself through the
  // memo), a shared_ptr cycle: empty every container reachable from the memo
  // and the stack, holding each alive until all are emptied.
  ~Unpickler() {
    std::vector<Ptr> reachable;
    std::unordered_set<const Value*> seen;
    auto visit = [&](const Ptr& value) {
      if (value && seen.insert(value.get()).second) reachable.push_back(value);
    };
    for (const auto& [index, value] : memo_) visit(value);
    for (const Ptr& value : stack_) visit(value);
    for (std::size_t i = 0; i < reachable.size(); ++i) {
      const Ptr value = reachable[i];
      for (const Ptr& item : value->items) visit(item);
      for (const auto& [key, item] : value->entries) {
        visit(key);
        visit(item);
      }
    }
    for (const Ptr& value : reachable) {
      value->items.clear();
      value->entries.clear();
    }
  }

  Ptr run() {
    if (data_.size() < 2 || static_cast<unsigned char>(data_[0]) != kProto) {
      throw PickleError("not a pickle of protocol 2 to 5 (it does not start with PROTO)");
    }
    while (true) {
      op_offset_ = pos_;
      op_ = byte();
      if (op_ == kStop) break;
      step();
    }
    if (!marks_.empty()) throw error("STOP inside an unclosed MARK");
    if (stack_.size() != 1) {
      throw error("STOP with " + std::to_string(stack_.size()) +
                  " values on the stack (expected 1)");
    }
    if (pos_ != data_.size()) {
      throw PickleError(std::to_string(data_.size() - pos_) + " bytes after STOP at offset " +
                        std::to_string(op_offset_) + " (corrupt pickle)");
    }
    return stack_.front();
  }

 private:
  PickleError error(const std::string& what) const {
    return PickleError("opcode " + std::string(opcode_name(op_)) + " (" + hex_byte(op_) +
                       ") at offset " + std::to_string(op_offset_) + ": " + what);
  }

  PickleError refused(const std::string& why) const {
    return error("refused: " + why +
                 "; only plain values (None, bool, int, float, str, bytes, tuple, list, dict, "
                 "set, frozenset) can be migrated");
  }

  unsigned char byte() {
    if (pos_ >= data_.size()) {
      throw PickleError("truncated pickle: no STOP before the end (offset " + std::to_string(pos_) +
                        ")");
    }
    return static_cast<unsigned char>(data_[pos_++]);
  }

  std::string_view take(std::uint64_t n) {
    if (n > data_.size() - pos_) {
      throw error("truncated pickle: needs " + std::to_string(n) + " bytes, " +
                  std::to_string(data_.size() - pos_) + " left");
    }
    std::string_view out = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }

  std::uint64_t le(int n) {
    const std::string_view bytes = take(static_cast<std::uint64_t>(n));
    std::uint64_t out = 0;
    for (int i = n - 1; i >= 0; --i) out = (out << 8) | static_cast<unsigned char>(bytes[i]);
    return out;
  }

  std::string_view line() {
    const auto end = data_.find('\n', pos_);
    if (end == std::string_view::npos) throw error("truncated pickle: no end of line");
    std::string_view out = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }

  std::uint64_t decimal_line() {
    const std::string_view text = line();
    if (text.empty() || text.size() > 10) throw error("bad memo index '" + std::string(text) + "'");
    std::uint64_t n = 0;
    for (char c : text) {
      if (c < '0' || c > '9') throw error("bad memo index '" + std::string(text) + "'");
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
  }

  void push(Ptr v) { stack_.push_back(std::move(v)); }

  Ptr pop() {
    if (stack_.size() <= floor()) throw error("stack underflow (corrupt pickle)");
    Ptr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }

  Ptr& top() {
    if (stack_.size() <= floor()) throw error("stack underflow (corrupt pickle)");
    return stack_.back();
  }

  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }

  // The values pushed since the last MARK, which is removed.
  std::vector<Ptr> pop_mark() {
    if (marks_.empty()) throw error("no MARK to pop to (corrupt pickle)");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Ptr> items(std::make_move_iterator(stack_.begin() + static_cast<long>(mark)),
                           std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }

  Ptr container(Value::Kind kind, const char* what) {
    Ptr& target = top();
    if (target->kind != kind) {
      throw error(std::string("expects a ") + what + " below, found " + kind_name(*target) +
                  " (corrupt pickle)");
    }
    return target;
  }

  void memo_put(std::uint64_t index) { memo_[index] = top(); }

  void memo_get(std::uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) throw error("memo entry " + std::to_string(index) + " is not set");
    push(it->second);
  }

  void push_text(Value::Kind kind, std::string_view bytes, bool flag = false) {
    auto v = make(kind);
    v->raw = std::string(bytes);
    v->flag = flag;
    if (kind == Value::Kind::str && !valid_utf8(v->raw)) throw error("str is not valid UTF-8");
    push(std::move(v));
  }

  void push_tuple(std::vector<Ptr> items) {
    auto v = make(Value::Kind::tuple);
    v->items = std::move(items);
    push(std::move(v));
  }

  void set_items(const Ptr& dict, std::vector<Ptr>& pairs) {
    if (pairs.size() % 2 != 0) throw error("odd number of keys and values (corrupt pickle)");
    for (std::size_t i = 0; i < pairs.size(); i += 2) {
      // A later key replaces an earlier equal one, as in Python.
      bool replaced = false;
      if (pairs[i]->kind == Value::Kind::str) {
        for (auto& [key, value] : dict->entries) {
          if (key->kind == Value::Kind::str && key->raw == pairs[i]->raw) {
            value = pairs[i + 1];
            replaced = true;
            break;
          }
        }
      }
      if (!replaced) dict->entries.emplace_back(pairs[i], pairs[i + 1]);
    }
  }

  // GLOBAL/STACK_GLOBAL: only the builtins CPython's pickler calls for sets
  // and bytes under protocols 2 and 3 (and bytearray under 2 to 4).
  void push_global(const std::string& module, const std::string& name) {
    static const char* const kAllowed[] = {"set", "frozenset", "bytes", "bytearray"};
    bool allowed = module == "_codecs" && name == "encode";
    if (module == "builtins" || module == "__builtin__") {
      for (const char* allowed_name : kAllowed) allowed = allowed || name == allowed_name;
    }
    if (!allowed) {
      throw refused("'" + module + "." + name +
                    "' is a class or function (a class instance or a custom reduce)");
    }
    auto v = make(Value::Kind::global);
    v->raw = (module == "_codecs" ? "_codecs." : "builtins.") + name;
    push(std::move(v));
  }

  void reduce() {
    Ptr args = pop();
    Ptr callable = pop();
    if (callable->kind != Value::Kind::global) {
      throw refused(std::string("REDUCE of a ") + kind_name(*callable));
    }
    if (args->kind != Value::Kind::tuple) throw error("REDUCE arguments are not a tuple");
    const std::string& f = callable->raw;
    const auto& a = args->items;
    auto bad_args = [&] {
      return refused(f + " called with arguments CPython's pickler never writes");
    };
    if (f == "builtins.set" || f == "builtins.frozenset") {
      auto v = make(Value::Kind::set);
      v->flag = f == "builtins.frozenset";
      if (a.size() == 1) {
        if (a[0]->kind != Value::Kind::list) throw bad_args();
        v->items = a[0]->items;
      } else if (!a.empty()) {
        throw bad_args();
      }
      push(std::move(v));
    } else if (f == "builtins.bytes" || f == "builtins.bytearray") {
      auto v = make(Value::Kind::bytes);
      v->flag = f == "builtins.bytearray";
      if (a.size() == 1) {
        if (a[0]->kind != Value::Kind::bytes) throw bad_args();
        v->raw = a[0]->raw;
      } else if (!a.empty()) {
        throw bad_args();
      }
      push(std::move(v));
    } else {  // _codecs.encode(text, "latin1"): bytes under protocol 2
      if (a.size() != 2 || a[0]->kind != Value::Kind::str || a[1]->kind != Value::Kind::str ||
          a[1]->raw != "latin1") {
        throw bad_args();
      }
      auto v = make(Value::Kind::bytes);
      const std::string& text = a[0]->raw;
      for (std::size_t i = 0; i < text.size();) {  // UTF-8 code points below 256 -> one byte
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
          v->raw.push_back(static_cast<char>(c));
          ++i;
        } else if ((c & 0xfe) == 0xc2 && i + 1 < text.size()) {
          v->raw.push_back(static_cast<char>(((c & 0x03) << 6) |
                                             (static_cast<unsigned char>(text[i + 1]) & 0x3f)));
          i += 2;
        } else {
          throw bad_args();
        }
      }
      push(std::move(v));
    }
  }

  void step() {
    switch (op_) {
      case kProto: {
        const unsigned char version = byte();
        if (version < 2 || version > 5) {
          throw error("protocol " + std::to_string(version) + " (only 2 to 5 are read)");
        }
        return;
      }
      case kFrame: {
        const std::uint64_t size = le(8);
        if (size > data_.size() - pos_) throw error("frame longer than the pickle (truncated)");
        return;
      }
      case kMark:
        marks_.push_back(stack_.size());
        return;
      case kPop:
        if (!marks_.empty() && stack_.size() == marks_.back()) {
          marks_.pop_back();
        } else {
          pop();
        }
        return;
      case kPopMark:
        pop_mark();
        return;
      case kDup:
        push(top());
        return;
      case kNone:
        push(make(Value::Kind::none));
        return;
      case kNewTrue:
      case kNewFalse: {
        auto v = make(Value::Kind::boolean);
        v->flag = op_ == kNewTrue;
        push(std::move(v));
        return;
      }
      case kBinInt:
        push(make_int(static_cast<std::int32_t>(le(4))));
        return;
      case kBinInt1:
        push(make_int(static_cast<std::int64_t>(le(1))));
        return;
      case kBinInt2:
        push(make_int(static_cast<std::int64_t>(le(2))));
        return;
      case kLong1:
      case kLong4: {
        const std::uint64_t n = op_ == kLong1 ? le(1) : le(4);
        if (op_ == kLong4 && (n & 0x80000000u) != 0) throw error("negative length");
        auto v = make(Value::Kind::integer);
        v->raw = std::string(take(n));
        push(std::move(v));
        return;
      }
      case kBinFloat: {
        const std::string_view bytes = take(8);
        std::uint64_t bits = 0;
        for (char c : bytes) bits = (bits << 8) | static_cast<unsigned char>(c);  // big-endian
        auto v = make(Value::Kind::floating);
        std::memcpy(&v->number, &bits, sizeof bits);
        push(std::move(v));
        return;
      }
      case kShortBinUnicode:
        push_text(Value::Kind::str, take(le(1)));
        return;
      case kBinUnicode:
        push_text(Value::Kind::str, take(le(4)));
        return;
      case kBinUnicode8:
        push_text(Value::Kind::str, take(le(8)));
        return;
      case kShortBinBytes:
        push_text(Value::Kind::bytes, take(le(1)));
        return;
      case kBinBytes:
        push_text(Value::Kind::bytes, take(le(4)));
        return;
      case kBinBytes8:
        push_text(Value::Kind::bytes, take(le(8)));
        return;
      case kByteArray8:
        push_text(Value::Kind::bytes, take(le(8)), true);
        return;
      case kEmptyList:
        push(make(Value::Kind::list));
        return;
      case kEmptyDict:
        push(make(Value::Kind::dict));
        return;
      case kEmptyTuple:
        push(make(Value::Kind::tuple));
        return;
      case kEmptySet:
        push(make(Value::Kind::set));
        return;
      case kList: {
        auto v = make(Value::Kind::list);
        v->items = pop_mark();
        push(std::move(v));
        return;
      }
      case kTuple:
        push_tuple(pop_mark());
        return;
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const std::size_t n = static_cast<std::size_t>(op_ - kTuple1) + 1;
        std::vector<Ptr> items(n);
        for (std::size_t i = n; i-- > 0;) items[i] = pop();
        push_tuple(std::move(items));
        return;
      }
      case kDict: {
        std::vector<Ptr> pairs = pop_mark();
        auto v = make(Value::Kind::dict);
        set_items(v, pairs);
        push(std::move(v));
        return;
      }
      case kFrozenSet: {
        auto v = make(Value::Kind::set);
        v->flag = true;
        v->items = pop_mark();
        push(std::move(v));
        return;
      }
      case kAppend: {
        Ptr item = pop();
        container(Value::Kind::list, "list")->items.push_back(std::move(item));
        return;
      }
      case kAppends: {
        std::vector<Ptr> items = pop_mark();
        Ptr list = container(Value::Kind::list, "list");
        for (auto& item : items) list->items.push_back(std::move(item));
        return;
      }
      case kAddItems: {
        std::vector<Ptr> items = pop_mark();
        Ptr set = container(Value::Kind::set, "set");
        for (auto& item : items) set->items.push_back(std::move(item));
        return;
      }
      case kSetItem: {
        std::vector<Ptr> pair(2);
        pair[1] = pop();
        pair[0] = pop();
        set_items(container(Value::Kind::dict, "dict"), pair);
        return;
      }
      case kSetItems: {
        std::vector<Ptr> pairs = pop_mark();
        set_items(container(Value::Kind::dict, "dict"), pairs);
        return;
      }
      case kPut:
        memo_put(decimal_line());
        return;
      case kBinPut:
        memo_put(le(1));
        return;
      case kLongBinPut:
        memo_put(le(4));
        return;
      case kMemoize:
        memo_put(memo_.size());
        return;
      case kGet:
        memo_get(decimal_line());
        return;
      case kBinGet:
        memo_get(le(1));
        return;
      case kLongBinGet:
        memo_get(le(4));
        return;
      case kGlobal: {
        std::string module(line());
        std::string name(line());
        push_global(module, name);
        return;
      }
      case kStackGlobal: {
        Ptr name = pop();
        Ptr module = pop();
        if (module->kind != Value::Kind::str || name->kind != Value::Kind::str) {
          throw error("STACK_GLOBAL needs two str (corrupt pickle)");
        }
        push_global(module->raw, name->raw);
        return;
      }
      case kReduce:
        reduce();
        return;
      case kBuild:
      case kNewObj:
      case kNewObjEx:
      case kInst:
      case kObj:
        throw refused("it builds a class instance");
      case kExt1:
      case kExt2:
      case kExt4:
        throw refused("it names a class through the copyreg extension registry");
      case kPersId:
      case kBinPersId:
        throw refused("it refers to a persistent object");
      case kNextBuffer:
      case kReadonlyBuffer:
        throw refused("it refers to an out-of-band buffer");
      case kFloat:
      case kInt:
      case kLong:
      case kString:
      case kBinString:
      case kShortBinString:
      case kUnicode:
        throw refused("a protocol 0/1 opcode, which Python ops never writes");
      default:
        throw error("unknown opcode (corrupt pickle)");
    }
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::size_t op_offset_ = 0;
  unsigned char op_ = 0;
  std::vector<Ptr> stack_;
  std::vector<std::size_t> marks_;
  std::map<std::uint64_t, Ptr> memo_;
};

// ---- to JSON ---------------------------------------------------------------

std::string describe(const std::string& where) { return "the value" + where; }

nlohmann::json integer_json(const std::string& raw, const std::string& where) {
  std::size_t n = raw.size();
  auto at = [&](std::size_t i) { return static_cast<unsigned char>(raw[i]); };
  if (n == 0) return 0;
  const bool negative = (at(n - 1) & 0x80) != 0;
  // Strip bytes that only repeat the sign.
  while (n > 1 && ((at(n - 1) == 0x00 && (at(n - 2) & 0x80) == 0) ||
                   (at(n - 1) == 0xff && (at(n - 2) & 0x80) != 0))) {
    --n;
  }
  if (n <= 8) {
    std::uint64_t bits = negative ? ~std::uint64_t{0} : 0;
    for (std::size_t i = 0; i < n; ++i) {
      bits &= ~(std::uint64_t{0xff} << (8 * i));
      bits |= std::uint64_t{at(i)} << (8 * i);
    }
    return static_cast<std::int64_t>(bits);
  }
  if (n == 9 && at(8) == 0x00) {  // positive, 2^63 <= value < 2^64
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < 8; ++i) bits |= std::uint64_t{at(i)} << (8 * i);
    return bits;
  }
  throw PickleError(describe(where) + " is an integer wider than 64 bits (" +
                    std::to_string(n * 8) +
                    "-bit two's complement), which JSON numbers cannot hold");
}

nlohmann::json to_json(const Value& v, const std::string& where, int depth) {
  if (depth > kMaxDepth) {
    throw PickleError(describe(where) + " is nested deeper than " + std::to_string(kMaxDepth) +
                      " levels (or contains itself)");
  }
  switch (v.kind) {
    case Value::Kind::none:
      return nullptr;
    case Value::Kind::boolean:
      return v.flag;
    case Value::Kind::integer:
      return integer_json(v.raw, where);
    case Value::Kind::floating:
      if (!std::isfinite(v.number)) {
        throw PickleError(describe(where) + " is a float that JSON cannot hold (NaN or infinity)");
      }
      return v.number;
    case Value::Kind::str:
      return v.raw;
    case Value::Kind::bytes:
      if (!valid_utf8(v.raw)) {
        throw PickleError(describe(where) + " is " + kind_name(v) +
                          " that are not valid UTF-8, which a JSON string cannot hold");
      }
      return v.raw;
    case Value::Kind::list:
    case Value::Kind::tuple:
    case Value::Kind::set: {
      nlohmann::json out = nlohmann::json::array();
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        out.push_back(to_json(*v.items[i], where + "[" + std::to_string(i) + "]", depth + 1));
      }
      return out;
    }
    case Value::Kind::dict: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, value] : v.entries) {
        if (key->kind != Value::Kind::str) {
          throw PickleError(describe(where) + " has a key of type " + kind_name(*key) +
                            " (JSON objects have only str keys)");
        }
        out[key->raw] = to_json(*value, where + "['" + key->raw + "']", depth + 1);
      }
      return out;
    }
    case Value::Kind::global:
      throw PickleError(describe(where) + " is the callable " + v.raw + ", not a value");
  }
  return nullptr;
}

}  // namespace

nlohmann::json unpickle(std::string_view data) {
  Unpickler unpickler(data);
  Ptr value = unpickler.run();
  return to_json(*value, "", 0);
}

std::string_view opcode_name(unsigned char byte) noexcept {
  switch (byte) {
    case kMark:
      return "MARK";
    case kStop:
      return "STOP";
    case kPop:
      return "POP";
    case kPopMark:
      return "POP_MARK";
    case kDup:
      return "DUP";
    case kFloat:
      return "FLOAT";
    case kInt:
      return "INT";
    case kBinInt:
      return "BININT";
    case kBinInt1:
      return "BININT1";
    case kLong:
      return "LONG";
    case kBinInt2:
      return "BININT2";
    case kNone:
      return "NONE";
    case kPersId:
      return "PERSID";
    case kBinPersId:
      return "BINPERSID";
    case kReduce:
      return "REDUCE";
    case kString:
      return "STRING";
    case kBinString:
      return "BINSTRING";
    case kShortBinString:
      return "SHORT_BINSTRING";
    case kUnicode:
      return "UNICODE";
    case kBinUnicode:
      return "BINUNICODE";
    case kAppend:
      return "APPEND";
    case kBuild:
      return "BUILD";
    case kGlobal:
      return "GLOBAL";
    case kDict:
      return "DICT";
    case kEmptyDict:
      return "EMPTY_DICT";
    case kAppends:
      return "APPENDS";
    case kGet:
      return "GET";
    case kBinGet:
      return "BINGET";
    case kInst:
      return "INST";
    case kLongBinGet:
      return "LONG_BINGET";
    case kList:
      return "LIST";
    case kEmptyList:
      return "EMPTY_LIST";
    case kObj:
      return "OBJ";
    case kPut:
      return "PUT";
    case kBinPut:
      return "BINPUT";
    case kLongBinPut:
      return "LONG_BINPUT";
    case kSetItem:
      return "SETITEM";
    case kTuple:
      return "TUPLE";
    case kEmptyTuple:
      return "EMPTY_TUPLE";
    case kSetItems:
      return "SETITEMS";
    case kBinFloat:
      return "BINFLOAT";
    case kBinBytes:
      return "BINBYTES";
    case kShortBinBytes:
      return "SHORT_BINBYTES";
    case kProto:
      return "PROTO";
    case kNewObj:
      return "NEWOBJ";
    case kExt1:
      return "EXT1";
    case kExt2:
      return "EXT2";
    case kExt4:
      return "EXT4";
    case kTuple1:
      return "TUPLE1";
    case kTuple2:
      return "TUPLE2";
    case kTuple3:
      return "TUPLE3";
    case kNewTrue:
      return "NEWTRUE";
    case kNewFalse:
      return "NEWFALSE";
    case kLong1:
      return "LONG1";
    case kLong4:
      return "LONG4";
    case kShortBinUnicode:
      return "SHORT_BINUNICODE";
    case kBinUnicode8:
      return "BINUNICODE8";
    case kBinBytes8:
      return "BINBYTES8";
    case kEmptySet:
      return "EMPTY_SET";
    case kAddItems:
      return "ADDITEMS";
    case kFrozenSet:
      return "FROZENSET";
    case kNewObjEx:
      return "NEWOBJ_EX";
    case kStackGlobal:
      return "STACK_GLOBAL";
    case kMemoize:
      return "MEMOIZE";
    case kFrame:
      return "FRAME";
    case kByteArray8:
      return "BYTEARRAY8";
    case kNextBuffer:
      return "NEXT_BUFFER";
    case kReadonlyBuffer:
      return "READONLY_BUFFER";
    default:
      return "unknown";
  }
}

}  // namespace ops::detail::pickle
