// text_test.cc: the text module: word split, and clean's normalisation (the ASCII fast path and
// the Unicode path agree).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "text/normalize.h"
#include "text/words.h"
#include "uni/utf8.h"

namespace lm::text {
namespace {

std::vector<std::string> words_of(std::string_view s) {
  std::vector<Word> w;
  split_words(s, &w);
  std::vector<std::string> out;
  for (const auto& x : w) out.emplace_back(x.text);
  return out;
}

TEST(Words, SplitsPunctuationAndCjk) {
  EXPECT_EQ(words_of("Hello, world!"), (std::vector<std::string>{"Hello", ",", "world", "!"}));
  EXPECT_EQ(words_of("  don't  (stop)\n"), (std::vector<std::string>{"don't", "(", "stop", ")"}));
  EXPECT_EQ(words_of("中文abc 日本"), (std::vector<std::string>{"中", "文", "abc", "日", "本"}));
  // Korean puts spaces between words: a Hangul word is not split into its syllables (the old
  // character test counted each syllable as a word); Thai, written without spaces, is.
  EXPECT_EQ(words_of("한국어 문장."), (std::vector<std::string>{"한국어", "문장", "."}));
  EXPECT_EQ(words_of("กข"), (std::vector<std::string>{"ก", "ข"}));
  std::vector<Word> w;
  split_words("café ... 42?!", &w);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].length, 4u);
  EXPECT_TRUE(w[0].alpha);
  EXPECT_TRUE(w[1].symbol);
  EXPECT_EQ(w[1].text, "...");
  EXPECT_FALSE(w[2].alpha);
  EXPECT_FALSE(w[2].symbol);
  EXPECT_EQ(w[3].text, "?!");
  EXPECT_EQ(w[3].length, 2u);
}

std::string norm(std::string_view s, NormalizeOptions o = {}) {
  return CleanNormalizer(o).normalize(s);
}

TEST(Normalize, AsciiFastPath) {
  EXPECT_EQ(norm("  Hello\t\t world  \r\n\n\n\nNext\x01 line \n"), "Hello world\n\nNext line");
  NormalizeOptions lower;
  lower.lowercase = true;
  EXPECT_EQ(norm("MiXeD Case", lower), "mixed case");
}

// normalize_in_place (which skips text already normal without copying) gives normalize()'s
// result on random mixes of the characters the pass treats specially, ASCII or not.
TEST(Normalize, InPlaceEqualsNormalize) {
  const std::vector<std::string> pieces = {
      "a",      "B",      "word",   " ",      "  ",     "\n",     "\n\n",   "\n\n\n",
      "\t",     "\r\n",   "\r",     "\x01",   "\x7f",   ".",      "\u00e9", "\u4e2d",
      "\u3002", "\u2026", "\u2022", "\u00a0", "\u3000", "\u200b", "\u00ad", "\u201c",
      "\u2014", "\u2212", "\u00ab", "\ufeff", "\u0085", "\uff46", "\ufb01", "e\u0301",
      "\u1680", "\u2028", "\u202f", "\u2060", "\u2032", "\u00c9"};
  for (int lower = 0; lower < 2; ++lower) {
    NormalizeOptions o;
    o.lowercase = lower == 1;
    const CleanNormalizer n(o);
    uint64_t state = 12345;
    int unchanged = 0;
    for (int iter = 0; iter < 20000; ++iter) {
      std::string s;
      const int len = static_cast<int>(state % 7);
      for (int k = 0; k < len; ++k) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        s += pieces[(state >> 33) % pieces.size()];
      }
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::string want = n.normalize(s);
      std::string got = s;
      const bool changed = n.normalize_in_place(&got);
      ASSERT_EQ(got, want) << "input: " << s;
      EXPECT_EQ(changed, want != s) << "input: " << s;
      unchanged += !changed;
      if (uni::is_ascii(s)) {
        EXPECT_EQ(want, code_point_pass(s, o)) << s;  // the ASCII fast pass == the generic one
        if (byte_pass_is_identity(s, o)) {
          EXPECT_EQ(want, s) << s;
        }
      }
    }
    EXPECT_GT(unchanged, 100);  // the fast path was taken
  }
}

// Terminal escapes go whole with remove_ansi_escapes (as the zh fortunes' colour codes); with
// remove_controls alone only the ESC goes and "[32m" stays in the text.
TEST(Normalize, AnsiEscapesRemovedWhole) {
  const std::string zh = "\x1b[32m\u300a\u611f\u9047\u300b\x1b[m\n\x1b[33m\u4f5c\u8005\x1b[m";
  EXPECT_EQ(norm(zh), "[32m\u300a\u611f\u9047\u300b[m\n[33m\u4f5c\u8005[m");
  NormalizeOptions o;
  o.remove_ansi_escapes = true;
  EXPECT_EQ(norm(zh, o), "\u300a\u611f\u9047\u300b\n\u4f5c\u8005");
  EXPECT_EQ(norm("bold \x1b[1;31;40mred\x1b[0m, \x1b[2Jcleared \x1bMup \x1b", o),
            "bold red, cleared up");
  EXPECT_EQ(strip_ansi_escapes("a\x1b[?25lb\x1b[1 qc\x1b[12"), "abc");  // private, intermediate,
                                                                        // unterminated
  const CleanNormalizer n(o);
  std::string in_place = zh;
  EXPECT_TRUE(n.normalize_in_place(&in_place));
  EXPECT_EQ(in_place, n.normalize(zh));
}

TEST(Normalize, UnicodePath) {
  EXPECT_EQ(norm("ｆｕｌｌ ﬁne"), "full fine");  // NFKC
  EXPECT_EQ(norm("\u201cquoted\u201d \u2018it\u2019s\u2019 a\u2014b"), "\"quoted\" 'it's' a-b");
  EXPECT_EQ(norm("zero\u200bwidth soft\u00adhyphen"), "zerowidth softhyphen");
  EXPECT_EQ(norm("a\u00a0\u3000b"), "a b");  // NBSP and ideographic space -> one space
  NormalizeOptions o;
  o.lowercase = true;
  o.strip_accents = true;
  EXPECT_EQ(norm("ÉCOLE Café naïve", o), "ecole cafe naive");
  EXPECT_EQ(norm("bad \xff byte"), "bad \uFFFD byte");
  // The ASCII fast path and the ICU path give the same result on the ASCII part.
  EXPECT_EQ(norm("Tab\there  é"), "Tab here é");
}

}  // namespace
}  // namespace lm::text
