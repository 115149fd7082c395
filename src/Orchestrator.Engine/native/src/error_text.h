#pragma once
// libtorch's messages carry a C++ backtrace after their first line; users see only that first line.
#include <string>

namespace ote {

inline std::string first_line(const char* what) {
  std::string s(what);
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace ote
