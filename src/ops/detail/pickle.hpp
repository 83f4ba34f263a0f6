// A small unpickler for the values Python ops stores in its state file
// (private to the storage).
//
// Python ops pickles snapshots (StoredState data, event snapshots, the
// framework's event counter) with pickle.dumps at the interpreter's default
// protocol: 3 before Python 3.8, 4 up to 3.13, 5 from 3.14. Ops validates
// every snapshot with marshal.dumps first, so only plain values can occur:
// None, bool, int, float, str, bytes, bytearray, tuple, list, dict, set and
// frozenset. unpickle() reads exactly those, with the memo and framing
// opcodes they need, and converts them to JSON:
//   None -> null; bool -> true/false; int -> integer when it fits in 64 bits
//   (signed, or unsigned when positive), refused otherwise; float -> number
//   (NaN and infinities refused); str -> string; bytes and bytearray -> a
//   string of the same bytes when they are valid UTF-8, refused otherwise;
//   list, tuple, set, frozenset -> array (in the order they were pickled);
//   dict -> object (only str keys; any other key is refused).
// Protocols 2 and 3 have no opcode for sets or bytes (2): CPython pickles
// them as a call of the builtin (set, frozenset, bytes, bytearray, or
// _codecs.encode(text, "latin1")), so GLOBAL/STACK_GLOBAL naming exactly one
// of those builtins followed by REDUCE with the arguments CPython writes is
// accepted. Every other global, REDUCE, BUILD, NEWOBJ, INST/OBJ, extension,
// persistent id or out-of-band buffer (a class instance or a custom reduce)
// is refused, naming the opcode and its offset. No Python is needed.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ops::detail::pickle {

// A pickle that is not one of the plain values above, or is corrupt.
class PickleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads one pickle (protocol 2 to 5; it must start with PROTO and end with
// STOP) and returns its value as JSON; throws PickleError saying what is
// wrong, where.
nlohmann::json unpickle(std::string_view data);

// The name of a pickle opcode ("BUILD"), or "unknown" when byte is none.
std::string_view opcode_name(unsigned char byte) noexcept;

}  // namespace ops::detail::pickle
