// utf8_test.cc: uni/utf8 (validate, repair, decode, length, ASCII test). Repair is checked against
// Python's bytes.decode("utf-8", "replace") on random byte strings (the same maximal-subpart
// rule) and against hand-picked cases from the Unicode standard's table 3-8.
#include "uni/utf8.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/rng.h"
#include "test_util.h"

namespace lm {
namespace {

TEST(Utf8, ValidatesWellFormedAndRejectsIllFormed) {
  EXPECT_TRUE(uni::utf8_valid(""));
  EXPECT_TRUE(uni::utf8_valid("plain ascii, long enough for the 8-byte path"));
  EXPECT_TRUE(uni::utf8_valid("h\xC3\xA9llo \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(uni::utf8_valid("\xC0\xAF"));          // overlong
  EXPECT_FALSE(uni::utf8_valid("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(uni::utf8_valid("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(uni::utf8_valid("abc\xE4\xB8"));       // truncated at the end
  EXPECT_FALSE(uni::utf8_valid("12345678\xFF"));
}

TEST(Utf8, RepairFollowsMaximalSubparts) {
  size_t n = 0;
  // Unicode 15, table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> 8 replacements.
  std::string r = uni::utf8_repair("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", &n);
  EXPECT_EQ(r, "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(n, 6u);
  EXPECT_EQ(uni::utf8_repair("ok \xC3\xA9", &n), "ok \xC3\xA9");
  EXPECT_EQ(n, 0u);
}

TEST(Utf8, DecodeEncodeRoundTrip) {
  for (char32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u, 0x10FFFFu}) {
    std::string s;
    uni::utf8_append(&s, cp);
    size_t pos = 0;
    EXPECT_EQ(uni::utf8_decode(s, &pos), cp);
    EXPECT_EQ(pos, s.size());
  }
  std::string s;
  uni::utf8_append(&s, 0xD800);
  EXPECT_EQ(s, "\uFFFD");
  EXPECT_EQ(uni::utf8_length("h\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(uni::utf8_length("a\xFF"
                             "b"),
            3u);
}

std::string to_hex(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += fmt::format("{:02x}", c);
  return out;
}

// Peer: CPython's UTF-8 decoder with errors="replace".
TEST(Utf8, RepairMatchesPython) {
  Rng rng(7);
  std::vector<std::string> cases;
  const std::string pieces[] = {"a",           "\xC3\xA9",     "\xE4\xB8\xAD", "\xF0\x9F\x98\x80",
                                "\x80",        "\xC3",         "\xE4\xB8",     "\xF0\x9F",
                                "\xFF",        "\xED\xA0\x80", "\xC0\xAF",     "\xF4\x90\x80\x80",
                                "\xE0\x80\x80"};
  for (int i = 0; i < 300; ++i) {
    std::string s;
    int n = 1 + static_cast<int>(rng.below(12));
    for (int k = 0; k < n; ++k) {
      if (rng.below(4) == 0) {
        s.push_back(static_cast<char>(rng.below(256)));
      } else {
        s += pieces[rng.below(std::size(pieces))];
      }
    }
    cases.push_back(s);
  }
  std::string input;
  for (const auto& c : cases) input += to_hex(c) + "\n";
  std::string tmpl = (std::filesystem::temp_directory_path() / "lmforge-utf8-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string in_path = tmpl + "/in.txt";
  std::ofstream(in_path, std::ios::binary) << input;
  std::string cmd =
      "/usr/bin/python3 -c 'import sys\nfor l in open(sys.argv[1]):\n"
      " print(bytes.fromhex(l.strip()).decode(\"utf-8\",\"replace\")"
      ".encode().hex())' " +
      in_path;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  const int rc = pclose(p);
  std::filesystem::remove_all(tmpl);
  if (rc != 0 && !std::filesystem::exists("/usr/bin/python3")) {
    LM_SKIP_OR_FAIL_IN_CI("/usr/bin/python3 is missing (the peer of this test)");
  }
  ASSERT_EQ(rc, 0) << "python3 failed";
  size_t pos = 0;
  for (const auto& c : cases) {
    size_t eol = out.find('\n', pos);
    ASSERT_NE(eol, std::string::npos);
    EXPECT_EQ(to_hex(uni::utf8_repair(c)), out.substr(pos, eol - pos)) << "input " << to_hex(c);
    EXPECT_EQ(uni::utf8_valid(c), to_hex(uni::utf8_repair(c)) == to_hex(c));
    pos = eol + 1;
  }
}

}  // namespace
}  // namespace lm

namespace lm {
namespace {

TEST(Utf8, AsciiTestAndInlineDecode) {
  EXPECT_TRUE(uni::is_ascii(""));
  EXPECT_TRUE(uni::is_ascii("plain text, more than eight bytes"));
  EXPECT_FALSE(uni::is_ascii("plain text, more than eight bytes\x80"));
  EXPECT_FALSE(uni::is_ascii("t\xC3\xABxt"));
  const std::string s = "a\xC3\xA9\xFF";
  size_t pos = 0;
  EXPECT_EQ(uni::utf8_decode(s, &pos), U'a');
  EXPECT_EQ(uni::utf8_decode(s, &pos), U'\u00e9');
  EXPECT_EQ(uni::utf8_decode(s, &pos), uni::kReplacementChar);
  EXPECT_EQ(pos, s.size());
}

}  // namespace
}  // namespace lm
