// strings.h: small string helpers shared by the libraries and the CLI.
#pragma once

#include <string>
#include <vector>

namespace lm {

// "a,b,,c" -> {"a", "b", "c"}: the comma-separated pieces, empty ones dropped (flag lists such
// as --tasks, --langs, --data).
inline std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string::npos) c = s.size();
    if (c > start) out.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

}  // namespace lm
