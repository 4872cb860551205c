// filters_test.cc: every cleaning rule at its threshold: the measured value just under (kept)
// and just over (removed with the rule's name), for Gopher quality and repetition, C4, FineWeb,
// gibberish, boilerplate, toxicity and language.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "clean/filter.h"
#include "core/rng.h"
#include "langid/classifier.h"

namespace lm::clean {
namespace {

Verdict run(const Filter& f, const std::string& text, std::string* out = nullptr,
            const std::string& lang = "", FilterContext* ctx = nullptr) {
  io::Document d{"id", text, "src", lang, ""};
  FilterContext local;
  if (!ctx) ctx = &local;
  ctx->start_document();
  Verdict v = f.apply(&d, ctx);
  if (out) *out = d.text;
  return v;
}

// n distinct lowercase words of `len` letters (no stop words among them).
std::vector<std::string> distinct_words(size_t n, size_t len, uint64_t seed = 1) {
  Rng rng(seed);
  std::vector<std::string> out;
  while (out.size() < n) {
    std::string w;
    for (size_t i = 0; i < len; ++i) w.push_back(static_cast<char>('a' + rng.below(26)));
    w[0] = 'q';  // never a stop word
    out.push_back(w);
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

// Kept at `under`, removed by `rule` at `over`.
void expect_threshold(const Filter& f, const std::string& under, const std::string& over,
                      std::string_view rule) {
  Verdict a = run(f, under), b = run(f, over);
  EXPECT_TRUE(a.keep) << "removed by " << a.rule << " value " << a.value;
  EXPECT_FALSE(b.keep);
  EXPECT_EQ(b.rule, rule) << "value " << b.value;
}

GopherQualityConfig quality_only() {
  GopherQualityConfig c;
  c.min_stop_words = 0;
  return c;
}

TEST(GopherQuality, MinWords) {
  GopherQualityConfig c;
  auto f = make_gopher_quality(c);
  auto w = distinct_words(48, 5);
  expect_threshold(*f, "the and " + join(w) + ".", "the and " + join({w.begin(), w.end() - 1}),
                   "min_words");
  EXPECT_EQ(run(*f, "the and " + join({w.begin(), w.end() - 1})).value, 49);
}

TEST(GopherQuality, MaxWords) {
  auto c = quality_only();
  c.max_words = 60;
  auto f = make_gopher_quality(c);
  auto w = distinct_words(61, 5);
  expect_threshold(*f, join({w.begin(), w.end() - 1}), join(w), "max_words");
}

TEST(GopherQuality, AverageWordLength) {
  auto f = make_gopher_quality(quality_only());
  expect_threshold(*f, join(distinct_words(60, 10)), join(distinct_words(60, 11)),
                   "max_avg_word_length");
  // 3.0 is kept, just under 3 is not: 59 words of 3 letters and one of 2.
  auto w = distinct_words(60, 3);
  auto shorter = w;
  shorter[0] = "qq";
  expect_threshold(*f, join(w), join(shorter), "min_avg_word_length");
}

TEST(GopherQuality, HashAndEllipsisRatios) {
  auto f = make_gopher_quality(quality_only());
  auto w = distinct_words(90, 5);
  std::vector<std::string> ten(10, "#"), eleven(11, "#");
  std::vector<std::string> w89(w.begin(), w.end() - 1);
  expect_threshold(*f, join(w) + " " + join(ten), join(w89) + " " + join(eleven), "max_hash_ratio");
  std::vector<std::string> e10(10, "..."), e11(11, "\u2026");
  expect_threshold(*f, join(e10) + " " + join(w), join(e11) + " " + join(w89),
                   "max_ellipsis_ratio");
}

std::string lines_doc(size_t lines, size_t special, const std::string& prefix,
                      const std::string& suffix) {
  auto w = distinct_words(lines * 8, 5);
  std::vector<std::string> out;
  for (size_t i = 0; i < lines; ++i) {
    std::string l = join({w.begin() + i * 8, w.begin() + i * 8 + 8});
    out.push_back(i < special ? prefix + l + suffix : l + ".");
  }
  return join(out, "\n");
}

TEST(GopherQuality, BulletAndEllipsisLines) {
  auto f = make_gopher_quality(quality_only());
  expect_threshold(*f, lines_doc(10, 9, "- ", "."), lines_doc(10, 10, "\u2022 ", "."),
                   "max_bullet_lines");
  expect_threshold(*f, lines_doc(10, 3, "", "..."), lines_doc(10, 4, "", "\u2026"),
                   "max_ellipsis_lines");
}

TEST(GopherQuality, AlphaWordsAndStopWords) {
  auto f = make_gopher_quality(quality_only());
  auto w = distinct_words(100, 5);
  auto a = w, b = w;
  for (int i = 0; i < 20; ++i) a[i] = "12345";
  for (int i = 0; i < 21; ++i) b[i] = "12345";
  expect_threshold(*f, join(a), join(b), "min_alpha_words");
  auto stop = make_gopher_quality(GopherQualityConfig{});
  auto x = distinct_words(60, 5);
  expect_threshold(*stop, "The " + join(x) + " and more", "The " + join(x) + " more",
                   "min_stop_words");
  EXPECT_EQ(run(*stop, "The " + join(x)).value, 1);
  // Not applied to languages outside stop_word_langs.
  EXPECT_TRUE(run(*stop, join(x), nullptr, "de").keep);
  // Case-insensitive; stop words longer than 8 bytes count too.
  GopherQualityConfig longer;
  longer.stop_words = {"the", "nevertheless"};
  auto f2 = make_gopher_quality(longer);
  EXPECT_TRUE(run(*f2, "THE " + join(x) + " Nevertheless").keep);
  EXPECT_EQ(run(*f2, "THE " + join(x) + " Neverthelesss").rule, "min_stop_words");
}

// Before the language stage: documents without a language leave the stop-word rule to the
// check that follows language id, which reports it as gopher_quality / min_stop_words.
TEST(GopherQuality, StopWordRuleWaitsForTheLanguage) {
  auto early = make_gopher_quality(GopherQualityConfig{}, true);
  auto check = make_stop_word_check(GopherQualityConfig{});
  EXPECT_TRUE(check->continuation());
  EXPECT_EQ(check->stage(), "gopher_quality");
  const std::string text = join(distinct_words(60, 5));
  FilterContext ctx;
  io::Document d{"id", text, "", "", ""};
  ctx.start_document();
  EXPECT_TRUE(early->apply(&d, &ctx).keep);
  EXPECT_TRUE(ctx.stop_words_pending);
  d.lang = "de";  // what language id found: not a stop-word language
  EXPECT_TRUE(check->apply(&d, &ctx).keep);
  d.lang = "en";
  Verdict v = check->apply(&d, &ctx);
  EXPECT_FALSE(v.keep);
  EXPECT_EQ(v.rule, "min_stop_words");
  // A document that already has a language gets the rule at once.
  EXPECT_EQ(run(*early, text, nullptr, "en").rule, "min_stop_words");
  ctx.start_document();
  EXPECT_FALSE(ctx.stop_words_pending);
  EXPECT_TRUE(check->apply(&d, &ctx).keep);  // nothing pending: nothing to check
}

GopherRepetitionConfig repetition_only(const std::string& keep) {
  GopherRepetitionConfig c;
  c.max_dup_line_frac = c.max_dup_para_frac = c.max_dup_line_char_frac = 1;
  c.max_dup_para_char_frac = 1;
  c.max_top_ngram = {1, 1, 1};
  c.max_dup_ngram = {1, 1, 1, 1, 1, 1};
  GopherRepetitionConfig d;
  if (keep == "line") c.max_dup_line_frac = d.max_dup_line_frac;
  if (keep == "para") c.max_dup_para_frac = d.max_dup_para_frac;
  if (keep == "line_char") c.max_dup_line_char_frac = d.max_dup_line_char_frac;
  if (keep == "para_char") c.max_dup_para_char_frac = d.max_dup_para_char_frac;
  if (keep == "top2") c.max_top_ngram[0] = d.max_top_ngram[0];
  if (keep == "dup5") c.max_dup_ngram[0] = d.max_dup_ngram[0];
  return c;
}

// `unique` distinct lines (10 chars) plus `copies` copies of one more line.
std::string dup_lines(size_t unique, size_t copies, const char* sep = "\n") {
  auto w = distinct_words(unique + 1, 10);
  std::vector<std::string> lines(w.begin(), w.end() - 1);
  for (size_t i = 0; i < copies; ++i) lines.push_back(w.back());
  return join(lines, sep);
}

TEST(GopherRepetition, DuplicateLinesAndParagraphs) {
  auto line = make_gopher_repetition(repetition_only("line"));
  expect_threshold(*line, dup_lines(6, 4), dup_lines(5, 5), "max_dup_line_frac");  // 0.3 | 0.4
  auto para = make_gopher_repetition(repetition_only("para"));
  expect_threshold(*para, dup_lines(6, 4, "\n\n"), dup_lines(5, 5, "\n\n"), "max_dup_para_frac");
  // chars: 10 lines of 10 chars + 9 newlines = 109; 2 dups = 0.183, 3 dups = 0.275.
  auto lc = make_gopher_repetition(repetition_only("line_char"));
  expect_threshold(*lc, dup_lines(7, 3), dup_lines(6, 4), "max_dup_line_char_frac");
  auto pc = make_gopher_repetition(repetition_only("para_char"));
  expect_threshold(*pc, dup_lines(7, 3, "\n\n"), dup_lines(6, 4, "\n\n"), "max_dup_para_char_frac");
}

TEST(GopherRepetition, TopAndDuplicateNgrams) {
  // Top 2-gram "qa qb" (5 chars) occurring k times among 100 distinct 5-letter words.
  auto top = make_gopher_repetition(repetition_only("top2"));
  auto make = [](size_t k) {
    auto w = distinct_words(100, 5);
    std::string s;
    for (size_t i = 0; i < w.size(); ++i) s += w[i] + (i < k ? " qa qb " : " ");
    return s;
  };
  // len = 100*6 + 6k; fraction = 5k/len: k=31 -> 0.197, k=32 -> 0.202
  expect_threshold(*top, make(31), make(32), "max_top_ngram[2]");
  auto dup = make_gopher_repetition(repetition_only("dup5"));
  auto w = distinct_words(200, 4);
  auto rep = [&](size_t n_rep) {  // the first 5 words repeated n_rep times at the end
    std::string s = join(w);
    for (size_t i = 0; i < n_rep; ++i) s += " " + join({w.begin(), w.begin() + 5});
    return s;
  };
  // 5-gram repeats: 20 chars each; len = 999 + 25*n: n=9 -> 180/1224 = 0.147, n=10 -> 0.16
  expect_threshold(*dup, rep(9), rep(10), "max_dup_ngram[5]");
}

C4Config c4_lines_only() {
  C4Config c;
  c.min_sentences = 0;
  return c;
}

TEST(C4, LineRules) {
  auto f = make_c4(c4_lines_only());
  std::string out;
  FilterContext ctx;
  io::Document d{"id",
                 "Two words.\nThree words here.\nUse javascript to see this.\n"
                 "Read our privacy policy today.\nA fact [1] is cited [edit] here.",
                 "", "", ""};
  ctx.start_document();
  Verdict v = f->apply(&d, &ctx);
  EXPECT_TRUE(v.keep);
  EXPECT_EQ(d.text, "Three words here.\nA fact  is cited  here.");
  std::map<std::string, uint64_t> lines;
  for (const auto& r : ctx.removals) lines[std::string(r.rule)] = r.lines;
  EXPECT_EQ(lines["min_words_per_line"], 1u);
  EXPECT_EQ(lines["drop_javascript_lines"], 1u);
  EXPECT_EQ(lines["drop_policy_lines"], 1u);
  // Every removed line is recorded with its rule and index (for DIR/removed-lines/).
  std::string rec;
  for (const auto& r : ctx.removed_lines)
    rec += fmt::format("{}/{}/{}:{}|", r.stage, r.rule, r.line, r.text);
  EXPECT_EQ(rec,
            "c4/min_words_per_line/0:Two words.|c4/drop_javascript_lines/2:Use javascript to see "
            "this.|c4/drop_policy_lines/3:Read our privacy policy today.|"
            "c4/remove_citations/4:A fact [1] is cited [edit] here.|");
  std::string w1000(1000, 'a'), w1001(1001, 'a');
  EXPECT_TRUE(run(*f, "ok " + w1000 + " fine.").keep);
  EXPECT_EQ(run(*f, "ok " + w1001 + " fine.").rule, "empty");
}

TEST(C4, DocumentRules) {
  auto f = make_c4(C4Config{});
  std::string five = "One is here. Two is here. Three is here.\nFour is here! Five is here?";
  std::string four = "One is here. Two is here. Three is here.\nFour is here!";
  expect_threshold(*f, five, four, "min_sentences");
  EXPECT_EQ(run(*f, four).value, 4);
  EXPECT_EQ(run(*f, five + "\nLorem ipsum dolor sit amet.").rule, "drop_lorem_ipsum");
  EXPECT_EQ(run(*f, five + "\nThe code is { here }.").rule, "drop_curly_bracket");
  C4Config punct;
  punct.require_terminal_punct = true;
  punct.min_sentences = 0;
  std::string out;
  EXPECT_TRUE(run(*make_c4(punct), "It ends well.\nNo end here\nIt trails off...", &out).keep);
  EXPECT_EQ(out, "It ends well.");
}

std::string fw_doc(size_t lines, size_t punct, size_t short_lines) {
  auto w = distinct_words(lines * 6, 6);
  std::vector<std::string> out;
  for (size_t i = 0; i < lines; ++i) {
    std::string l = i < short_lines ? w[i * 6] + " " + w[i * 6 + 1]
                                    : join({w.begin() + i * 6, w.begin() + i * 6 + 6});
    out.push_back(l + (i < punct ? "." : ""));
  }
  return join(out, "\n");
}

TEST(FineWeb, LineRules) {
  auto f = make_fineweb(FineWebConfig{});
  expect_threshold(*f, fw_doc(25, 3, 0), fw_doc(25, 2, 0), "min_line_punct_ratio");  // .12 | .08
  expect_threshold(*f, fw_doc(100, 100, 66), fw_doc(100, 100, 67), "max_short_line_ratio");
  FineWebConfig nl;
  nl.max_short_line_ratio = 2;  // off
  auto g = make_fineweb(nl);
  // newline ratio: 3 words per line (0.33 > 0.3) vs 4 words (0.25)
  auto w = distinct_words(400, 6);
  std::string four, three;
  for (int i = 0; i < 100; ++i) {
    four += w[4 * i] + " " + w[4 * i + 1] + " " + w[4 * i + 2] + " " + w[4 * i + 3] + ".\n";
    three += w[3 * i] + " " + w[3 * i + 1] + " " + w[3 * i + 2] + ".\n";
  }
  expect_threshold(*g, four, three, "max_newline_ratio");
  std::string dup = four + four.substr(0, four.find('\n', four.find('\n') + 1));  // 2 lines again
  EXPECT_EQ(run(*g, dup).rule, "max_dup_line_char_ratio");
  EXPECT_EQ(run(*g, "\n \n").rule, "empty");
}

TEST(Gibberish, Ratios) {
  auto f = make_gibberish(GibberishConfig{});
  auto doc = [](int letters, int symbols, int digits) {
    return std::string(letters, 'a') + " " + std::string(symbols, '%') + " " +
           std::string(digits, '7');
  };
  expect_threshold(*f, doc(75, 25, 0), doc(74, 26, 0), "max_symbol_ratio");
  expect_threshold(*f, doc(85, 0, 15), doc(84, 0, 16), "max_digit_ratio");
  GibberishConfig alpha;
  alpha.max_symbol_ratio = alpha.max_digit_ratio = 1;
  expect_threshold(*make_gibberish(alpha), doc(50, 50, 0), doc(49, 51, 0), "min_alpha_ratio");
  std::string url = "https://example.com/" + std::string(19, 'x');  // 39 chars
  std::string text = url + " " + std::string(160, 'a');             // 39/200 = 0.195
  std::string more = url + "yy " + std::string(158, 'a');           // 41/200 = 0.205
  expect_threshold(*f, text, more, "max_url_ratio");
}

TEST(Boilerplate, LinesAndDocuments) {
  auto f = make_boilerplate(BoilerplateConfig{});
  std::string out;
  EXPECT_TRUE(run(*f, "Real content here.\nClick HERE to subscribe!\nMore content.", &out).keep);
  EXPECT_EQ(out, "Real content here.\nMore content.");
  // 2 of 5 lines (0.4) is kept, 3 of 5 removed.
  std::string two = "a.\nb.\nc.\nRead more\nShare this";
  std::string three = "a.\nb.\nAdvertisement\nRead more\nShare this";
  expect_threshold(*f, two, three, "max_line_ratio");
}

TEST(Toxicity, WordListsPerLanguageAndLines) {
  ToxicityConfig c;
  c.words = {"darn", "heck no"};
  std::string file = testing::TempDir() + "/de_words.txt";
  std::ofstream(file) << "# German list\nmist\n";
  c.word_files["de"] = file;
  auto f = make_toxicity(c);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE(run(**f, "a clean sentence").keep);
  EXPECT_EQ(run(**f, "well, Darn it").rule, "words");
  EXPECT_EQ(run(**f, "oh heck no!").rule, "words");
  EXPECT_TRUE(run(**f, "heck yes").keep);
  EXPECT_TRUE(run(**f, "so ein Mist", nullptr, "en").keep);
  EXPECT_EQ(run(**f, "so ein Mist", nullptr, "de").rule, "words");
  c.max_hits = 1;
  EXPECT_TRUE(run(**make_toxicity(c), "darn").keep);
  EXPECT_EQ(run(**make_toxicity(c), "darn darn").value, 2);
  c.scope = "lines";
  std::string out;
  EXPECT_TRUE(run(**make_toxicity(c), "good line\nbad darn line\nfine", &out).keep);
  EXPECT_EQ(out, "good line\nfine");
  c.word_files["en"] = "/nonexistent/words.txt";
  auto bad = make_toxicity(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/nonexistent/words.txt"), std::string::npos);
  ToxicityConfig model;
  model.model = "/nonexistent/toxic.bin";
  auto m = make_toxicity(model);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("/nonexistent/toxic.bin"), std::string::npos);
  auto none = make_toxicity(ToxicityConfig{});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->get(), nullptr);
}

TEST(Toxicity, TrainedClassifierRemovesToxicDocuments) {
  std::string data = testing::TempDir() + "/toxicity.jsonl";
  {
    std::ofstream f(data);
    const char* ok[] = {"what a lovely day in the park", "thanks for your kind help today",
                        "the meeting went very well", "the garden looks beautiful"};
    const char* bad[] = {"you are a stupid idiot", "shut up you moron", "i hate you loser",
                         "get lost you dumb fool"};
    for (int i = 0; i < 200; ++i) {
      nlohmann::json j = {{"id", "t" + std::to_string(i)},
                          {"text", i % 2 ? bad[i / 2 % 4] : ok[i / 2 % 4]},
                          {"label", i % 2 ? "toxic" : "ok"}};
      f << j.dump() << "\n";
    }
  }
  langid::LabelledData d;
  d.inputs = {data};
  d.label_field = "label";
  langid::FastTextTrainOptions ft;
  ft.minn = ft.maxn = 0;
  ft.epoch = 25;
  auto m = langid::train_classifier(d, ft, testing::TempDir() + "/toxicity.train.txt", nullptr);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  std::string path = testing::TempDir() + "/toxicity.bin";
  ASSERT_TRUE((*m)->save(path).ok());
  ToxicityConfig c;
  c.model = path;
  auto f = make_toxicity(c);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE(run(**f, "thanks for the lovely day").keep);
  Verdict v = run(**f, "shut up you stupid idiot");
  EXPECT_EQ(v.rule, "model");
  EXPECT_GE(v.value, 0.5);
  c.label = "hateful";
  EXPECT_FALSE(make_toxicity(c).ok());  // the model has no such label
}

TEST(Language, KeepsTargetLanguagesAndTags) {
  LanguageConfig c;
  auto f = make_language(c);
  ASSERT_TRUE(f.ok());
  std::string de =
      "Der schnelle braune Fuchs springt über den faulen Hund, während die Kinder "
      "aus dem Fenster zusehen und lachen.";
  Verdict v = run(**f, de);
  EXPECT_FALSE(v.keep);
  EXPECT_EQ(v.rule, "langs");
  EXPECT_EQ(v.detail, "de");
  io::Document d{"id", "The quick brown fox jumps over the lazy dog while the children watch.", "",
                 "", ""};
  FilterContext ctx;
  EXPECT_TRUE((*f)->apply(&d, &ctx).keep);
  EXPECT_EQ(d.lang, "en");
  c.min_score = 1.0;
  c.langs = {"de"};
  auto strict = make_language(c);
  EXPECT_EQ(run(**strict, de + " Hello my friend, how are you today?").rule, "min_score");
  c.backend = "fasttext";
  c.model = "/nonexistent/lid.176.bin";
  auto bad = make_language(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/nonexistent/lid.176.bin"), std::string::npos);
}

TEST(Normalize, FilterRemovesEmptied) {
  auto f = make_normalize(NormalizeConfig{});
  ASSERT_TRUE(f.ok());
  std::string out;
  EXPECT_TRUE(run(**f, "  a\t b  ", &out).keep);
  EXPECT_EQ(out, "a b");
  EXPECT_EQ(run(**f, " \x01\t\n ").rule, "empty");
}

}  // namespace
}  // namespace lm::clean
