// A C++ shared library that throws, and a program that catches: what a lean
// link must refuse (the exception would cross from the library's
// libstdc++.so into the program's static copy). The install test expects
// building `lean-with-shared-cxx` to fail.
#include <stdexcept>
#include <string>

#ifdef CONSUMER_GREETING_LIBRARY
std::string consumer_greeting(const std::string& name) {
  if (name.empty()) throw std::invalid_argument("consumer_greeting: no name");
  return "hello " + name;
}
#else
#include <iostream>
std::string consumer_greeting(const std::string& name);
int main(int argc, char** argv) {
  try {
    std::cout << consumer_greeting(argc > 1 ? argv[1] : "") << "\n";
  } catch (const std::invalid_argument& e) {
    std::cout << e.what() << "\n";
  }
}
#endif
