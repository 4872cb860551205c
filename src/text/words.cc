// words.cc: word split (see words.h), one pass over the code points of each non-space run.
#include "text/words.h"

#include "uni/chars.h"
#include "uni/utf8.h"

namespace lm::text {
namespace {

using uni::is_alpha;
using uni::is_punct;
using uni::is_space;
using uni::utf8_decode;

// Emits the words of one run of non-space, non-CJK characters.
void flush_run(std::string_view text, size_t begin, size_t end, std::vector<Word>* out) {
  std::string_view run = text.substr(begin, end - begin);
  size_t pos = 0;
  uint32_t lead = 0;
  // Leading punctuation: one symbol word ("(", "...", "--").
  while (pos < run.size()) {
    size_t start = pos;
    char32_t cp = utf8_decode(run, &pos);
    if (!is_punct(cp)) {
      pos = start;
      break;
    }
    ++lead;
  }
  if (lead) out->push_back({run.substr(0, pos), lead, false, true});
  if (pos >= run.size()) return;
  size_t core_start = pos, core_end = pos, trail_start = pos;
  uint32_t len = 0, len_at_end = 0;
  bool alpha = false;
  while (pos < run.size()) {
    char32_t cp = utf8_decode(run, &pos);
    ++len;
    if (is_alpha(cp)) alpha = true;
    if (!is_punct(cp)) {
      core_end = pos;
      len_at_end = len;
    }
  }
  out->push_back({run.substr(core_start, core_end - core_start), len_at_end, alpha, false});
  trail_start = core_end;
  if (trail_start < run.size()) {
    std::string_view trail = run.substr(trail_start);
    out->push_back({trail, len - len_at_end, false, true});
  }
}

}  // namespace

void split_words(std::string_view text, std::vector<Word>* out) {
  size_t pos = 0, run_start = std::string_view::npos;
  while (pos < text.size()) {
    size_t start = pos;
    char32_t cp = utf8_decode(text, &pos);
    bool space = is_space(cp);
    bool cjk = !space && cp >= 0x0E00 && uni::is_written_without_spaces(cp);
    if (space || cjk) {
      if (run_start != std::string_view::npos) flush_run(text, run_start, start, out);
      run_start = std::string_view::npos;
      if (cjk) out->push_back({text.substr(start, pos - start), 1, is_alpha(cp), false});
    } else if (run_start == std::string_view::npos) {
      run_start = start;
    }
  }
  if (run_start != std::string_view::npos) flush_run(text, run_start, text.size(), out);
}

}  // namespace lm::text
