// tpp::error: the one exception type tpp throws for bad input or an unusable environment.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace tpp {

// Thrown for invalid descriptors, arguments and unsupported requests. The message names the
// field, the value given and what is allowed, e.g. "unary: in.ld = 5 is less than cols = 7".
class error : public std::invalid_argument {
 public:
  explicit error(const std::string& what) : std::invalid_argument(what) {}
};

namespace detail {

// Builds a message from streamable parts and throws tpp::error.
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw error(os.str());
}

}  // namespace detail
}  // namespace tpp
